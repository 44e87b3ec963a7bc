"""Staff compose broadcasts in the chat: text, audience with exact counts, preview, time, button, /broadcasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE, parse_time
from storage import moderation as moderation_db
from storage import outbox
from storage.models import ALL_CITIES, BroadcastStatus, Role
from storage.store import Store
from tests.chat import Chat
from tests.helpers import seed_idea, subscribe_city_news
from tests.texts import NOT_ALLOWED, city, de, de_plural, de_start, field


def recipients(count: int, audience: str) -> str:
    return de_plural(
        "Recipients: {audience}, exactly {count} person right now",
        "Recipients: {audience}, exactly {count} people right now",
        count,
        audience=audience,
    )


PLANNED = "Message no. {number} is planned for {time}. Send /broadcasts to see or cancel it."
NEWS = "Der Stadtgarten in Aalen hat jetzt kostenloses WLAN.\n\nViel Spaß beim Surfen!"


def make_staff(store: Store, chat: Chat, city: str = ALL_CITIES) -> None:
    identity = chat.identity
    store.run(
        lambda tx: moderation_db.grant(tx, identity.platform, identity.user_id, Role.STAFF, city, "test", store.now())
    )


async def subscribers(engine: Engine, names: list[str], city: str = "Aalen") -> list[Chat]:
    people = []
    for name in names:
        chat = Chat(engine, name)
        await chat.onboard(city=city)
        await subscribe_city_news(chat.presses, city)
        people.append(chat)
    return people


@pytest.fixture
async def anna(engine: Engine, store: Store) -> Chat:
    chat = Chat(engine, "anna")
    await chat.onboard()
    make_staff(store, chat)
    return chat


async def send_to_all(staff: Chat, store: Store, send_label: str) -> None:
    """Compose NEWS to all subscribers, send it, and let the scheduler write its recipients."""
    await staff.says("/broadcast")
    await staff.says(NEWS)
    await staff.presses(de("All subscribers"))
    await staff.presses(send_label)
    store.run(lambda tx: outbox.promote_due(tx, store.now()))


def broadcasts(store: Store) -> list[outbox.BroadcastRecord]:
    return store.run(lambda tx: outbox.recent(tx))


async def test_residents_may_not_broadcast(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.says("/broadcast")
    assert erika.sees(de(NOT_ALLOWED))
    await erika.says("/broadcasts")
    assert erika.sees(de(NOT_ALLOWED))
    entries = store.run(lambda tx: moderation_db.audit_entries(tx, "test:erika"))
    assert [(e["action"], e["outcome"]) for e in entries] == [("broadcast", "refused"), ("broadcasts", "refused")]


async def test_compose_preview_with_the_exact_count_then_send(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1", "a2", "a3"])
    await subscribers(engine, ["h1"], city="Heidenheim")
    await anna.says("/broadcast")
    assert anna.sees(de("New message to subscribers"))
    await anna.says("Kurz")
    assert anna.sees(de_start("Your text has {length} characters. Please write at least {minimum}.")), (
        "too short is explained, and the draft stays open"
    )
    await anna.says(NEWS)
    assert anna.labels()[:3] == [
        "Alle Abonnierenden (4)",
        de("News from {city}", city=city("aalen")) + " (3)",
        de("News from {city}", city=city("heidenheim")) + " (1)",
    ]
    await anna.presses(de("News from {city}", city=city("aalen")))
    assert anna.sees(de("Preview"))
    assert anna.sees("Der Stadtgarten in Aalen hat jetzt kostenloses WLAN.")
    assert anna.sees(de("You receive this because you subscribed to news. To stop: /stop")), (
        "the preview shows the message as residents will read it"
    )
    assert anna.sees(recipients(3, de("News from {city}", city=city("aalen"))))
    assert anna.sees("Zeitpunkt: sofort")
    await anna.presses(de_plural("Send now to {count} person", "Send now to {count} people", 3))
    assert anna.sees(de("Message no. {number} is being sent. I will keep you informed in a message here.", number=1))
    assert anna.sees(de("What would you like to do?"))
    [sent] = broadcasts(store)
    assert (sent.status, sent.audience_city, sent.audience_field) == ("scheduled", "aalen", None)
    assert sent.text == NEWS and sent.author_user_id == "anna"
    promoted = store.run(lambda tx: outbox.promote_due(tx, store.now()))
    assert promoted == [(sent.id, 3)], "every recipient row is written before anything is sent"
    entries = store.run(lambda tx: moderation_db.audit_entries(tx, "test:anna"))
    assert ("broadcast", "broadcast:1", "done") in [(e["action"], e["object"], e["outcome"]) for e in entries]


async def test_topic_audience_and_a_button_to_an_idea(anna: Chat, engine: Engine, store: Store) -> None:
    [fan] = await subscribers(engine, ["fan"])
    await fan.presses(de("Settings"))
    await fan.presses(de("News subscriptions"))
    await fan.presses("☐ " + field("mobilitaet"))
    published = seed_idea(store)
    await anna.says("/broadcast")
    await anna.says(NEWS)
    await anna.presses(de("Subscribers of one topic"))
    assert anna.sees_button(field("mobilitaet") + " (1)") and anna.sees_button(field("bildung-teilhabe") + " (0)")
    await anna.presses(field("mobilitaet"))
    assert anna.sees(recipients(1, de("Subscribers of “{topic}”", topic=field("mobilitaet"))))
    await anna.presses(de("Button to an idea"))
    await anna.says("9999")
    assert anna.sees(de("Please type the number of a published idea, for example 42."))
    await anna.says(str(published))
    await anna.presses(de("Vote now"))
    assert anna.sees(de("Button: {label} (idea no. {number})", label=de("Vote now"), number=published))
    await anna.presses(de_plural("Send now to {count} person", "Send now to {count} people", 1))
    [sent] = broadcasts(store)
    assert (sent.audience_field, sent.idea_id, sent.button) == ("mobilitaet", published, "vote")


async def test_a_planned_broadcast_can_be_listed_and_cancelled(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1"])
    await anna.says("/broadcast")
    await anna.says(NEWS)
    await anna.presses(de("All subscribers"))
    await anna.presses(de("Choose a time"))
    await anna.says("gestern")
    assert anna.sees(
        de("Please type a time within the next 90 days, for example 18:30 or 24.12.2026 09:00 (German time).")
    )
    await anna.says("24.12.2099 09:00")
    assert anna.sees(
        de("Please type a time within the next 90 days, for example 18:30 or 24.12.2026 09:00 (German time).")
    )
    later = (datetime.now(ZONE) + timedelta(days=2)).strftime("%d.%m.%Y 09:30")
    await anna.says(later)
    assert anna.sees(de_start("Time: {time}")) and anna.sees("09:30")
    await anna.presses(de_start("Plan for {time}"))
    assert anna.sees(de_start(PLANNED).replace("{number}", "1"))
    [planned] = broadcasts(store)
    send_at = planned.send_at.replace(tzinfo=planned.send_at.tzinfo or UTC)  # SQLite returns UTC without a zone
    assert planned.status == BroadcastStatus.SCHEDULED.value and send_at > store.now() + timedelta(days=1)
    assert store.run(lambda tx: outbox.promote_due(tx, store.now())) == [], "not before its time"
    await anna.says("/broadcasts")
    assert anna.sees("Nr. 1 – geplant")
    await anna.presses("Nr. 1 abbrechen")
    assert anna.sees(de("Message no. {number} is now {status}.", number=1, status=de("cancelled")))
    assert broadcasts(store)[0].status == BroadcastStatus.CANCELLED.value


async def test_the_role_is_checked_again_when_sending(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1"])
    await anna.says("/broadcast")
    await anna.says(NEWS)
    await anna.presses(de("All subscribers"))
    store.run(lambda tx: moderation_db.revoke(tx, "test", "anna", Role.STAFF, ALL_CITIES))
    await anna.presses(de_plural("Send now to {count} person", "Send now to {count} people", 1))
    assert anna.sees(de(NOT_ALLOWED))
    assert broadcasts(store) == []


async def test_staff_of_one_city_reach_only_its_subscribers(engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1"])
    await subscribers(engine, ["h1", "h2"], city="Heidenheim")
    bernd = Chat(engine, "bernd")
    await bernd.onboard(city=city("heidenheim"))
    make_staff(store, bernd, "heidenheim")
    await bernd.says("/broadcast")
    await bernd.says(NEWS)
    assert bernd.labels()[:2] == [
        de("News from {city}", city=city("heidenheim")) + " (2)",
        de("Subscribers of one topic"),
    ]
    await bernd.presses(de("News from {city}", city=city("heidenheim")))
    await bernd.presses(de("Other recipients"))
    await bernd.press_payload(bernd.button(de("Subscribers of one topic")))
    await bernd.presses(field("mobilitaet"))
    assert bernd.sees(de("Subscribers of “{topic}” in {city}", topic=field("mobilitaet"), city=city("heidenheim")))


async def test_pause_and_resume_from_the_list(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1", "a2"])
    await send_to_all(anna, store, de_plural("Send now to {count} person", "Send now to {count} people", 2))
    await anna.says("/broadcasts")
    assert anna.sees("Nr. 1 – im Versand")
    assert anna.sees("0 von 2 zugestellt, 0 nicht erreichbar")
    await anna.presses("Nr. 1 anhalten")
    assert anna.sees(de("Message no. {number} is now {status}.", number=1, status=de("paused")))
    assert store.run(lambda tx: outbox.claim(tx, "test", 10, store.now())) == [], "a paused broadcast is not sent"
    await anna.presses("Nr. 1 fortsetzen")
    assert anna.sees(de("Message no. {number} is now {status}.", number=1, status=de("sending")))
    claimed = store.run(lambda tx: outbox.claim(tx, "test", 10, store.now()))
    assert len(claimed) == 2


async def test_pause_button_pressed_after_the_role_was_revoked(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1"])
    await send_to_all(anna, store, de_plural("Send now to {count} person", "Send now to {count} people", 1))
    await anna.says("/broadcasts")
    store.run(lambda tx: moderation_db.revoke(tx, "test", "anna", Role.STAFF, ALL_CITIES))
    await anna.presses("Nr. 1 anhalten")
    assert anna.sees(de(NOT_ALLOWED))
    assert broadcasts(store)[0].status == BroadcastStatus.SENDING.value


async def test_the_button_on_a_broadcast_opens_the_idea(erika: Chat, store: Store) -> None:
    idea = seed_idea(store)
    await erika.onboard()
    await erika.press_payload(f"l.idea_{idea}")
    assert erika.sees("Echtzeit-Anzeigen an Bushaltestellen")
    assert not erika.reply.replaces_menu, "the news message stays; the idea comes as a new message"
    await erika.press_payload("l.idea_99999")
    assert erika.sees(de("What would you like to do?")), "an idea that is gone: like its deep link, the main menu"


async def test_cancelling_marks_the_waiting_recipients(anna: Chat, engine: Engine, store: Store) -> None:
    await subscribers(engine, ["a1", "a2"])
    await send_to_all(anna, store, de_plural("Send now to {count} person", "Send now to {count} people", 2))
    await anna.says("/broadcasts")
    await anna.presses("Nr. 1 abbrechen")
    figures = store.run(lambda tx: outbox.figures(tx, 1))
    assert (figures.total, figures.cancelled, figures.waiting) == (2, 2, 0)
    assert anna.sees("2 nicht gesendet (abgebrochen)")
    assert store.run(lambda tx: outbox.finish_completed(tx, store.now())) == [1]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("18:30", datetime(2026, 11, 28, 17, 30, tzinfo=UTC)),
        ("09:00", datetime(2026, 11, 29, 8, 0, tzinfo=UTC)),
        ("24.12.2026 09:00", datetime(2026, 12, 24, 8, 0, tzinfo=UTC)),
        ("24.12. 09:00", datetime(2026, 12, 24, 8, 0, tzinfo=UTC)),
        ("1.2.27 7:05", datetime(2027, 2, 1, 6, 5, tzinfo=UTC)),
        ("28.11.2026 10:00", None),
        ("24.12.2099 09:00", None),
        ("morgen früh", None),
        ("31.02.2027 10:00", None),
    ],
)
def test_times_are_read_in_german_time(typed: str, expected: datetime | None) -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 13:00 in Aalen
    assert parse_time(typed, now) == expected
