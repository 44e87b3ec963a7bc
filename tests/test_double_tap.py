"""A button pressed twice (a double tap, an impatient finger) keeps the answer to the first press."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from bot.adapters.telegram import TelegramAdapter
from storage.models import idea_table
from storage.store import Store
from tests.fake_telegram import FakeTelegram
from tests.helpers import seed_idea, support_count
from tests.test_telegram import TelegramResident, plain


async def settled(fake: FakeTelegram, chat: str, quiet: float = 1.5, timeout: float = 20) -> None:
    """Wait until the bot has not touched the chat for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = fake.activity.get(chat, 0), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the bot kept changing the chat"
        await asyncio.sleep(0.05)
        now = fake.activity.get(chat, 0)
        if now != last:
            last, since = now, time.monotonic()


async def tap(fake: FakeTelegram, erika: TelegramResident, label: str, times: int, gap: float) -> list[str]:
    """Tap one button of the message on screen `times` times; returns the callback query ids."""
    message = fake.last_message(erika.user_id)
    data = erika.data_of(label)
    updates = [fake.callback_update(erika.user_id, data, message.message_id) for _ in range(times)]
    for update in updates:
        await fake.push(update)
        await asyncio.sleep(gap)
    await settled(fake, erika.chat)
    return [update["callback_query"]["id"] for update in updates]


async def test_two_taps_on_submit_leave_the_confirmation(
    polling: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    erika = TelegramResident(fake, 5150)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Ideen nach Thema")
    await erika.presses("1. Mobilität")
    await erika.presses("Idee zu diesem Thema einreichen")
    await erika.presses("Einverstanden")
    await erika.says("Sitzbänke an jeder Bushaltestelle")
    await erika.says("Damit ältere Menschen beim Warten auf den Bus sitzen können.")
    await erika.presses("Aalen")
    callbacks = await tap(fake, erika, "✅ Absenden", times=2, gap=0.15)

    assert "Ihre Idee ist eingegangen" in plain(fake.last_message(erika.user_id).text)
    assert not any("nicht mehr aktuell" in plain(m.text) for m in fake.chats[erika.chat][-2:])
    assert set(callbacks) <= fake.answered_callbacks, "both taps are answered, so the app stops spinning"
    titles = store.run(lambda tx: tx.rows(select(idea_table.c.title)))
    assert titles.count(("Sitzbänke an jeder Bushaltestelle",)) == 1, "one idea, however often it was tapped"


async def test_ten_taps_on_support_leave_the_thanks(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    idea = seed_idea(store, "Trinkbrunnen in der Innenstadt")
    erika = TelegramResident(fake, 5151)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Ideen nach Thema")
    await erika.presses("1. Mobilität")
    await erika.presses("Ideen anzeigen")
    await erika.presses("Trinkbrunnen")
    callbacks = await tap(fake, erika, "👍", times=10, gap=0.0)

    assert "Danke! Sie unterstützen jetzt diese Idee." in plain(fake.last_message(erika.user_id).text)
    assert support_count(store, idea) == 1
    assert set(callbacks) <= fake.answered_callbacks
