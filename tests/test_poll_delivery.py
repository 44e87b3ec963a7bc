"""A poll delivered through the real Telegram adapter and the local Bot API server:
sent with answer buttons, answered, changed, closed early, and tapped again after closing;
and a poll written in two languages, each resident reading theirs."""

from __future__ import annotations

from datetime import timedelta

from babel import Locale

from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE
from dialogs.flows.polls import bar
from storage import moderation as moderation_db
from storage import polls
from storage.models import ALL_CITIES, Role
from storage.store import Store
from storage.subscriptions import Audience
from tests.fake_telegram import FakeTelegram
from tests.helpers import start_broadcasts, wait_until_finished
from tests.test_broadcast_delivery import messages_with, subscriber, telegram_resident
from tests.test_telegram import TelegramResident, plain
from tests.texts import in_language

QUESTION = "Welcher Abend passt für die Werkstatt im Stadtgarten?"


async def test_answer_change_close_and_a_late_tap_on_telegram(
    engine: Engine, store: Store, fake: FakeTelegram, polling: TelegramAdapter
) -> None:
    service = await start_broadcasts(engine, [polling.transport()])
    try:
        erika = await telegram_resident(fake, 101, "Aalen", subscribe=True)
        max_ = await telegram_resident(fake, 102, "Aalen", subscribe=True)
        staff = await telegram_resident(fake, 900, "Aalen", subscribe=False)
        store.run(lambda tx: moderation_db.grant(tx, "telegram", "900", Role.STAFF, ALL_CITIES, "test", store.now()))
        await staff.says("/umfrage")
        await staff.says(QUESTION)
        await staff.says("Dienstag\nMittwoch\nDonnerstag")
        await staff.presses("Eine Antwort")
        await staff.presses("Neuigkeiten aus Aalen")
        closes = (store.now() + timedelta(days=2)).astimezone(ZONE).strftime("%d.%m.%Y %H:%M")
        await staff.says(closes)
        await staff.presses("Ja, anzeigen")
        await staff.presses("Ergebnis an Antwortende")
        assert staff.sees("im Moment genau 2 Personen")
        await staff.presses("Jetzt an 2 Personen senden")
        [poll] = store.run(lambda tx: polls.recent(tx))
        await wait_until_finished(store, poll.broadcast_id or 0)

        message = fake.last_message(101)
        assert QUESTION in plain(message.text)
        assert message.buttons == [
            [{"text": "Dienstag", "data": f"p.{poll.id}.0"}],
            [{"text": "Mittwoch", "data": f"p.{poll.id}.1"}],
            [{"text": "Donnerstag", "data": f"p.{poll.id}.2"}],
        ]
        poll_message = message.message_id

        await erika.presses("Mittwoch")
        assert erika.sees("Danke!") and erika.sees(f"Mittwoch: {bar(100)} 100 %")
        assert QUESTION in plain(fake.chats["101"][-2].text), "the poll's message stays, with its buttons"
        await max_.presses("Dienstag")
        await erika.presses_data(f"p.{poll.id}.0")  # changed her mind, on the poll's message
        assert erika.sees(f"Dienstag: {bar(100)} 100 %")
        totals = store.run(lambda tx: polls.totals(tx, poll))
        assert (totals.respondents, totals.counts) == (2, [2, 0, 0])

        await staff.says("/umfragen")
        await staff.presses(f"{poll.id} jetzt beenden")
        assert staff.sees("ist beendet")
        closed = store.run(lambda tx: polls.get(tx, poll.id))
        assert closed is not None
        await wait_until_finished(store, closed.result_broadcast_id or 0)
        for chat in (101, 102, 900):
            assert messages_with(fake, chat, f"Ergebnis der Umfrage Nr. {poll.id}") == 1
        assert f"Dienstag: {bar(100)} 100 %" in plain(fake.last_message(900).text)

        update = fake.callback_update(101, f"p.{poll.id}.2", poll_message, "de")
        await erika._after(fake.push(update))
        assert erika.sees("Diese Umfrage ist beendet.") and erika.sees(f"Dienstag: {bar(100)} 100 %")
        assert store.run(lambda tx: polls.totals(tx, poll)).counts == [2, 0, 0], "the late tap changed nothing"
    finally:
        await service.stop()


async def test_a_poll_in_english_and_german_on_telegram(
    engine: Engine, store: Store, fake: FakeTelegram, polling: TelegramAdapter
) -> None:
    english = "Which evening suits the workshop in the town garden?"
    for user_id, language in ((301, "en"), (302, "uk")):
        subscriber(store, user_id, language)
    now = store.now()
    poll_id = store.run(
        lambda tx: polls.create_poll(
            tx,
            author=("telegram", "900", "900", "de"),
            question=QUESTION,
            options=["Dienstag", "Mittwoch", "Donnerstag"],
            multiple=False,
            audience=Audience(city="aalen"),
            in_menu=False,
            show_interim=True,
            tell_answerers=False,
            opens_at=now,
            closes_at=now + timedelta(days=2),
            now=now,
            translations={"en": (english, ["Tuesday", "Wednesday", "Thursday"])},
        )
    )
    service = await start_broadcasts(engine, [polling.transport()])
    try:
        poll = store.run(lambda tx: polls.get(tx, poll_id))
        assert poll is not None
        await wait_until_finished(store, poll.broadcast_id or 0)

        message = fake.last_message(301)
        assert english in plain(message.text) and QUESTION not in plain(message.text)
        assert message.buttons == [
            [{"text": "Tuesday", "data": f"p.{poll_id}.0"}],
            [{"text": "Wednesday", "data": f"p.{poll_id}.1"}],
            [{"text": "Thursday", "data": f"p.{poll_id}.2"}],
        ]
        german = fake.last_message(302)
        ukrainian_note = in_language(
            "uk",
            "This message is only available in {language}; there is no translation of it.",
            language=Locale.parse("de").get_display_name(Locale.parse("uk")),
        )
        assert QUESTION in plain(german.text) and ukrainian_note in plain(german.text)
        assert german.buttons[1] == [{"text": "Mittwoch", "data": f"p.{poll_id}.1"}], "the same option, in German"

        reader = TelegramResident(fake, 301, "en")
        await reader.presses("Wednesday")
        assert reader.sees(in_language("en", "Thank you!")) and reader.sees(f"Wednesday: {bar(100)} 100 %")
        await TelegramResident(fake, 302, "uk").presses("Mittwoch")
        assert f"Mittwoch: {bar(100)} 100 %" in plain(fake.last_message(302).text)
        assert ukrainian_note in plain(fake.last_message(302).text)
        totals = store.run(lambda tx: polls.totals(tx, poll))
        assert (totals.respondents, totals.counts) == (2, [0, 2, 0]), "answers in both languages count together"
    finally:
        await service.stop()
