"""A button pressed twice (a double tap, an impatient finger) keeps the answer to the first press."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select

from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from dialogs.messages import Identity, InboundKind
from storage.models import idea_table
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.helpers import resident, seed_idea, support_count
from tests.test_telegram import TelegramResident, plain
from tests.texts import DATA_DELETED, IDEA_RECEIVED, MENU_OUT_OF_DATE, city, de, de_start
from tests.web_helpers import WebResident, payload, text_of, web_client


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


async def to_mobility(erika: TelegramResident) -> None:
    """A new resident finds the Handlungsfeld Mobilität."""
    await erika.says("/start")
    for label in ("Deutsch", "Aalen", "Ideen nach Thema", "Mobilität"):
        await erika.presses(label)


async def test_two_taps_on_submit_leave_the_confirmation(
    polling: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    erika = TelegramResident(fake, 5150)
    await to_mobility(erika)
    await erika.presses(de("Submit an idea on this topic"))
    await erika.presses(de("I agree, let's start"))
    await erika.says("Sitzbänke an jeder Bushaltestelle")
    await erika.says("Damit ältere Menschen beim Warten auf den Bus sitzen können.")
    await erika.presses(city("aalen"))
    callbacks = await tap(fake, erika, de("✅ Submit"), times=2, gap=0.15)

    assert de_start(IDEA_RECEIVED) in plain(fake.last_message(erika.user_id).text)
    assert not any(de(MENU_OUT_OF_DATE) in plain(m.text) for m in fake.chats[erika.chat][-2:])
    assert set(callbacks) <= fake.answered_callbacks, "both taps are answered, so the app stops spinning"
    titles = store.run(lambda tx: tx.rows(select(idea_table.c.title)))
    assert titles.count(("Sitzbänke an jeder Bushaltestelle",)) == 1, "one idea, however often it was tapped"


async def test_ten_taps_on_support_leave_the_thanks(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    idea = seed_idea(store, "Trinkbrunnen in der Innenstadt")
    erika = TelegramResident(fake, 5151)
    await to_mobility(erika)
    await erika.presses(de("Show ideas"))
    await erika.presses("Trinkbrunnen")
    callbacks = await tap(fake, erika, "👍", times=10, gap=0.0)

    assert de("Thank you! You now support this idea.") in plain(fake.last_message(erika.user_id).text)
    assert support_count(store, idea) == 1
    assert set(callbacks) <= fake.answered_callbacks


async def test_the_same_button_later_is_out_of_date_again(engine: Engine, store: Store) -> None:
    """Quiet only for a moment: pressed again a minute later, the old menu says it is out of date."""
    erika = Chat(engine, "erika")
    await erika.onboard()
    settings = erika.button(de("Settings"))
    await erika.press_payload(settings)
    assert await erika.send(erika.inbound(InboundKind.BUTTON, settings)) == [], "a double tap, answered quietly"
    later = store.now() + timedelta(minutes=1)
    store.now = lambda: later  # type: ignore[method-assign]
    await erika.press_payload(settings)
    assert erika.sees(de(MENU_OUT_OF_DATE))


async def test_a_link_in_a_broadcast_opens_the_idea_every_time(engine: Engine, store: Store) -> None:
    idea = seed_idea(store, "Trinkbrunnen in der Innenstadt")
    erika = Chat(engine, "erika")
    await erika.onboard()
    for _ in range(2):
        answer = await erika.send(erika.inbound(InboundKind.BUTTON, f"l.idea_{idea}"))
        assert answer and "Trinkbrunnen in der Innenstadt" in answer[0].reply.plain_text


async def test_a_second_tab_that_presses_the_same_button_is_shown_where_the_resident_is(
    engine: Engine, store: Store
) -> None:
    async with web_client(engine) as client:
        first = WebResident(str(client.make_url("/")))
        try:
            await first.open()
            await first.presses("Deutsch")
            await first.presses(city("aalen"))
            second = WebResident(first.base)
            second.http.cookie_jar.update_cookies(first.http.cookie_jar.filter_cookies(client.make_url("/")))
            await second.open()
            settings = payload(second.frame, de("Settings"))
            await first.socket.send_json({"type": "button", "payload": settings})
            await first.next()
            await second.socket.send_json({"type": "button", "payload": settings})
            shown = await second.next()
            assert shown["buttons"], "the second tab gets a menu to go on with, not silence"
            assert de("Settings") in text_of(shown) and de(
                "This menu is out of date. Here is the current one."
            ) not in text_of(shown)
        finally:
            await first.close()
            await second.close()


async def test_two_taps_on_delete_leave_the_goodbye_and_no_record(
    polling: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    erika = TelegramResident(fake, 5152)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses(city("aalen"))
    await erika.says("/privacy")
    await erika.presses(de("Delete my data"))
    await tap(fake, erika, de("Yes, delete my data"), times=2, gap=0.15)

    assert de(DATA_DELETED) in plain(fake.last_message(erika.user_id).text)
    assert resident(store, Identity("telegram", "5152")) is None, "the second tap does not bring the record back"
