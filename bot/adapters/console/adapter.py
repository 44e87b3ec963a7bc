"""Console adapter: chat with the bot in a terminal.

Buttons are shown as numbered lines ``[1] Label``; typing the number presses the
button (unless the bot asked for text), a line starting with ``/`` is a command,
anything else is text.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable

from bot.adapters.console import PLATFORM
from bot.adapters.console.render import render
from bot.adapters.protocol import Context
from bot.receive import ShownOptions, typed
from dialogs.messages import Identity, Outbound


def language_from_environment() -> str | None:
    value = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return value[:2].lower() or None


class ConsoleAdapter:
    """One simulated resident talking to the engine, as every platform does."""

    platform = PLATFORM

    def __init__(self, context: Context, user: str, write: Callable[[str], None] = print) -> None:
        self.receive = context.receive
        self.identity = Identity(PLATFORM, user)
        self.write = write
        self.language_hint = language_from_environment()
        self.options = ShownOptions()
        self._shown: list[str] = []

    async def say(self, line: str) -> str:
        """Send one typed line; return what the bot answered, as printed."""
        inbound = await typed(
            self.identity, self.identity.user_id, uuid.uuid4().hex, line, self.options, self.language_hint
        )
        self._shown = []
        await self.receive(inbound, self._show, strict=False, options=self.options)
        text = "\n\n".join(self._shown)
        self.write(text)
        return text

    async def _show(self, outbound: Outbound) -> None:
        self._shown.append(render(outbound.reply))

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
