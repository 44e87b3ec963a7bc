"""Quick polls in several languages: staff write the poll in further languages, each resident reads
their own version (or the original with a short note), and answers in every language count together.

The first test is a web chat transcript: staff compose a poll with an English and a Turkish
version; residents reading English, Turkish, Ukrainian and German receive it, answer, and get the
result in their language when it closes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from babel import Locale
from sqlalchemy import event, insert

from bot.adapters.web.transport import WebTransport
from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE
from dialogs.flows.polls import bar
from storage import outbox, polls
from storage.models import conversation_table, resident_table, subscription_table
from storage.store import Store
from storage.subscriptions import CITY, Audience
from tests.chat import Chat
from tests.helpers import start_broadcasts, wait_until_finished
from tests.test_broadcast_compose import make_staff
from tests.texts import city, de, de_plural, de_start, in_language, languages, plural_in_language
from tests.web_helpers import WebResident, payload, text_of, web_client

QUESTION = "Welcher Abend passt Ihnen für die Werkstatt im Stadtgarten?"
OPTIONS = ["Dienstag", "Mittwoch", "Donnerstag"]
ENGLISH = "Which evening suits you for the workshop in the town garden?"
ENGLISH_OPTIONS = ["Tuesday", "Wednesday", "Thursday"]
TURKISH = "Şehir bahçesindeki atölye için hangi akşam size uygun?"
TURKISH_OPTIONS = ["Salı", "Çarşamba", "Perşembe"]
NO_TRANSLATION = "This message is only available in {language}; there is no translation of it."
STEP = "{language}: step {number} of {count}"
ANSWERED = ("{count} person answered.", "{count} people answered.")


def note(code: str, written_in: str = "de") -> str:
    """The note a reader of `code` gets with a text written only in `written_in`."""
    name = Locale.parse(written_in).get_display_name(Locale.parse(code))
    return in_language(code, NO_TRANSLATION, language=name)


def share(label: str, percent: int) -> str:
    return f"{label}: {bar(percent)} {percent} %"


def closing(store: Store, days: int = 7) -> str:
    return (store.now() + timedelta(days=days)).astimezone(ZONE).strftime("%d.%m.%Y %H:%M")


async def web_resident_in(client: TestClient, code: str) -> WebResident:  # type: ignore[type-arg]
    """A web chat resident of Aalen who reads `code` and subscribed to the city's news, in that language."""
    person = WebResident(str(client.make_url("/")))
    await person.open()
    await person.presses(languages().get(code).name)
    await person.presses(city("aalen", code))
    news = in_language(code, "News from {city}", city=city("aalen", code))
    for label in ("Settings", "News subscriptions", None, "Done", "Back"):
        await person.presses(f"☐ {news}" if label is None else in_language(code, label))
    return person


async def write_in(staff: Chat, language: str, question: str, options: list[str]) -> None:
    """From the preview: add the poll in `language`, the question first, then each option."""
    await staff.presses(de("Add a text in another language"))
    await staff.presses(language)
    await staff.says(question)
    for option in options:
        await staff.says(option)


