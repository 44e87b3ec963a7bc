"""Broadcasts delivered through the real adapters: the local Bot API server and the web chat.

A staff member composes on Telegram; residents on Telegram and in the web chat receive
exactly what their subscriptions say; a resident who blocked the bot is marked
unreachable; the staff member's progress message is edited to the final figures.
"""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.web.transport import WebTransport
from dialogs.engine import Engine
from dialogs.messages import Identity
from storage import moderation as moderation_db
from storage import outbox, personal_data, subscriptions
from storage.models import ALL_CITIES, Role
from storage.store import Store, Tx
from storage.subscriptions import Audience
from tests.fake_telegram import FakeTelegram
from tests.helpers import resident, seed_idea, start_broadcasts, subscribe_city_news, wait_until_finished
from tests.test_telegram import TelegramResident, plain
from tests.texts import city, de, de_start
from tests.web_helpers import WebResident, payload, text_of, web_client

NEWS = "Ab Montag fahren die Stadtbusse in Aalen alle zehn Minuten."


async def web_resident(client: TestClient, subscribe: bool) -> WebResident:  # type: ignore[type-arg]
    person = WebResident(str(client.make_url("/")))
    await person.open()
    await person.presses("Deutsch")
    await person.presses("Aalen")
    if subscribe:
        await subscribe_city_news(person.presses)
    return person


async def telegram_resident(fake: FakeTelegram, user_id: int, city: str, subscribe: bool) -> TelegramResident:
    person = TelegramResident(fake, user_id)
    await person.says("/start")
    await person.presses("Deutsch")
    await person.presses(city)
    if subscribe:
        await subscribe_city_news(person.presses, city)
    return person


def messages_with(fake: FakeTelegram, chat: int, text: str) -> int:
    return sum(text in plain(m.text) for m in fake.chats.get(str(chat), []))


async def test_a_broadcast_reaches_exactly_its_audience_on_telegram_and_the_web(
    engine: Engine, store: Store, fake: FakeTelegram, polling: TelegramAdapter
) -> None:
    idea = seed_idea(store)
    async with web_client(engine) as client:
        service = await start_broadcasts(engine, [WebTransport(client.server.app, 50.0), polling.transport()])
        web_people: list[WebResident] = []
        try:
            aalen = await telegram_resident(fake, 101, "Aalen", subscribe=True)
            await telegram_resident(fake, 102, "Heidenheim", subscribe=True)
            await telegram_resident(fake, 103, "Aalen", subscribe=False)
            blocker = await telegram_resident(fake, 104, "Aalen", subscribe=True)
            fake.blocked.add("104")
            web_people += [await web_resident(client, subscribe) for subscribe in (True, True, False)]
            open_page, closed_page, not_subscribed = web_people
            await closed_page.close_page()

            staff = await telegram_resident(fake, 900, "Aalen", subscribe=False)
            store.run(
                lambda tx: moderation_db.grant(tx, "telegram", "900", Role.STAFF, ALL_CITIES, "test", store.now())
            )
            await staff.says("/broadcast")
            await staff.says(NEWS)
            assert "Neuigkeiten aus Aalen (4)" in staff.labels()
            await staff.presses(de("News from {city}", city=city("aalen")))
            assert staff.sees("im Moment genau 4 Personen")
            await staff.presses(de("Button to an idea"))
            await staff.says(str(idea))
            await staff.presses(de("To the idea"))
            await staff.presses("Jetzt an 4 Personen senden")
            finished = await wait_until_finished(store, 1)

            assert finished.total == 4
            assert messages_with(fake, 101, NEWS) == 1
            assert messages_with(fake, 102, NEWS) == messages_with(fake, 103, NEWS) == 0
            assert messages_with(fake, 104, NEWS) == 0 and fake.refusals[-1][1].startswith("Forbidden")
            news = fake.last_message(101)
            assert news.buttons == [[{"text": de("To the idea"), "data": f"l.idea_{idea}"}]]
            assert de("You receive this because you subscribed to news. To stop: /stop") in plain(news.text)
            blocked = resident(store, Identity("telegram", str(blocker.user_id)))
            assert blocked is not None and blocked.unreachable_since is not None

            frame = await open_page.next()
            assert NEWS in text_of(frame) and frame["notification"] is True
            assert payload(frame, de("To the idea")) == f"l.idea_{idea}"
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

            await aalen.presses(de("To the idea"))
            assert aalen.sees("Echtzeit-Anzeigen an Bushaltestellen")
            assert messages_with(fake, 101, NEWS) == 1, "the news stays; the idea comes as a new message"
        finally:
            await service.stop()
            for person in web_people:
                await person.close()


