"""Fewer taps: a 👍 beside each idea in a list, the privacy note agreed to once, no topic question
inside a Handlungsfeld. The counts are the ones in the README ("Gesprächsdesign")."""

from __future__ import annotations

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from dialogs.flows import submit
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.helpers import seed_idea, support_count
from tests.test_console import number_of
from tests.test_telegram import TelegramResident


class Counting:
    """A resident whose taps and typed messages are counted from the main menu on."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.taps = 0
        self.typed = 0

    async def presses(self, label: str) -> None:
        self.taps += 1
        await self.chat.presses(label)

    async def says(self, text: str) -> None:
        self.typed += 1
        await self.chat.says(text)


async def test_support_from_the_main_menu_takes_four_taps(erika: Chat, store: Store) -> None:
    idea = seed_idea(store)
    await erika.onboard()
    counted = Counting(erika)
    for label in ("Ideen nach Thema", "Mobilität", "Ideen anzeigen", "👍"):
        await counted.presses(label)
    assert erika.sees("Danke! Sie unterstützen jetzt „Echtzeit-Anzeigen an Bushaltestellen“.")
    assert counted.taps == 4 and support_count(store, idea) == 1
    assert erika.sees_button("👍 ✓"), "the list shows it is supported"
    await erika.presses("👍 ✓")
    assert erika.sees("Sie unterstützen „Echtzeit-Anzeigen an Bushaltestellen“ nicht mehr.")
    assert support_count(store, idea) == 0


async def test_submitting_asks_for_the_privacy_note_once(erika: Chat, store: Store) -> None:
    await erika.onboard()
    counted = Counting(erika)
    await counted.presses("Idee einreichen")
    await counted.presses("Einverstanden")
    await counted.says("Mehr Bänke im Stadtgarten")
    await counted.says("Im Stadtgarten fehlen Sitzplätze für ältere Menschen.")
    await counted.presses("Klima")
    await counted.presses("Aalen")
    await counted.presses("✅ Absenden")
    assert erika.sees("Ihre Idee ist eingegangen")
    assert (counted.taps, counted.typed) == (5, 2), "the first idea: 7 steps"

    again = Counting(erika)
    await again.presses("Idee einreichen")
    assert erika.sees("Bitte tippen Sie einen kurzen Titel"), "no privacy note the second time"
    await again.says("Trinkbrunnen am Marktplatz")
    await again.says("Kostenloses Trinkwasser an heißen Tagen, mitten in der Stadt.")
    await again.presses("Klima")
    await again.presses("Aalen")
    await again.presses("✅ Absenden")
    assert (again.taps, again.typed) == (4, 2), "later ideas: 6 steps"


async def test_inside_a_handlungsfeld_the_topic_is_not_asked(erika: Chat) -> None:
    await erika.onboard()
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    counted = Counting(erika)
    await counted.presses("Idee zu diesem Thema einreichen")
    await counted.presses("Einverstanden")
    await counted.says("Wartehäuschen am Bahnhof")
    await counted.says("Ein Dach und ein paar Sitzplätze für alle, die auf den Bus warten.")
    assert erika.sees("Welche Stadt betrifft Ihre Idee?")
    await counted.presses("Aalen")
    assert erika.sees("Thema: Mobilität")
    await counted.presses("✅ Absenden")
    assert (counted.taps, counted.typed) == (4, 2), "one step fewer than from the main menu"


async def test_a_changed_privacy_note_is_shown_again(erika: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    await erika.onboard()
    await erika.presses("Idee einreichen")
    await erika.presses("Einverstanden")
    await erika.says("/menu")
    await erika.presses("Idee einreichen")
    assert not erika.sees_button("Einverstanden")
    await erika.says("/menu")
    monkeypatch.setattr(submit, "PRIVACY_NOTE", submit.PRIVACY_NOTE + 1)  # the offices changed the note
    await erika.presses("Idee einreichen")
    assert erika.sees("Datenschutz") and erika.sees_button("Einverstanden")


async def test_console_transcript(engine: Engine, store: Store) -> None:
    idea = seed_idea(store)
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "Ideen nach Thema"))
    out = await erika.say(number_of(out, "Mobilität"))
    out = await erika.say(number_of(out, "Ideen anzeigen"))
    out = await erika.say(number_of(out, "👍"))
    assert "Sie unterstützen jetzt" in out and support_count(store, idea) == 1


async def test_telegram_transcript(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    idea = seed_idea(store)
    erika = TelegramResident(fake, 4716)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    for label in ("Ideen nach Thema", "Mobilität", "Ideen anzeigen", "👍"):
        await erika.presses(label)
    assert erika.sees("Sie unterstützen jetzt") and support_count(store, idea) == 1
    rows = fake.last_message(4716).buttons
    assert [b["text"] for b in rows[0]] == ["Echtzeit-Anzeigen an Bushaltestellen (👍 1)", "👍 ✓"], "one row per idea"
    assert fake.refusals == []
