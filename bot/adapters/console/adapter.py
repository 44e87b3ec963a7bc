"""Console adapter: chat with the bot in a terminal.

Buttons are shown as numbered lines ``[1] Label``; typing the number presses the
button, a line starting with ``/`` is a command, anything else is text.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable

from bot.delivery import Delivery
from bot.reply_outbox import outbox_for
from dialogs.choice import option_index
from dialogs.engine import Engine
from dialogs.messages import Identity, Inbound, InboundKind, Reply

PLATFORM = "console"


def render(reply: Reply) -> str:
    lines = []
    for block in reply.blocks:
        lines.append(("  • " if block.item else "") + block.text)
    for number, button in enumerate(reply.all_buttons(), start=1):
        lines.append(f"[{number}] {button.label}")
    if reply.attachment is not None:
        lines.append(f"--- {reply.attachment.filename} ---")
        lines.append(reply.attachment.content.decode("utf-8"))
        lines.append("---")
    return "\n".join(lines)


def language_from_environment() -> str | None:
    value = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return value[:2].lower() or None


class ConsoleAdapter:
    """One simulated resident talking to the engine, as every platform does."""

    def __init__(
        self, engine: Engine, user: str, write: Callable[[str], None] = print, delivery: Delivery | None = None
    ) -> None:
        self.engine = engine
        self.delivery = delivery or Delivery()
        self.receipts = outbox_for(self.delivery, engine)
        self.identity = Identity(PLATFORM, user)
        self.write = write
        self.language_hint = language_from_environment()
        self._payloads: list[str] = []

    def to_inbound(self, line: str) -> Inbound:
        text = line.rstrip("\n")
        stripped = text.strip()
        index = option_index(stripped, len(self._payloads))
        if index is not None:
            kind, text = InboundKind.BUTTON, self._payloads[index]
        elif stripped.startswith("/"):
            kind, text = InboundKind.COMMAND, stripped
        else:
            kind = InboundKind.TEXT
        return Inbound(
            identity=self.identity,
            chat_id=self.identity.user_id,
            event_id=uuid.uuid4().hex,
            kind=kind,
            text=text,
            language_hint=self.language_hint,
        )

    async def say(self, line: str) -> str:
        """Send one typed line; return what the bot answered, as printed."""
        outputs = await self.engine.handle(self.to_inbound(line))
        own = [outbound for outbound in outputs if outbound.recipient == self.identity]
        for outbound in own:
            self._payloads = [button.payload for button in outbound.reply.all_buttons()]
        await self.delivery.deliver(o for o in outputs if o.recipient != self.identity)
        text = "\n\n".join(render(outbound.reply) for outbound in own)
        self.write(text)
        for outbound in own:
            if outbound.receipt is not None:
                await self.receipts.settle(outbound.receipt)
        return text

    async def run(self) -> None:
        self.write(f"Mitmach-Bot · console · {self.identity}  (Ctrl-D to quit)\n")
        await self.say("/start")
        loop = asyncio.get_running_loop()
        while True:
            self.write("")
            line = await loop.run_in_executor(None, _prompt)
            if line is None:
                return
            if line.strip():
                await self.say(line)


def _prompt() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        return None