async def test_a_resident_erased_while_a_broadcast_is_on_its_way_gets_nothing(
    engine: Engine, store: Store, fake: FakeTelegram, polling: TelegramAdapter
) -> None:
    """Rows already claimed by the sender are checked again just before each send."""
    people = [await telegram_resident(fake, user_id, "Aalen", subscribe=True) for user_id in (201, 202, 203)]
    erased = [resident(store, Identity("telegram", str(person.user_id))).id for person in people[1:]]

    async def erase_the_others_meanwhile(params: dict[str, object]) -> None:
        if NEWS in str(params.get("text")) and str(params.get("chat_id")) == "201":
            for rid in erased:
                await asyncio.to_thread(store.run, lambda tx, rid=rid: personal_data.erase_resident(tx, rid))

    fake.on_send = erase_the_others_meanwhile
    service = await start_broadcasts(engine, [polling.transport()], concurrency=1)
    try:
        broadcast = store.run(
            lambda tx: outbox.create_broadcast(
                tx,
                author=("telegram", "900", "900", "de"),
                text=NEWS,
                audience=Audience(city="aalen"),
                idea_id=None,
                button=None,
                send_at=store.now(),
                now=store.now(),
            )
        )
        await wait_until_finished(store, broadcast)
    finally:
        await service.stop()
    assert messages_with(fake, 201, NEWS) == 1
    assert messages_with(fake, 202, NEWS) == messages_with(fake, 203, NEWS) == 0


def subscriber(store: Store, user_id: int, language: str) -> None:
    """A resident of Aalen on Telegram who reads `language` and subscribed to the city's news."""

    def work(tx: Tx) -> None:
        record = tx.load_or_create_resident("telegram", str(user_id), str(user_id), "menu", store.now())
        record.city, record.language = "aalen", language
        tx.save_resident(record, store.now())
        subscriptions.subscribe(tx, record.id, subscriptions.CITY, store.now())

    store.run(work)


async def test_staff_write_a_broadcast_in_two_languages_and_each_resident_reads_theirs(
    engine: Engine, store: Store, fake: FakeTelegram, polling: TelegramAdapter
) -> None:
    english_news = "From Monday the city buses in Aalen run every ten minutes."
    for user_id, language in ((301, "de"), (302, "en"), (303, "tr")):
        subscriber(store, user_id, language)
    service = await start_broadcasts(engine, [polling.transport()])
    try:
        staff = await telegram_resident(fake, 900, "Aalen", subscribe=False)
        store.run(lambda tx: moderation_db.grant(tx, "telegram", "900", Role.STAFF, ALL_CITIES, "test", store.now()))
        await staff.says("/broadcast")
        await staff.says(NEWS)
        await staff.presses(de("News from {city}", city=city("aalen")))
        await staff.presses(de("Add a text in another language"))
        assert "Deutsch" not in staff.labels(), "the language it is written in is not offered again"
        await staff.presses("English")
        await staff.says("Zu kurz")
        assert staff.sees(de_start("Your text has {length} characters. Please write at least {minimum}."))
        await staff.says(english_news)
        assert staff.sees("Auch geschrieben auf: English")
        await staff.presses("Jetzt an 3 Personen senden")
        await wait_until_finished(store, 1)
    finally:
        await service.stop()
    assert messages_with(fake, 301, NEWS) == 1 and messages_with(fake, 301, english_news) == 0
    english = fake.last_message(302)
    assert english_news in plain(english.text) and NEWS not in plain(english.text)
    assert "only available" not in plain(english.text), "no note where the resident's language was written"
    turkish = plain(fake.last_message(303).text)
    assert NEWS in turkish, "a language nobody wrote: the message as written"
    assert (
        engine.languages.get("tr")
        .gettext("This message is only available in {language}; there is no translation of it.")
        .split("{")[0]
        in turkish
    )
    assert store.run(lambda tx: outbox.translations(tx, 1)) == {"en": english_news}
