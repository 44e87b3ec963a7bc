"""Every global command works from every state of the dialogue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from dialogs.commands import for_everyone
from dialogs.engine import Engine
from dialogs.flows import STATES
from storage import polls as polls_db
from storage.models import ALL_CITIES, Role
from storage.moderation import grant
from storage.store import Store
from storage.subscriptions import Audience
from tests.chat import Chat
from tests.helpers import seed_idea, state_of
from tests.texts import NOT_ALLOWED, WELCOME, de

Step = Callable[[Chat], Awaitable[object]]
GLOBAL_COMMANDS = [*(command.name for command in for_everyone()), "broadcast"]
"""The commands that work from every state: those for everyone, and /broadcast (refused without the role)."""


def press(label: str) -> Step:
    return lambda chat: chat.presses(label)


def say(text: str) -> Step:
    return lambda chat: chat.says(text)


ONBOARD: list[Step] = [say("/start"), press("Deutsch"), press("Aalen")]
SUBMIT = [*ONBOARD, press("Idee einreichen")]
TOUR = [*ONBOARD, press("Die Vision entdecken")]
FIELD = [*ONBOARD, press("Ideen nach Thema"), press("Mobilität")]
MINE = [  # one's own pending idea, opened from "My ideas"
    *SUBMIT,
    press("Einverstanden"),
    say("Mehr Bänke im Park"),
    say("Im Stadtgarten fehlen Sitzplätze."),
    press("Klima"),
    press("Aalen"),
    press("✅ Absenden"),
    press("Meine Ideen"),
    press("Mehr Bänke im Park"),
]


async def _become_staff(chat: Chat) -> None:
    store = chat.engine.store
    identity = chat.identity
    store.run(lambda tx: grant(tx, identity.platform, identity.user_id, Role.STAFF, ALL_CITIES, "test", store.now()))


async def _open_poll_in_menu(chat: Chat) -> None:
    store = chat.engine.store
    now = store.now()
    store.run(
        lambda tx: polls_db.create_poll(
            tx,
            author=("test", "staff", "staff", "de"),
            question="Welcher Abend passt für die Werkstatt?",
            options=["Dienstag", "Donnerstag"],
            multiple=False,
            audience=Audience(),
            in_menu=True,
            show_interim=True,
            tell_answerers=False,
            opens_at=now,
            closes_at=now + timedelta(days=3),
            now=now,
        )
    )


BROADCAST = [*ONBOARD, _become_staff, say("/broadcast"), say("Der Stadtgarten ist wieder offen.")]
POLL = [*ONBOARD, _become_staff, say("/umfrage"), say("Welcher Abend passt für die Werkstatt?")]
POLL_AUDIENCE = [*POLL, say("Dienstag\nDonnerstag"), press("Eine Antwort")]
POLL_INTERIM = [*POLL_AUDIENCE, press(de("All subscribers")), say("23:59")]
POLL_PREVIEW = [*POLL_INTERIM, press("Ja, anzeigen")]
POLL_TRANSLATION = [*POLL_PREVIEW, press(de("Add a text in another language")), press("English")]
POLLS = [*ONBOARD, _open_poll_in_menu, say("/menu"), press("Aktuelle Umfragen")]
PREVIEW = [*BROADCAST, press(de("All subscribers"))]

PATHS: dict[str, list[Step]] = {
    "new": [],
    "language": [say("/start")],
    "city": [say("/start"), press("Deutsch")],
    "menu": ONBOARD,
    "tour_vision": TOUR,
    "tour_leitziel": [*TOUR, press("Weiter")],
    "tour_question": [*TOUR, press("Weiter"), *[press("Nächstes Leitziel")] * 4, press("Weiter")],
    "tour_zielbilder": [*TOUR, press("Weiter"), *[press("Nächstes Leitziel")] * 4, press("Weiter"), press("Weiter")],
    "fields": [*ONBOARD, press("Ideen nach Thema")],
    "field": FIELD,
    "ideas": [*FIELD, press(de("Show ideas"))],
    "idea": [*FIELD, press(de("Show ideas")), press("Echtzeit")],
    "invite": [*FIELD, press(de("Show ideas")), press("Echtzeit"), press(de("Invite friends"))],
    "my_ideas": [*ONBOARD, press(de("My ideas"))],
    "submit_consent": SUBMIT,
    "submit_title": [*SUBMIT, press("Einverstanden")],
    "submit_description": [*SUBMIT, press("Einverstanden"), say("Mehr Bänke im Park")],
    "submit_offer": [*ONBOARD, say("Mehr Bänke im Stadtgarten")],
    "submit_similar": [
        *SUBMIT,
        press("Einverstanden"),
        say("Echtzeit-Anzeigen an der Haltestelle"),
        say("Anzeigen mit Abfahrtszeiten in Echtzeit an Haltestellen."),
    ],
    "submit_discard": [*SUBMIT, press("Einverstanden"), say("Mehr Bänke im Park"), say("/abbrechen")],
    "submit_field": [
        *SUBMIT,
        press(de("I agree, let's start")),
        say("Mehr Bänke im Park"),
        say("Im Stadtgarten fehlen Sitzplätze."),
    ],
    "submit_city": [
        *SUBMIT,
        press(de("I agree, let's start")),
        say("Mehr Bänke im Park"),
        say("Im Stadtgarten fehlen Sitzplätze."),
        press("Klima"),
    ],
    "submit_preview": [
        *SUBMIT,
        press(de("I agree, let's start")),
        say("Mehr Bänke im Park"),
        say("Im Stadtgarten fehlen Sitzplätze."),
        press("Klima"),
        press("Aalen"),
    ],
    "mine_change": [*MINE, press("✏️ Titel ändern")],
    "mine_withdraw": [*MINE, press("Idee zurückziehen")],
    "settings": [*ONBOARD, press("Einstellungen")],
    "settings_city": [*ONBOARD, press("Einstellungen"), press("Stadt ändern")],
    "settings_language": [*ONBOARD, press("Einstellungen"), press("Sprache ändern")],
    "privacy": [*ONBOARD, press("Datenschutz")],
    "privacy_delete": [*ONBOARD, press("Datenschutz"), press("Meine Daten löschen")],
    "news": [*ONBOARD, press("Einstellungen"), press("Neuigkeiten abonnieren")],
    "broadcast_text": BROADCAST[:-1],
    "broadcast_audience": BROADCAST,
    "broadcast_field": [*BROADCAST, press(de("Subscribers of one topic"))],
    "broadcast_preview": PREVIEW,
    "broadcast_idea": [*PREVIEW, press(de("Button to an idea"))],
    "broadcast_button": [*PREVIEW, press(de("Button to an idea")), say("1")],
    "broadcast_when": [*PREVIEW, press(de("Choose a time"))],
    "broadcast_language": [*PREVIEW, press(de("Add a text in another language"))],
    "broadcast_translation": [*PREVIEW, press(de("Add a text in another language")), press("English")],
    "polls": POLLS,
    "poll": [*POLLS, press("Welcher Abend")],
    "poll_question": POLL[:-1],
    "poll_options": POLL,
    "poll_kind": POLL_AUDIENCE[:-1],
    "poll_audience": POLL_AUDIENCE,
    "poll_field": [*POLL_AUDIENCE, press(de("Subscribers of one topic"))],
    "poll_closes": POLL_INTERIM[:-1],
    "poll_interim": POLL_INTERIM,
    "poll_preview": POLL_PREVIEW,
    "poll_when": [*POLL_PREVIEW, press(de("Choose a time"))],
    "poll_language": POLL_TRANSLATION[:-1],
    "poll_translation": POLL_TRANSLATION,
    "poll_translation_option": [*POLL_TRANSLATION, say("Which evening suits the workshop?")],
}
STAFF_STATES = {state for state in PATHS if state.startswith(("broadcast_", "poll_"))}
"""States only staff reach: /broadcast starts composing there."""

ONBOARDED_STATES = set(STATES) - {"new", "language", "city"}
TYPED_DRAFT_STATES = {"submit_description", "submit_similar", "submit_field", "submit_city", "submit_preview"}
"""/cancel asks before it drops the words typed there."""


def test_every_state_has_a_path() -> None:
    assert set(PATHS) == set(STATES)


async def reach(engine: Engine, store: Store, state: str) -> Chat:
    seed_idea(store)
    chat = Chat(engine, f"resident-{state}")
    for step in PATHS[state]:
        await step(chat)
    assert (state_of(store, chat.identity) or "new") == state
    return chat


EXPECTED = {
    "start": ("menu", "language"),
    "menu": ("menu", "language"),
    "cancel": ("menu", "language"),
    "language": ("language", "language"),
    "privacy": ("privacy", "privacy"),
}
SEEN = {
    "start": de("What would you like to do?"),
    "menu": de("What would you like to do?"),
    "cancel": "Abgebrochen",
    "language": de(WELCOME),
    "privacy": "Wir speichern nur, was der Bot braucht",
    "help": de("How this works"),
    "stop": "Sie haben keine Neuigkeiten abonniert",
    "broadcast": de(NOT_ALLOWED),
}


@pytest.mark.parametrize("command", GLOBAL_COMMANDS)
@pytest.mark.parametrize("state", STATES)
async def test_global_command_from_every_state(engine: Engine, store: Store, state: str, command: str) -> None:
    """German is the default, so a resident who has not chosen a language yet reads German too."""
    chat = await reach(engine, store, state)
    onboarded = state in ONBOARDED_STATES
    await chat.says(f"/{command}")
    seen = SEEN[command]
    if command in ("start", "menu") and not onboarded:
        seen = de(WELCOME)
    if command == "broadcast" and state in STAFF_STATES:
        seen = "Neue Nachricht an Abonnierende"
    if command == "cancel" and state in TYPED_DRAFT_STATES:
        seen = "Ihren Entwurf verwerfen?"
    assert chat.sees(seen), chat.reply.plain_text
    if command in ("help", "stop"):
        assert (state_of(store, chat.identity) or "new") in (state, "language" if state == "new" else state)
    elif command == "broadcast":
        expected = "broadcast_text" if state in STAFF_STATES else state
        assert (state_of(store, chat.identity) or "new") in (expected, "language" if state == "new" else expected)
    elif command == "cancel" and state in TYPED_DRAFT_STATES:
        assert state_of(store, chat.identity) == "submit_discard"
    else:
        assert state_of(store, chat.identity) == EXPECTED[command][0 if onboarded else 1]
    assert chat.reply.buttons, "after every command the resident has buttons to go on with"


async def test_cancel_drops_the_draft(engine: Engine, store: Store) -> None:
    chat = await reach(engine, store, "submit_preview")
    await chat.says("/cancel")
    await chat.presses("Ja, verwerfen")
    assert chat.sees("Abgebrochen. Ihr Entwurf wurde nicht gespeichert.")
    await chat.presses("Meine Ideen")
    assert chat.sees("Sie haben noch keine Idee eingereicht.")


async def test_unknown_command_is_answered(engine: Engine, store: Store) -> None:
    chat = await reach(engine, store, "fields")
    await chat.says("/foo")
    assert chat.sees(de("I do not know this command. Send /help to see what I can do."))
    assert state_of(store, chat.identity) == "fields"


async def test_command_with_bot_suffix(engine: Engine, store: Store) -> None:
    chat = await reach(engine, store, "fields")
    await chat.says("/menu@MitmachBot")
    assert state_of(store, chat.identity) == "menu"


async def test_leaving_a_draft_by_command_says_so(engine: Engine, store: Store) -> None:
    chat = await reach(engine, store, "submit_description")
    await chat.says("/menu")
    assert chat.sees(de("Your unsent idea was discarded."))
    await chat.says("/privacy")
    assert not chat.sees("verworfen"), "said once, when the draft was dropped"
