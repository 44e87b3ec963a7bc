"""Broadcasts delivered through the real adapters: the local Bot API server and the web chat.

A staff member composes on Telegram; residents on Telegram and in the web chat receive
exactly what their subscriptions say; a resident who blocked the bot is marked
unreachable; the staff member's progress message is edited to the final figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.telegram import TelegramAdapter
from bot.broadcasting.service import BroadcastService
from bot.web.server import WebTransport
from dialogs.engine import Engine
from dialogs.messages import Identity
from storage import moderation as moderation_db
from storage import outbox
from storage.models import ALL_CITIES, BroadcastStatus, Role
from storage.store import Store
from tests.fake_telegram import FakeTelegram
from tests.helpers import resident, seed_idea
from tests.test_telegram import TelegramResident, plain
from tests.test_web_protocol import payload, text_of
from tests.web_helpers import web_client

NEWS = "Ab Montag fahren die Stadtbusse in Aalen alle zehn Minuten."


class WebResident:
    """Someone in the web chat, with a browser session of their own."""

    def __init__(self, client: TestClient) -> None:  # type: ignore[type-arg]
        self.base = str(client.make_url("/"))
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.socket: Any = None
        self.frames: list[dict[str, Any]] = []

    async def open(self) -> dict[str, Any]:
        async with self.session.get(self.base) as page:
            assert page.status == 200
        self.socket = await self.session.ws_connect(self.base + "ws", headers={"Origin": self.base.rstrip("/")})
        return await self.next()

    async def next(self) -> dict[str, Any]:
        frame = dict(await self.socket.receive_json(timeout=10))
        self.frames.append(frame)
        return frame

    async def press(self, label: str) -> dict[str, Any]:
        await self.socket.send_json({"type": "button", "payload": payload(self.frames[-1], label)})
        return await self.next()

    async def onboard(self, subscribe: bool) -> None:
        await self.open()
        await self.press("Deutsch")
        await self.press("Aalen")
        await self.press("Ja, Neuigkeiten" if subscribe else "Nein, danke")

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            self.socket = None

    async def leave(self) -> None:
        await self.close()
        await self.session.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(per_chat_rate=20, overall_rate=200)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def telegram(engine: Engine, fake: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(
        engine, token=fake.token, api_url=fake.url, per_chat_rate=10.0, overall_rate=100.0, poll_timeout=1
    )
    await adapter.start()
    yield adapter
    await adapter.stop()


async def telegram_resident(fake: FakeTelegram, user_id: int, city: str, subscribe: bool) -> TelegramResident:
    person = TelegramResident(fake, user_id)
    await person.says("/start")
    await person.presses("Deutsch")
    await person.presses(city)
    await person.presses(f"Ja, Neuigkeiten aus {city}" if subscribe else "Nein, danke")
    return person


async def wait_until_finished(store: Store, broadcast_id: int, timeout: float = 20) -> outbox.BroadcastRecord:
    deadline = time.monotonic() + timeout
    while True:
        found = store.run(lambda tx: outbox.get(tx, broadcast_id))
        if found is not None and found.status == BroadcastStatus.DONE.value and found.progress_final:
            return found
        assert time.monotonic() < deadline, f"broadcast not finished: {found}"
        await asyncio.sleep(0.05)


def messages_with(fake: FakeTelegram, chat: int, text: str) -> int:
    return sum(text in plain(m.text) for m in fake.chats.get(str(chat), []))


async def test_a_broadcast_reaches_exactly_its_audience_on_telegram_and_the_web(
    engine: Engine, store: Store, fake: FakeTelegram, telegram: TelegramAdapter
) -> None:
    idea = seed_idea(store)
    async with web_client(engine) as client:
        service = BroadcastService(
            store,
            engine.languages,
            [WebTransport(client.server.app, 50.0), telegram.transport()],
            database_url=str(store.engine.url),
            concurrency=4,
            retry_delay=0.2,
            schedule_interval=0.1,
            election_interval=0.2,
            progress_interval=0.2,
            takeover_pause=0,
        )
        await service.start()
        web_people = [WebResident(client) for _ in range(3)]
        try:
            aalen = await telegram_resident(fake, 101, "Aalen", subscribe=True)
            await telegram_resident(fake, 102, "Heidenheim", subscribe=True)
            await telegram_resident(fake, 103, "Aalen", subscribe=False)
            blocker = await telegram_resident(fake, 104, "Aalen", subscribe=True)
            fake.blocked.add("104")
            open_page, closed_page, not_subscribed = web_people
            await open_page.onboard(subscribe=True)
            await closed_page.onboard(subscribe=True)
            await closed_page.close()
            await not_subscribed.onboard(subscribe=False)

            staff = await telegram_resident(fake, 900, "Aalen", subscribe=False)
            store.run(
                lambda tx: moderation_db.grant(tx, "telegram", "900", Role.STAFF, ALL_CITIES, "test", store.now())
            )
            await staff.says("/broadcast")
            await staff.says(NEWS)
            assert "Neuigkeiten aus Aalen (4)" in staff.labels()
            await staff.presses("Neuigkeiten aus Aalen")
            assert staff.sees("im Moment genau 4 Personen")
            await staff.presses("Button zu einer Idee")
            await staff.says(str(idea))
            await staff.presses("Zur Idee")
            await staff.presses("Jetzt an 4 Personen senden")
            finished = await wait_until_finished(store, 1)

            assert finished.total == 4
            assert messages_with(fake, 101, NEWS) == 1
            assert messages_with(fake, 102, NEWS) == messages_with(fake, 103, NEWS) == 0
            assert messages_with(fake, 104, NEWS) == 0 and fake.refusals[-1][1].startswith("Forbidden")
            news = fake.last_message(101)
            assert news.buttons == [[{"text": "Zur Idee", "data": f"l.idea_{idea}"}]]
            assert "Abbestellen: /stop" in plain(news.text)
            blocked = resident(store, Identity("telegram", str(blocker.user_id)))
            assert blocked is not None and blocked.unreachable_since is not None

            frame = await open_page.next()
            assert NEWS in text_of(frame) and frame["notification"] is True
            assert payload(frame, "Zur Idee") == f"l.idea_{idea}"
            await closed_page.open()
            kept = await closed_page.next()
            assert NEWS in text_of(kept), "the absent web resident finds it on the next visit"
            await asyncio.sleep(0.3)
            assert all(NEWS not in text_of(f) for f in not_subscribed.frames)

            progress = fake.last_message(900)
            assert "Nachricht Nr. 1: abgeschlossen" in plain(progress.text)
            assert "3 von 4 zugestellt, 1 nicht erreichbar" in plain(progress.text)
            progress_messages = [m for m in fake.chats["900"] if "Nachricht Nr. 1:" in plain(m.text)]
            assert len(progress_messages) == 1, "one progress message, edited as it goes"

            await aalen.presses("Zur Idee")
            assert aalen.sees("Echtzeit-Anzeigen an Bushaltestellen")
            assert messages_with(fake, 101, NEWS) == 1, "the news stays; the idea comes as a new message"
        finally:
            await service.stop()
            for person in web_people:
                await person.leave()