async def test_a_poll_in_english_and_turkish_in_the_web_chat(engine: Engine, store: Store) -> None:
    async with web_client(engine) as client:
        service = await start_broadcasts(engine, [WebTransport(client.server.app, 50.0)])
        people = {code: await web_resident_in(client, code) for code in ("en", "tr", "uk", "de")}
        try:
            anna = Chat(engine, "anna")
            await anna.onboard()
            make_staff(store, anna)
            await anna.says("/umfrage")
            await anna.says(QUESTION)
            await anna.says("\n".join(OPTIONS))
            await anna.presses(de("One option"))
            await anna.presses(de("All subscribers"))
            await anna.says(closing(store))
            await anna.presses(de("Yes, show them"))
            await anna.presses(de("Result to those who answered"))
            assert anna.sees(de("Residents of other languages get it as written, with a note in their language."))

            await anna.presses(de("Add a text in another language"))
            assert "Deutsch" not in anna.labels(), "the poll's own language is not offered again"
            await anna.presses("English")
            assert anna.sees(de(STEP, language="English", number=1, count=4)) and anna.sees(QUESTION)
            await anna.says("Evening?")
            assert anna.sees(de_start("Your text has {length} characters. Please write at least {minimum}."))
            await anna.says(ENGLISH)
            assert anna.sees(de(STEP, language="English", number=2, count=4)) and anna.sees("Dienstag")
            await anna.says("Tuesday")
            await anna.says(" tuesday ")
            assert anna.sees(de("You have typed this option already. Please type a different one."))
            await anna.says("Wednesday, or whichever evening most people can come")
            assert anna.sees(de_start("Your text has {length} characters. Please shorten it to at most {maximum}."))
            await anna.says("Wednesday\nThursday")
            assert anna.sees(de("Please type only this one option, in one line."))
            await anna.says("Wensday")
            assert anna.sees(de(STEP, language="English", number=4, count=4)) and anna.sees("Donnerstag")
            await anna.presses(de("Back"))
            assert anna.sees(de(STEP, language="English", number=3, count=4)) and anna.sees("Mittwoch")
            await anna.says("Wednesday")
            await anna.says("Thursday")
            assert anna.sees(de("Preview")) and anna.sees(de("Also written in: {languages}", languages="English"))

            await write_in(anna, "Türkçe", TURKISH, TURKISH_OPTIONS)
            assert anna.sees(de("Also written in: {languages}", languages="English, Türkçe"))
            await anna.presses(de("Add a text in another language"))
            await anna.presses("✓ English")
            assert anna.sees(de("So far:")) and anna.sees("Wednesday")
            await anna.presses(de("Remove this language"))
            assert anna.sees(de("Also written in: {languages}", languages="Türkçe"))
            await write_in(anna, "English", ENGLISH, ENGLISH_OPTIONS)
            assert anna.sees(de("Also written in: {languages}", languages="English, Türkçe"))
            assert anna.sees(QUESTION) and not anna.sees(ENGLISH), "the preview shows the poll as written"
            await anna.presses(de_plural("Send now to {count} person", "Send now to {count} people", 4))
            [poll] = store.run(lambda tx: polls.recent(tx))
            assert (poll.question, poll.options, poll.author_language) == (QUESTION, OPTIONS, "de")

            received = {code: await person.next() for code, person in people.items()}
            assert ENGLISH in text_of(received["en"]) and QUESTION not in text_of(received["en"])
            assert [payload(received["en"], label) for label in ENGLISH_OPTIONS] == [
                f"p.{poll.id}.{index}" for index in range(3)
            ], "a button carries the option's number, never its text"
            assert TURKISH in text_of(received["tr"]) and payload(received["tr"], "Salı") == f"p.{poll.id}.0"
            assert QUESTION in text_of(received["uk"]) and note("uk") in text_of(received["uk"])
            assert payload(received["uk"], "Dienstag") == f"p.{poll.id}.0"
            assert QUESTION in text_of(received["de"]) and note("de") not in text_of(received["de"])
            for code in ("en", "tr", "de"):
                assert "only available" not in text_of(received[code]) and note(code) not in text_of(received[code])

            await people["tr"].presses("Salı")
            assert in_language("tr", "Thank you!") in text_of(people["tr"].frame)
            assert share("Salı", 100) in text_of(people["tr"].frame)
            await people["de"].presses("Dienstag")
            assert share("Dienstag", 100) in text_of(people["de"].frame), "Turkish and German answers count together"
            assert de_plural(*ANSWERED, 2) in text_of(people["de"].frame)
            await people["en"].presses("Wednesday")
            english = text_of(people["en"].frame)
            assert share("Tuesday", 67) in english and share("Wednesday", 33) in english
            await people["uk"].presses("Donnerstag")
            ukrainian = text_of(people["uk"].frame)
            assert (
                note("uk") in ukrainian and share("Donnerstag", 25) in ukrainian and share("Dienstag", 50) in ukrainian
            )
            totals = store.run(lambda tx: polls.totals(tx, poll))
            assert (totals.respondents, totals.counts) == (4, [2, 1, 1])

            await anna.says("/umfragen")
            assert anna.sees(QUESTION) and anna.sees("Dienstag: 2 (50 %)"), "staff see the poll as written"
            await anna.presses(de("Close {number} now", number=poll.id))
            results = {code: text_of(await person.next()) for code, person in people.items()}
            for code, label in (("en", "Tuesday"), ("tr", "Salı"), ("uk", "Dienstag"), ("de", "Dienstag")):
                assert in_language(code, "Result of poll no. {number}", number=poll.id) in results[code]
                assert share(label, 50) in results[code], code
                assert plural_in_language(code, *ANSWERED, 4) in results[code]
            assert ENGLISH in results["en"] and TURKISH in results["tr"]
            assert QUESTION in results["uk"] and note("uk") in results["uk"]
            assert note("de") not in results["de"]
        finally:
            await service.stop()
            for person in people.values():
                await person.close()


