"""WhatsApp in tests: the adapter against the local Cloud API, and a resident who types and taps in WhatsApp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.adapters.protocol import context_for
from bot.adapters.whatsapp.adapter import WEBHOOK_PATH, WhatsAppAdapter
from bot.adapters.whatsapp.settings import WhatsAppSettings
from bot.delivery import Delivery
from bot.web.server import create_app
from dialogs.engine import Engine
from tests.fake_whatsapp import FakeWhatsApp, Received

VERIFY_TOKEN = "verify-token-for-tests-0123456789"
QUIET = 0.15
"""Seconds without a new message after which the bot's answer counts as complete."""


def whatsapp_adapter(
    engine: Engine,
    fake: FakeWhatsApp,
    *,
    http: web.Application | None = None,
    delivery: Delivery | None = None,
    template: str | None = None,
    rate: float = 200.0,
) -> WhatsAppAdapter:
    settings = WhatsAppSettings(
        token=fake.token,
        phone_number_id=fake.phone_number_id,
        app_secret=fake.app_secret,
        verify_token=VERIFY_TOKEN,
        api_url=fake.api_url,
        rate=rate,
        template_news=template,
    )
    return WhatsAppAdapter(context_for(engine, delivery, http=http), settings)


@asynccontextmanager
async def whatsapp_bot(
    engine: Engine, fake: FakeWhatsApp, *, delivery: Delivery | None = None, template: str | None = None
) -> AsyncIterator[tuple[WhatsAppAdapter, str]]:
    """The bot's web server with the WhatsApp webhook, the fake posting to it; yields the adapter and its URL."""
    delivery = delivery or Delivery()
    app = create_app(engine, delivery=delivery)
    adapter = whatsapp_adapter(engine, fake, http=app, delivery=delivery, template=template)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    fake.webhook_url = base + WEBHOOK_PATH
    await adapter.start()
    try:
        yield adapter, base
    finally:
        await adapter.stop()
        await runner.cleanup()


class WhatsAppResident:
    """A person chatting with the bot in WhatsApp: typing, tapping buttons and list rows."""

    def __init__(self, fake: FakeWhatsApp, wa_id: str) -> None:
        self.fake = fake
        self.wa_id = wa_id
        self.answer: list[Received] = []
        """What the bot sent after the last thing this person did."""
        self.sent: list[str] = []
        """The ids of this person's messages."""

    async def _after(self, message: dict[str, Any], expect_answer: bool = True) -> None:
        before = len(self.fake.chats.get(self.wa_id, []))
        self.sent.append(message["id"])
        status = await self.fake.deliver(self.fake.payload(message))
        assert status == 200, f"the webhook answered {status}"
        deadline = time.monotonic() + 15
        while expect_answer and len(self.fake.chats.get(self.wa_id, [])) <= before:
            assert time.monotonic() < deadline, "the bot did not answer"
            await asyncio.sleep(0.01)
        seen = -1
        while seen != len(self.fake.chats.get(self.wa_id, [])):
            seen = len(self.fake.chats.get(self.wa_id, []))
            await asyncio.sleep(QUIET)
        self.answer = self.fake.chats.get(self.wa_id, [])[before:]

    async def says(self, text: str) -> None:
        await self._after(self.fake.text(self.wa_id, text))

    async def sends(self, kind: str) -> None:
        """A picture, a voice message, a sticker, a location, a reaction or a type WhatsApp calls unsupported."""
        await self._after(self.fake.other(self.wa_id, kind))

    async def sends_captioned(self, kind: str, caption: str) -> None:
        """A picture, video or document with a caption."""
        await self._after(self.fake.captioned(self.wa_id, kind, caption))

    async def presses(self, title: str) -> None:
        """The option whose title starts with `title` (or shortened, with which `title` starts), in the
        last message that had options."""
        shown = self.fake.last_with_options(self.wa_id)
        found = [(option_id, t) for option_id, t in shown.options if t.startswith(title)]
        found += [(option_id, t) for option_id, t in shown.options if "…" in t and title.startswith(t.split("…")[0])]
        assert found, f"no option {title!r} in {shown.titles}"
        option_id, full = found[0]
        if shown.kind == "list":
            await self._after(self.fake.list_reply(self.wa_id, option_id, full, shown.id))
        else:
            await self._after(self.fake.button_reply(self.wa_id, option_id, full, shown.id))

    @property
    def options(self) -> list[str]:
        return self.fake.last_with_options(self.wa_id).titles

    def sees(self, text: str) -> bool:
        return text in "\n".join(message.text for message in self.answer)
