"""The interactive tour: short screens with "Read more", "Back", a question back with anonymous
counts per city, and the Handlungsfelder at its end."""

from __future__ import annotations

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from storage import leitziel_choice
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.helpers import resident, state_of
from tests.test_console import number_of
from tests.test_telegram import TelegramResident

MAX_WORDS = 60
NBSP = "\u00a0"  # German writes a share as "40 %", number and sign held together


def words(chat: Chat) -> int:
    return sum(len(block.text.split()) for block in chat.reply.blocks)


async def to_question(chat: Chat) -> None:
    await chat.presses("Die Vision entdecken")
    await chat.presses("Weiter")
    for _ in range(4):
        await chat.presses("Nächstes Leitziel")
    await chat.presses("Weiter: Ihre Wahl")


@pytest.mark.parametrize("language", ["Deutsch", "English"])
async def test_no_tour_screen_is_longer_than_about_sixty_words(erika: Chat, language: str) -> None:
    await erika.onboard(language=language)
    await erika.says("/menu")
    await erika.presses("Die Vision entdecken" if language == "Deutsch" else "Discover the vision")
    counted = [words(erika)]
    await erika.presses("Weiter" if language == "Deutsch" else "Next")
    counted.append(words(erika))
    for _ in range(4):
        await erika.presses("Nächstes Leitziel" if language == "Deutsch" else "Next goal")
        counted.append(words(erika))
    await erika.presses("Weiter" if language == "Deutsch" else "Next")
    counted.append(words(erika))
    await erika.presses("Weiter" if language == "Deutsch" else "Next")
    counted.append(words(erika))
    assert max(counted) <= MAX_WORDS, counted


async def test_read_more_opens_the_longer_text(erika: Chat) -> None:
    await erika.onboard()
    await erika.presses("Die Vision entdecken")
    assert not erika.sees("Im Beteiligungsprozess wurde formuliert")
    await erika.presses("Mehr lesen")
    assert erika.sees("Im Beteiligungsprozess wurde formuliert") and not erika.sees_button("Mehr lesen")


async def test_back_goes_one_screen_back(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Die Vision entdecken")
    await erika.presses("Weiter")
    await erika.presses("Nächstes Leitziel")
    assert erika.sees("Leitziel 2 von 5")
    await erika.presses("Zurück")
    assert erika.sees("Leitziel 1 von 5")
    await erika.presses("Zurück")
    assert erika.sees("Unsere gemeinsame Vision")
    await erika.presses("Zurück")
    assert state_of(store, erika.identity) == "menu"


async def test_the_question_counts_anonymously_per_city(erika: Chat, max_: Chat, store: Store) -> None:
    await erika.onboard()
    await to_question(erika)
    assert erika.sees("Welches Leitziel ist Ihnen am wichtigsten?")
    assert erika.labels()[:5] == ["Lebenswert", "Nachhaltig", "Stark", "Innovativ", "Vernetzt"]
    await erika.presses("Nachhaltig")
    assert erika.sees("Danke! So haben die Menschen in Aalen bisher gewählt:")
    assert erika.sees(f"Nachhaltig 100{NBSP}%") and erika.sees(f"Lebenswert 0{NBSP}%")
    assert erika.sees("Die 3 gemeinsamen Zielbilder")

    await max_.onboard()
    await to_question(max_)
    await max_.presses("Lebenswert")
    assert max_.sees(f"Lebenswert 50{NBSP}%") and max_.sees(f"Nachhaltig 50{NBSP}%")

    await erika.presses("Zurück")  # Erika changes her mind: her one vote moves
    await erika.presses("Lebenswert")
    assert erika.sees(f"Lebenswert 100{NBSP}%")
    assert store.run(lambda tx: leitziel_choice.counts(tx, "aalen")) == {"nachhaltigkeit": 0, "menschen": 2}
    assert store.run(lambda tx: leitziel_choice.counts(tx, "heidenheim")) == {}
    record = resident(store, erika.identity)
    assert record is not None and record.context.get("leitziel_choice") == "menschen"


async def test_the_tour_ends_with_the_handlungsfelder(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await to_question(erika)
    await erika.presses("Weiter: die Zielbilder")
    assert erika.sees_button("Mobilität") and erika.sees_button("Digitale Infrastruktur und Daten")
    await erika.presses("Digitale Infrastruktur und Daten")
    assert state_of(store, erika.identity) == "field" and erika.sees("Schnelles Netz und offene Daten")


async def test_console_transcript(engine: Engine, store: Store) -> None:
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "Die Vision entdecken"))
    out = await erika.say(number_of(out, "Weiter"))
    for _ in range(4):
        out = await erika.say(number_of(out, "Nächstes Leitziel"))
    out = await erika.say(number_of(out, "Weiter: Ihre Wahl"))
    out = await erika.say(number_of(out, "Stark"))
    assert f"Stark 100{NBSP}%" in out and "[1] Mobilität" in out


async def test_telegram_transcript(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    erika = TelegramResident(fake, 4718)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Die Vision entdecken")
    await erika.presses("Weiter")
    for _ in range(4):
        await erika.presses("Nächstes Leitziel")
    await erika.presses("Weiter: Ihre Wahl")
    await erika.presses("Vernetzt")
    assert erika.sees(f"Vernetzt 100{NBSP}%")
    assert store.run(lambda tx: leitziel_choice.counts(tx, "aalen")) == {"vernetzung": 1}
    assert fake.refusals == []
