"""The one way in: every adapter hands its `Inbound`s here.

An event goes to the engine, which stores it and keeps every reply in the same
transaction (storage/replies.py). The replies for the person who wrote are handed to
the adapter's `answer`, those for anyone else (a moderator's alert, an author's news) to
`Delivery`, which finds their platform's adapter. Either way a reply is settled only once
its platform took it, so a crash in between loses none (bot/reply_outbox.py).

Platforms that show options as a numbered list (Matrix, the console) remember the
options of the last reply, so that a typed number presses its button; where the bot asks
the resident to type (a title, an idea's number), a number is text and presses nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol

from bot.adapters.port import StorePort
from bot.delivery import Delivery, Receipts, Sender
from bot.reply_outbox import outbox_for
from bot.retry import FOREVER, retrying
from dialogs.choice import option_index
from dialogs.engine import Engine, EngineUnavailable
from dialogs.messages import Identity, Inbound, InboundKind, Outbound, Reply

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], None]
"""Runs work in the background (an adapter's task set): a receive loop never waits for a send."""


def options_of(reply: Reply) -> list[str]:
    """The payloads a typed number may choose: none where the bot asks the resident to type."""
    return [] if reply.expects_text else [button.payload for button in reply.all_buttons()]


class OptionMemory(Protocol):
    """Where a platform with numbered options keeps the ones it showed each person last."""

    async def options(self, identity: Identity) -> list[str]: ...

    async def remember(self, identity: Identity, reply: Reply) -> None: ...


class ShownOptions:
    """In memory, for as long as the process runs (the console: one person, one process)."""

    def __init__(self) -> None:
        self._shown: dict[Identity, list[str]] = {}

    async def options(self, identity: Identity) -> list[str]:
        return self._shown.get(identity, [])

    async def remember(self, identity: Identity, reply: Reply) -> None:
        self._shown[identity] = options_of(reply)


class KeptOptions:
    """In the store, under `prefix` + the person's id, so that a restart keeps them (Matrix)."""

    def __init__(self, port: StorePort, prefix: str) -> None:
        self.port = port
        self.prefix = prefix

    async def options(self, identity: Identity) -> list[str]:
        kept = await self.port.value(f"{self.prefix}{identity.user_id}")
        return [str(payload) for payload in json.loads(kept)] if kept else []

    async def remember(self, identity: Identity, reply: Reply) -> None:
        await self.port.keep_value(f"{self.prefix}{identity.user_id}", json.dumps(options_of(reply)))


def kind_of(text: str) -> InboundKind:
    return InboundKind.COMMAND if text.lstrip().startswith("/") else InboundKind.TEXT


async def typed(
    identity: Identity,
    chat_id: str,
    event_id: str,
    text: str,
    options: OptionMemory,
    language_hint: str | None = None,
) -> Inbound:
    """What a person typed on a platform with numbered options: a number among them presses that button."""
    stripped = text.strip()
    shown = await options.options(identity)
    index = option_index(stripped, len(shown)) if shown else None
    if index is not None:
        return Inbound(identity, chat_id, event_id, InboundKind.BUTTON, shown[index], language_hint)
    return Inbound(identity, chat_id, event_id, kind_of(stripped), stripped, language_hint)


class Receive:
    """Inbound -> engine -> replies split by recipient -> sent, and settled once sent."""

    def __init__(self, engine: Engine, delivery: Delivery) -> None:
        self.engine = engine
        self.delivery = delivery
        self.receipts: Receipts = outbox_for(delivery, engine)

    async def __call__(
        self,
        inbound: Inbound,
        answer: Sender,
        *,
        strict: bool = True,
        options: OptionMemory | None = None,
        spawn: Spawn | None = None,
    ) -> list[Outbound]:
        """Handle one event; returns every reply it made.

        `answer` sends a reply to the person who wrote, in the chat they wrote in. With
        `strict`, an event the store could not take raises `EngineUnavailable` (for platforms
        that redeliver); else the person gets an apology. With `spawn`, replies are sent in
        the background, in order; else before this returns. `options`: the platform shows
        numbered options, remembered here before anything else is read."""
        outbounds = await self.engine.handle(inbound, strict=strict)
        own = [o for o in outbounds if o.recipient == inbound.identity]
        others = [o for o in outbounds if o.recipient != inbound.identity]
        if options is not None:
            for outbound in own:
                await options.remember(outbound.recipient, outbound.reply)
        if spawn is not None:
            if own:
                spawn(self._answer_all(own, answer))
            if others:
                spawn(self.delivery.deliver(others))
        else:
            await self._answer_all(own, answer)
            await self.delivery.deliver(others)
        return outbounds

    async def _answer_all(self, outbounds: Sequence[Outbound], answer: Sender) -> None:
        for outbound in outbounds:
            await self.delivery.hand(outbound, answer)

    @staticmethod
    async def until_stored(work: Callable[[], Awaitable[None]], what: str) -> None:
        """For receive loops: retry while the store is away; any other failure is logged and the event skipped.

        One bad event must never silence the bot: not now, nor after a restart (the
        platform would bring it again)."""
        try:
            await retrying(work, on=(EngineUnavailable,), attempts=FOREVER, first=1.0, longest=60.0, what=what)
        except Exception:
            log.exception("%s could not be handled; skipped", what)
