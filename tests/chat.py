"""A resident for tests: speaks to the engine's public entry and remembers what it saw."""

from __future__ import annotations

import itertools

from dialogs.engine import Engine
from dialogs.messages import Identity, Inbound, InboundKind, Outbound, Reply
from storage import replies

_event_ids = itertools.count(1)


class Chat:
    def __init__(self, engine: Engine, name: str, platform: str = "test", language_hint: str | None = None) -> None:
        self.engine = engine
        self.identity = Identity(platform, name)
        self.language_hint = language_hint
        self.last: Reply | None = None
        self.received: list[Outbound] = []
        self.last_outbounds: list[Outbound] = []
        """Everything the engine sent for this resident's last event, to anyone."""

    def inbound(self, kind: InboundKind, text: str, event_id: str | None = None) -> Inbound:
        return Inbound(
            identity=self.identity,
            chat_id=f"chat-{self.identity.user_id}",
            event_id=event_id or f"e{next(_event_ids)}",
            kind=kind,
            text=text,
            language_hint=self.language_hint,
        )

    async def send(self, inbound: Inbound) -> list[Outbound]:
        outbounds = await self.engine.handle(inbound)
        self.last_outbounds = outbounds
        self.received.extend(o for o in outbounds if o.recipient == self.identity)
        mine = [o for o in outbounds if o.recipient == self.identity]
        if mine:
            self.last = mine[-1].reply
        for outbound in mine:  # shown, as an adapter would report: the store forgets the kept reply
            receipt = outbound.receipt
            if receipt is not None:
                self.engine.store.run(lambda tx, reply_id=receipt.id: replies.settle(tx, reply_id))
        return outbounds

    async def says(self, text: str) -> Reply:
        kind = InboundKind.COMMAND if text.startswith("/") else InboundKind.TEXT
        await self.send(self.inbound(kind, text))
        return self.reply

    async def presses(self, label: str) -> Reply:
        """Press the button whose label starts with `label`."""
        await self.send(self.inbound(InboundKind.BUTTON, self.button(label)))
        return self.reply

    async def press_payload(self, payload: str) -> Reply:
        await self.send(self.inbound(InboundKind.BUTTON, payload))
        return self.reply

    def button(self, label: str) -> str:
        matches = [b for b in self.reply.all_buttons() if b.label.startswith(label)]
        assert matches, f"no button {label!r} in {self.labels()}"
        return matches[0].payload

    @property
    def reply(self) -> Reply:
        assert self.last is not None, "the bot has not answered yet"
        return self.last

    def sees(self, text: str) -> bool:
        return text in self.reply.plain_text

    def sees_button(self, label: str) -> bool:
        return any(b.label.startswith(label) for b in self.reply.all_buttons())

    def labels(self) -> list[str]:
        return [b.label for b in self.reply.all_buttons()] if self.last else []

    async def onboard(self, language: str = "Deutsch", city: str = "Aalen") -> None:
        await self.says("/start")
        await self.presses(language)
        await self.presses(city)