async def _menu_poll(anna: Chat, store: Store) -> polls.PollRecord:
    """A poll only in the menu, written in German with a Turkish version."""
    await anna.says("/umfrage")
    await anna.says(QUESTION)
    await anna.says("\n".join(OPTIONS))
    await anna.presses(de("One option"))
    await anna.presses(de("Only in the menu ({where}), no message", where="Aalen und Heidenheim"))
    await anna.says(closing(store))
    await anna.presses(de("No, only at the end"))
    await write_in(anna, "Türkçe", TURKISH, TURKISH_OPTIONS)
    await anna.presses(de("Open the poll now"))
    [poll] = store.run(lambda tx: polls.recent(tx))
    return poll


async def test_current_polls_in_the_menu_in_each_language(engine: Engine, store: Store) -> None:
    anna = Chat(engine, "anna")
    await anna.onboard()
    make_staff(store, anna)
    poll = await _menu_poll(anna, store)
    turkish, ukrainian = Chat(engine, "ayse"), Chat(engine, "olena")
    await turkish.onboard("Türkçe", city("aalen", "tr"))
    await ukrainian.onboard(languages().get("uk").name, city("aalen", "uk"))

    await turkish.presses(in_language("tr", "Current polls"))
    assert TURKISH in turkish.labels() and not turkish.sees(note("tr"))
    await turkish.presses(TURKISH)
    assert turkish.sees(TURKISH) and turkish.labels()[:3] == TURKISH_OPTIONS
    await turkish.presses("Çarşamba")
    assert turkish.sees(in_language("tr", "Thank you!")) and not turkish.sees("%"), "no interim results"
    assert f"✓ {TURKISH_OPTIONS[1]}" in turkish.labels()

    await ukrainian.presses(in_language("uk", "Current polls"))
    assert ukrainian.sees(note("uk")) and QUESTION in ukrainian.labels()
    await ukrainian.presses(QUESTION)
    assert ukrainian.sees(note("uk")) and ukrainian.labels()[:3] == OPTIONS
    await ukrainian.presses("Mittwoch")
    assert store.run(lambda tx: polls.totals(tx, poll)).counts == [0, 2, 0], "both answers are the second option"

    store.run(lambda tx: polls.close(tx, poll.id, store.now()))
    await turkish.presses("Salı")
    assert turkish.sees(in_language("tr", "This poll has ended.")) and turkish.sees(share("Çarşamba", 100))
    assert store.run(lambda tx: polls.totals(tx, poll)).counts == [0, 2, 0], "a late tap changes nothing"


async def test_changed_options_drop_the_other_languages(engine: Engine, store: Store) -> None:
    """An option's number must mean the same in every language: new options need new texts."""
    anna = Chat(engine, "anna")
    await anna.onboard()
    make_staff(store, anna)
    await anna.says("/umfrage")
    await anna.says(QUESTION)
    await anna.says("\n".join(OPTIONS))
    await anna.presses(de("One option"))
    await anna.presses(de("Only in the menu ({where}), no message", where="Aalen"))
    await anna.says(closing(store))
    await anna.presses(de("Yes, show them"))
    await write_in(anna, "English", ENGLISH, ENGLISH_OPTIONS)
    await anna.presses(de("Edit the question"))
    await anna.says("Welcher Abend passt Ihnen für die Werkstatt?")
    assert anna.sees(de("Also written in: {languages}", languages="English")), "a new question keeps them"
    assert anna.sees(
        de("The question has changed. Please check it in the other languages too: {languages}", languages="English")
    ), "but staff are asked to check them: an English reader would otherwise answer the old question"
    await anna.presses(de("Edit the options"))
    await anna.says("Dienstag\nMittwoch")
    assert anna.sees(
        de("The options have changed, so the texts in other languages were removed. Please add them again.")
    )
    assert anna.sees(de("Residents of other languages get it as written, with a note in their language."))
    await anna.presses(de("Add a text in another language"))
    await anna.presses("English")
    assert anna.sees(de(STEP, language="English", number=1, count=3))
    await anna.presses(de("Discard"))
    assert anna.sees(de("The poll was discarded and not sent.")) and store.run(lambda tx: polls.recent(tx)) == []


