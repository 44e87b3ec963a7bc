"""Bad input gets a polite answer and leaves nothing half-stored."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from dialogs.engine import Engine
from dialogs.messages import InboundKind
from storage.models import idea_table
from storage.store import Store
from tests.chat import Chat
from tests.helpers import resident
from tests.texts import ASK_TITLE, MENU_OUT_OF_DATE, city, de, de_start, field

TOO_LONG = "Your text has {length} characters. Please shorten it to at most {maximum}."


def idea_count(store: Store) -> int:
    return int(store.run(lambda tx: tx.rows(select(func.count()).select_from(idea_table))[0][0]))


async def at_title(chat: Chat) -> None:
    await chat.onboard()
    await chat.presses(de("Submit an idea"))
    await chat.presses(de("I agree, let's start"))


def draft(store: Store, chat: Chat) -> dict[str, object]:
    record = resident(store, chat.identity)
    assert record is not None
    return dict(record.context.get("idea_draft", {}))


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("", "Ich habe keinen Text erhalten"),
        ("   \n\t ", "Ich habe keinen Text erhalten"),
        ("x" * 10_000, "Ihr Text hat 10.000 Zeichen. Bitte kürzen Sie ihn auf höchstens 100."),
        ("🎉🎉🎉🎉🎉🎉", de("Please describe your idea in words.")),
        ("\x00\x07\x1b\u202e", "Ich habe keinen Text erhalten"),
        ("Bus", "Ihr Text hat 3 Zeichen. Bitte schreiben Sie mindestens 5."),
    ],
)
async def test_bad_title_is_explained_and_nothing_stored(erika: Chat, store: Store, text: str, answer: str) -> None:
    await at_title(erika)
    await erika.says(text)
    assert erika.sees(answer)
    assert erika.sees(de_start(ASK_TITLE))
    assert resident(store, erika.identity).state == "submit_title"  # type: ignore[union-attr]
    assert "title" not in draft(store, erika)
    assert idea_count(store) == 0


async def test_overlong_description_is_refused_and_title_kept(erika: Chat, store: Store) -> None:
    await at_title(erika)
    await erika.says("Mehr Trinkbrunnen")
    await erika.says("Wasser " * 2000)
    assert erika.sees(de(TOO_LONG, length="14.000", maximum="1.000"))
    assert draft(store, erika) == {"title": "Mehr Trinkbrunnen"}
    await erika.says("Trinkbrunnen in der Innenstadt, damit im Sommer alle Wasser haben.")
    assert erika.sees(de("Which topic does your idea belong to?"))


async def test_control_characters_are_removed_before_storing(erika: Chat, store: Store) -> None:
    await at_title(erika)
    await erika.says("Bus\x00fahren\x07 \u202ekostenlos\x1b")
    assert draft(store, erika)["title"] == "Busfahren kostenlos"


INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e"
"""Zero-width characters, the word joiner, the byte-order mark, bidi isolates and embeddings."""


def hidden_in(text: str) -> str:
    """`text` with one invisible character after each letter, in turn."""
    return "".join(char + INVISIBLE[n % len(INVISIBLE)] for n, char in enumerate(text))


async def test_invisible_characters_are_removed_before_storing(erika: Chat, max_: Chat, store: Store) -> None:
    title, description = "Busfahren kostenlos", "Eine Beschreibung, die lang genug ist, damit sie passt."
    for chat in (erika, max_):
        await at_title(chat)
        await chat.says(hidden_in(title) if chat is erika else title)
        await chat.says(hidden_in(description))
        if chat is max_:  # Erika's idea is pending and alike: Max is offered to support it
            await chat.presses("Meine Idee ist anders")
        await chat.presses("Mobilität")
        await chat.presses("Aalen")
        assert chat.sees(title)
        await chat.presses(de("✅ Submit"))
    first, look_alike = store.run(lambda tx: (tx.get_idea(1), tx.get_idea(2)))
    assert first is not None and look_alike is not None
    assert first.title == title and first.description == description
    assert look_alike.title == first.title, "the look-alike title is the same string"


@pytest.mark.parametrize(
    "title",
    [
        "<script>alert('x')</script> Idee",
        "<b>fett</b> & <a href='https://example.org'>Link</a>",
        "**fett** _kursiv_ [Link](https://example.org)",
    ],
)
async def test_markup_in_resident_text_stays_plain_text(erika: Chat, store: Store, title: str) -> None:
    await at_title(erika)
    await erika.says(title)
    await erika.says("Eine Beschreibung, die lang genug ist, damit sie passt.")
    await erika.presses(field("mobilitaet"))
    await erika.presses(city("aalen"))
    spans = [span for block in erika.reply.blocks for span in block.spans if title in span.text]
    assert spans, "the title is shown in the preview"
    assert all(span.style in ("plain", "bold") and span.url is None for span in spans)
    assert draft(store, erika)["title"] == title


async def test_stale_button_from_an_older_menu(erika: Chat, store: Store) -> None:
    await erika.onboard()
    old_submit = erika.button(de("Submit an idea"))
    await erika.presses(de("Settings"))
    await erika.press_payload(old_submit)
    assert erika.sees(de(MENU_OUT_OF_DATE))
    assert erika.sees(de("Settings"))
    assert resident(store, erika.identity).state == "settings"  # type: ignore[union-attr]


@pytest.mark.parametrize("payload", ["", "abc", "999.0", "1.99", "-1.-1", "x" * 5000, "field:mobilitaet", "0.0"])
async def test_forged_payload_changes_nothing(erika: Chat, store: Store, payload: str) -> None:
    await erika.onboard()
    before = resident(store, erika.identity)
    await erika.press_payload(payload)
    assert erika.sees(de(MENU_OUT_OF_DATE))
    after = resident(store, erika.identity)
    assert before is not None and after is not None
    assert after.state == before.state == "menu"
    assert after.language == "de" and after.city == "aalen"


async def test_payload_from_another_state_is_refused(erika: Chat, store: Store) -> None:
    await at_title(erika)
    generation, _sep, _index = erika.button(de("Cancel")).partition(".")
    await erika.press_payload(f"{generation}.5")
    assert erika.sees(de(MENU_OUT_OF_DATE))
    assert resident(store, erika.identity).state == "submit_title"  # type: ignore[union-attr]


async def test_text_where_buttons_are_expected(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.says("Was kann ich hier machen?")
    assert erika.sees(de("Sorry, I did not understand that. Please choose one of the options below, or send /help."))
    assert erika.sees_button(de("Submit an idea"))


async def test_typing_a_button_label_presses_it(erika: Chat) -> None:
    await erika.onboard()
    await erika.says("einstellungen")
    assert erika.sees(de("Language: {language}", language="Deutsch"))


async def test_redelivered_event_is_answered_once(engine: Engine, store: Store) -> None:
    chat = Chat(engine, "paula")
    await chat.onboard()
    inbound = chat.inbound(InboundKind.BUTTON, chat.button(de("Settings")), event_id="telegram-update-77")
    first = await engine.handle(inbound)
    second = await engine.handle(inbound)
    assert first and first[0].reply.plain_text.startswith(de("Settings"))
    assert second == []
    assert resident(store, chat.identity).state == "settings"  # type: ignore[union-attr]


async def test_a_skipped_duplicate_is_logged(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    chat = Chat(engine, "paula")
    inbound = chat.inbound(InboundKind.COMMAND, "/start", event_id="telegram-update-78")
    assert await engine.handle(inbound)
    with caplog.at_level(logging.INFO):
        assert await engine.handle(inbound) == []
    skipped = [r for r in caplog.records if "telegram-update-78" in r.getMessage()]
    assert [r.levelno for r in skipped] == [logging.INFO]
    assert "test" in skipped[0].getMessage() and "paula" not in skipped[0].getMessage()


@pytest.mark.parametrize("typed", ["²", "1" * 5000, "٢", "２", "-1", "0", "1.5"])
async def test_a_number_that_is_not_an_option_number_is_not_understood(erika: Chat, typed: str) -> None:
    """Superscripts and other digits pass str.isdigit(), yet int() refuses them: they are just text."""
    await erika.onboard()
    await erika.says(typed)
    assert erika.sees(de("Sorry, I did not understand that. Please choose one of the options below, or send /help.")), (
        erika.reply.plain_text
    )
    assert erika.sees(de("What would you like to do?"))


@pytest.mark.parametrize("typed", ["2", "2.", " 2 ", "Nr. 2", "nr 2", "#2"])
async def test_an_option_number_may_be_typed_in_several_shapes(erika: Chat, typed: str) -> None:
    await erika.onboard()
    await erika.says("/menu")
    await erika.presses(erika.labels()[1])
    expected = erika.reply.plain_text
    await erika.says("/menu")
    await erika.says(typed)
    assert erika.reply.plain_text == expected
