"""Quick polls: staff compose them in the chat, residents answer with one tap, change, and see the result."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.poll_export import export_rows
from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE
from dialogs.flows.polls import bar
from storage import moderation as moderation_db
from storage import outbox, personal_data
from storage import polls as polls_db
from storage.models import ALL_CITIES, Role
from storage.store import Store
from tests.chat import Chat
from tests.test_broadcast_compose import make_staff, subscribers
from tests.test_console import number_of

QUESTION = "Welches Projekt soll Aalen zuerst angehen?"
OPTIONS = "Stadtpark\nRadweg\nBusanzeige"


def closing(store: Store, days: int = 7) -> str:
    return (store.now() + timedelta(days=days)).astimezone(ZONE).strftime("%d.%m.%Y %H:%M")


def all_polls(store: Store) -> list[polls_db.PollRecord]:
    return store.run(lambda tx: polls_db.recent(tx))


@pytest.fixture
async def anna(engine: Engine, store: Store) -> Chat:
    chat = Chat(engine, "anna")
    await chat.onboard()
    make_staff(store, chat)
    return chat


async def compose(staff: Chat, store: Store, audience: str, *, interim: str = "Ja, anzeigen") -> None:
    await staff.says("/umfrage")
    await staff.says(QUESTION)
    await staff.says(OPTIONS)
    await staff.presses("Eine Antwort")
    await staff.presses(audience)
    await staff.says(closing(store))
    await staff.presses(interim)


async def test_residents_may_not_start_a_poll(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.says("/umfrage")
    assert erika.sees("Das dürfen Sie leider nicht.")
    await erika.says("/poll")
    await erika.says("/umfragen")
    assert erika.sees("Das dürfen Sie leider nicht.")
    entries = store.run(lambda tx: moderation_db.audit_entries(tx, "test:erika"))
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("poll", "refused"),
        ("poll", "refused"),
        ("polls", "refused"),
    ]


async def test_compose_with_checks_preview_and_exact_count(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1", "a2", "a3"])
    await subscribers(engine, ["h1"], city="Heidenheim")
    await anna.says("/poll")
    assert anna.sees("Neue Umfrage")
    await anna.says("Warum?")
    assert anna.sees("Bitte schreiben Sie mindestens 10"), "too short is explained"
    await anna.says(QUESTION)
    await anna.says("Nur eine Antwort")
    assert anna.sees("Bitte schreiben Sie 2 bis 6 verschiedene Antworten")
    await anna.says("\n".join(["Eine Antwort, die viel zu lang ist für eine kurze Umfrage", "Kurz"]))
    assert anna.sees("höchstens 40 Zeichen")
    await anna.says("\n".join(str(n) for n in range(7)))
    assert anna.sees("Bitte schreiben Sie 2 bis 6 verschiedene Antworten")
    await anna.says(OPTIONS)
    await anna.presses("Mehrere Antworten")
    assert anna.labels()[:3] == [
        "Alle Abonnierenden (4)",
        "Neuigkeiten aus Aalen (3)",
        "Neuigkeiten aus Heidenheim (1)",
    ]
    await anna.presses("Neuigkeiten aus Aalen")
    await anna.says("morgen")
    assert anna.sees("Bitte geben Sie einen Zeitpunkt in den nächsten 90 Tagen ein")
    await anna.says(closing(store, days=91))
    assert anna.sees("Bitte geben Sie einen Zeitpunkt in den nächsten 90 Tagen ein"), "at most 90 days ahead"
    await anna.says(closing(store))
    await anna.presses("Nein, erst am Ende")
    assert anna.sees("Vorschau") and anna.sees(QUESTION) and anna.sees("Radweg")
    assert anna.sees("Sie können mehrere Antworten wählen.")
    assert anna.sees("Empfänger: Neuigkeiten aus Aalen, im Moment genau 3 Personen")
    assert anna.sees("Zwischenstand nach dem Antworten: nein")
    await anna.presses("Frage ändern")
    await anna.says("Welches Projekt soll die Stadt zuerst angehen?")
    assert anna.sees("Vorschau"), "a change leads back to the preview"
    await anna.presses("Ergebnis an Antwortende")
    assert anna.sees("Ergebnis an alle, die geantwortet haben: ja")
    await anna.presses("Jetzt an 3 Personen senden")
    assert anna.sees("Umfrage Nr. 1 wird gesendet")
    [poll] = all_polls(store)
    assert poll.question == "Welches Projekt soll die Stadt zuerst angehen?"
    assert poll.options == ["Stadtpark", "Radweg", "Busanzeige"] and poll.multiple and poll.tell_answerers
    assert (poll.audience_city, poll.in_menu, poll.show_interim) == ("aalen", False, False)
    sent = store.run(lambda tx: outbox.get(tx, poll.broadcast_id or 0))
    assert sent is not None and sent.poll_id == poll.id, "a poll goes out as a broadcast"
    assert store.run(lambda tx: outbox.promote_due(tx, store.now())) == [(sent.id, 3)]
    entries = store.run(lambda tx: moderation_db.audit_entries(tx, "test:anna"))
    assert ("poll", "poll:1", "done") in [(e["action"], e["object"], e["outcome"]) for e in entries]


async def test_the_role_is_checked_again_when_sending(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1"])
    await compose(anna, store, "Neuigkeiten aus Aalen")
    store.run(lambda tx: moderation_db.revoke(tx, "test", "anna", Role.STAFF, ALL_CITIES))
    await anna.presses("Jetzt an 1 Person senden")
    assert anna.sees("Das dürfen Sie leider nicht.")
    assert all_polls(store) == []


async def test_answer_change_close_and_a_late_tap(anna: Chat, engine: Engine, store: Store) -> None:
    a1, a2, a3 = await subscribers(engine, ["a1", "a2", "a3"])
    [h1] = await subscribers(engine, ["h1"], city="Heidenheim")
    await compose(anna, store, "Neuigkeiten aus Aalen")
    await anna.presses("Ergebnis an Antwortende")
    await anna.presses("Jetzt an")
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    [poll] = all_polls(store)

    await a1.press_payload(f"p.{poll.id}.0")
    assert a1.sees("Danke!")
    assert a1.sees(f"Stadtpark: {bar(100)} 100 %") and a1.sees("1 Person hat geantwortet.")
    await a2.press_payload(f"p.{poll.id}.1")
    await a3.press_payload(f"p.{poll.id}.1")
    assert a3.sees(f"Radweg: {bar(67)} 67 %") and a3.sees(f"Stadtpark: {bar(33)} 33 %")
    assert bar(58) == "██████░░░░"
    await a1.presses("Radweg")
    assert a1.sees("Danke!") and a1.sees(f"Radweg: {bar(100)} 100 %")
    assert "✓ Radweg" in a1.labels() and "Stadtpark" in a1.labels(), "one answer, changed"

    await h1.press_payload(f"p.{poll.id}.0")
    assert h1.sees("Dieses Menü ist nicht mehr aktuell"), "a poll that was not sent to her"
    totals = store.run(lambda tx: polls_db.totals(tx, poll))
    assert (totals.respondents, totals.counts) == (3, [0, 3, 0])

    await anna.says("/umfragen")
    assert anna.sees("Umfrage Nr. 1 – offen bis") and anna.sees("Radweg: 3 (100 %)") and anna.sees("Antworten: 3")
    await anna.presses("1 jetzt beenden")
    assert anna.sees("Umfrage Nr. 1 ist beendet. Das Ergebnis ist unterwegs.")
    closed = store.run(lambda tx: polls_db.get(tx, poll.id))
    assert closed is not None and not closed.is_open and closed.result_broadcast_id is not None
    result = store.run(lambda tx: outbox.get(tx, closed.result_broadcast_id or 0))
    assert result is not None and result.total == 4, "the author and the three who answered get the result"

    await a2.press_payload(f"p.{poll.id}.0")
    assert a2.sees("Diese Umfrage ist beendet.") and a2.sees(f"Radweg: {bar(100)} 100 %")
    totals = store.run(lambda tx: polls_db.totals(tx, poll))
    assert totals.counts == [0, 3, 0], "a late tap changes nothing"
    entries = store.run(lambda tx: moderation_db.audit_entries(tx, "test:anna"))
    assert ("poll_close", "poll:1", "done") in [(e["action"], e["object"], e["outcome"]) for e in entries]


async def test_multiple_choice_taps_toggle_and_reactions_count(anna: Chat, engine: Engine, store: Store) -> None:
    [fan] = await subscribers(engine, ["fan"])
    await anna.says("/umfrage")
    await anna.says(QUESTION)
    await anna.says(OPTIONS)
    await anna.presses("Mehrere Antworten")
    await anna.presses("Alle Abonnierenden")
    await anna.says(closing(store))
    await anna.presses("Nein, erst am Ende")
    await anna.presses("Jetzt an 1 Person senden")
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    [poll] = all_polls(store)
    await fan.press_payload(f"p.{poll.id}.0")
    await fan.press_payload(f"p.{poll.id}.2")
    assert fan.sees("Danke!") and not fan.sees("%"), "no interim results when the author said no"
    assert fan.sees("Sie können Ihre Antwort bis")
    assert store.run(lambda tx: polls_db.choices_of(tx, poll.id, 2)) == 0b101
    await fan.press_payload(f"p.{poll.id}.0")
    assert store.run(lambda tx: polls_db.choices_of(tx, poll.id, 2)) == 0b100
    await fan.press_payload(f"p.{poll.id}.2.a")
    assert fan.sees("Dieses Menü ist nicht mehr aktuell"), "a reaction is not a button"
    totals = store.run(lambda tx: polls_db.totals(tx, poll))
    assert (totals.respondents, totals.counts) == (1, [0, 0, 1])


async def test_only_in_the_menu_on_the_console(engine: Engine, store: Store) -> None:
    """A console transcript: staff open a poll in the menu; a resident finds it there and answers."""
    staff = ConsoleAdapter(context_for(engine), "anna", write=lambda _text: None)
    out = await staff.say("/start")
    out = await staff.say(number_of(out, "Deutsch"))
    out = await staff.say(number_of(out, "Aalen"))
    store.run(lambda tx: moderation_db.grant(tx, "console", "anna", Role.STAFF, "aalen", "test", store.now()))
    out = await staff.say("/umfrage")
    out = await staff.say(QUESTION)
    out = await staff.say(OPTIONS)
    out = await staff.say(number_of(out, "Eine Antwort"))
    assert "Alle Abonnierenden" not in out, "staff of one city reach only their city"
    out = await staff.say(number_of(out, "Nur im Menü (Aalen)"))
    out = await staff.say(closing(store))
    out = await staff.say(number_of(out, "Ja, anzeigen"))
    assert "Empfänger: niemand bekommt eine Nachricht; im Menü (Aalen)" in out
    out = await staff.say(number_of(out, "Umfrage jetzt öffnen"))
    assert "Umfrage Nr. 1 ist jetzt im Menü unter „Aktuelle Umfragen“ offen." in out

    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "Aktuelle Umfragen"))
    out = await erika.say(number_of(out, QUESTION))
    assert "Bitte wählen Sie eine Antwort." in out
    out = await erika.say(number_of(out, "Busanzeige"))
    assert "Danke!" in out and f"Busanzeige: {bar(100)} 100 %" in out
    out = await erika.say(number_of(out, "Stadtpark"))
    assert f"Stadtpark: {bar(100)} 100 %" in out and f"Busanzeige: {bar(0)} 0 %" in out

    max_ = ConsoleAdapter(context_for(engine), "max", write=lambda _text: None)
    out = await max_.say("/start")
    out = await max_.say(number_of(out, "Deutsch"))
    out = await max_.say(number_of(out, "Heidenheim"))
    assert "Aktuelle Umfragen" not in out, "a poll for Aalen is not in Heidenheim's menu"


async def test_open_data_never_holds_a_count_below_five(anna: Chat, engine: Engine, store: Store) -> None:
    people = await subscribers(engine, [f"r{n}" for n in range(7)])
    await compose(anna, store, "Neuigkeiten aus Aalen")
    await anna.presses("Jetzt an")
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    [poll] = all_polls(store)
    for person in people[:6]:
        await person.press_payload(f"p.{poll.id}.0")
    await people[6].press_payload(f"p.{poll.id}.1")
    rows = store.run(export_rows)
    cells = {(r["option"], r["city"], r["platform"]): r["count"] for r in rows}
    assert cells[("Stadtpark", "aalen", "test")] == 6
    assert cells[("Radweg", "aalen", "test")] == "< 5"
    assert all("r1" not in str(row) and "resident" not in str(row) for row in rows), "never who"


async def test_own_answers_are_exported_and_erased_the_counts_stay(anna: Chat, engine: Engine, store: Store) -> None:
    [fan] = await subscribers(engine, ["fan"])
    await compose(anna, store, "Alle Abonnierenden")
    await anna.presses("Jetzt an")
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    [poll] = all_polls(store)
    await fan.press_payload(f"p.{poll.id}.2")
    await fan.presses("Datenschutz") if fan.sees_button("Datenschutz") else await fan.says("/privacy")
    await fan.presses("Meine Daten exportieren")
    assert fan.reply.attachment is not None
    assert b"Busanzeige" in fan.reply.attachment.content and b"poll_answer" in fan.reply.attachment.content
    fan_id = store.run(lambda tx: tx.load_resident("test", "fan")).id  # type: ignore[union-attr]
    store.run(lambda tx: personal_data.erase_resident(tx, fan_id))
    assert store.run(lambda tx: polls_db.choices_of(tx, poll.id, fan_id)) == 0
    assert store.run(lambda tx: polls_db.totals(tx, poll)).counts == [0, 0, 1], "the counts stay"