def test_the_store_keeps_each_language_and_falls_back_to_the_original(store_url: str) -> None:
    store = Store(store_url)
    now = store.now()

    def create(tx: polls.Tx, translations: dict[str, tuple[str, list[str]]]) -> int:
        return polls.create_poll(
            tx,
            author=("test", "staff", "staff", "de"),
            question=QUESTION,
            options=OPTIONS,
            multiple=False,
            audience=Audience(),
            in_menu=False,
            show_interim=True,
            tell_answerers=False,
            opens_at=now,
            closes_at=now + timedelta(days=1),
            now=now,
            translations=translations,
        )

    try:
        written = {"en": (ENGLISH, ENGLISH_OPTIONS), "tr": (TURKISH, TURKISH_OPTIONS)}
        poll_id = store.run(lambda tx: create(tx, written))
        poll = store.run(lambda tx: polls.get(tx, poll_id))
        assert poll is not None
        assert store.run(lambda tx: polls.translations(tx, poll_id)) == {
            "en": polls.Wording("en", ENGLISH, ENGLISH_OPTIONS),
            "tr": polls.Wording("tr", TURKISH, TURKISH_OPTIONS),
        }
        assert store.run(lambda tx: polls.wording(tx, poll, "tr")) == polls.Wording("tr", TURKISH, TURKISH_OPTIONS)
        assert store.run(lambda tx: polls.wording(tx, poll, "uk")) == polls.Wording("de", QUESTION, OPTIONS)
        assert store.run(lambda tx: polls.wording(tx, poll, "de")) == polls.Wording("de", QUESTION, OPTIONS)
        with pytest.raises(ValueError):
            store.run(lambda tx: create(tx, {"en": (ENGLISH, ENGLISH_OPTIONS[:2])}))
        with pytest.raises(ValueError):
            store.run(lambda tx: create(tx, {"de": (QUESTION, OPTIONS)}))
        assert [p.id for p in store.run(lambda tx: polls.recent(tx))] == [poll_id], "nothing half-written stays"
    finally:
        store.dispose()


async def test_the_sender_reads_a_poll_once_per_language(engine: Engine, store: Store) -> None:
    """A poll to many goes out at a message's rate: the sender reads its texts once per language,
    also while several sends of the first recipients are on their way at once."""
    now = store.now()
    languages_of = ["en", "tr", "de"]
    people = [
        {"id": 1000 + n, "platform": "web", "user_id": f"reader-{n}", "chat_id": f"reader-{n}",
         "language": languages_of[n % 3], "city": "aalen", "created_at": now}
        for n in range(48)
    ]  # fmt: skip
    with store.engine.begin() as connection:
        connection.execute(insert(resident_table), people)
        connection.execute(
            insert(conversation_table),
            [
                {"resident_id": p["id"], "state": "menu", "context": "{}", "version": 0, "updated_at": now}
                for p in people
            ],
        )
        connection.execute(
            insert(subscription_table), [{"resident_id": p["id"], "topic": CITY, "created_at": now} for p in people]
        )
    read: list[str] = []

    def watch(connection: Any, _record: object, _proxy: object) -> None:  # the store's SQLite connections
        connection.set_trace_callback(
            lambda statement: read.append(statement) if "poll_translation" in statement else None
        )

    def unwatch(connection: Any, _record: object) -> None:
        connection.set_trace_callback(None)

    poll_id = store.run(
        lambda tx: polls.create_poll(
            tx,
            author=("web", "staff", "staff", "de"),
            question=QUESTION,
            options=OPTIONS,
            multiple=False,
            audience=Audience(city="aalen"),
            in_menu=False,
            show_interim=True,
            tell_answerers=False,
            opens_at=now,
            closes_at=now + timedelta(days=1),
            now=now,
            translations={"en": (ENGLISH, ENGLISH_OPTIONS)},
        )
    )
    poll = store.run(lambda tx: polls.get(tx, poll_id))
    assert poll is not None and poll.broadcast_id is not None
    event.listen(store.engine, "checkout", watch)
    event.listen(store.engine, "checkin", unwatch)
    try:
        async with web_client(engine) as client:
            service = await start_broadcasts(engine, [WebTransport(client.server.app, 1000.0)], concurrency=16)
            try:
                await wait_until_finished(store, poll.broadcast_id)
            finally:
                await service.stop()
    finally:
        event.remove(store.engine, "checkout", watch)
        event.remove(store.engine, "checkin", unwatch)
    assert store.run(lambda tx: outbox.figures(tx, poll.broadcast_id or 0)).sent == 48
    assert len(read) == 2, "English and Turkish readers: each version read once (German is the poll's own)"
