"""Free text means something: typed at the menu or in a Handlungsfeld it is offered as an idea,
with ideas like it to support; German command aliases work everywhere and are listed."""

from __future__ import annotations

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from storage.models import IdeaStatus
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.helpers import resident, state_of, support_count
from tests.test_console import number_of
from tests.test_similar_dialogue import BENCHES, benches  # noqa: F401 - the fixture
from tests.test_telegram import TelegramResident

BENCH_WISH = "Hallo, ich möchte mehr Sitzbänke am Kocher vorschlagen"


async def test_text_at_the_menu_is_offered_as_an_idea_with_ideas_like_it(
    erika: Chat,
    store: Store,
    benches: int,  # noqa: F811
) -> None:
    await erika.onboard()
    await erika.says(BENCH_WISH)
    assert erika.sees("Möchten Sie das als Idee einreichen?") and erika.sees(BENCH_WISH)
    assert erika.sees("Diese Ideen sind ähnlich. Sie können eine davon gleich unterstützen:")
    assert erika.labels() == [f"👍 Diese unterstützen: {BENCHES}", "Ja, als Idee einreichen", "Nein, danke"]
    await erika.presses("👍 Diese unterstützen")
    assert erika.sees(f"Danke! Sie unterstützen jetzt „{BENCHES}“.")
    assert not erika.sees("Entwurf"), "there was no draft to drop"
    assert support_count(store, benches) == 1 and state_of(store, erika.identity) == "menu"


async def test_yes_starts_a_submission_with_the_text_as_title(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.says("Trinkbrunnen in der Fußgängerzone")
    await erika.presses("Ja, als Idee einreichen")
    await erika.presses("Einverstanden")
    assert erika.sees("Bitte beschreiben Sie Ihre Idee"), "the title is there: the description comes next"
    await erika.says("Kostenloses Trinkwasser an heißen Tagen, an den großen Plätzen.")
    await erika.presses("Klima")
    await erika.presses("Aalen")
    assert erika.sees("Trinkbrunnen in der Fußgängerzone")
    await erika.presses("✅ Absenden")
    assert erika.sees("Ihre Idee ist eingegangen")
    record = resident(store, erika.identity)
    assert record is not None
    (idea,) = store.run(lambda tx: tx.ideas_of_author(record.id))
    assert idea.title == "Trinkbrunnen in der Fußgängerzone" and idea.status == IdeaStatus.PENDING


async def test_a_longer_text_in_a_handlungsfeld_becomes_the_description(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    text = (
        "An der Haltestelle Bahnhof fehlt ein überdachter Wartebereich. Bei Regen stehen alle im Nassen, "
        "besonders morgens, wenn viele Schülerinnen und Schüler auf den Bus warten. Ein Dach und ein paar "
        "Sitzplätze würden schon helfen."
    )
    await erika.says(text)
    assert erika.sees("Möchten Sie das als Idee einreichen?")
    await erika.presses("Ja, als Idee einreichen")
    await erika.presses("Einverstanden")
    assert erika.sees("Bitte tippen Sie einen kurzen Titel")
    await erika.says("Wartehäuschen am Bahnhof")
    assert erika.sees("Welche Stadt betrifft Ihre Idee?"), "the topic is the Handlungsfeld it was typed in"
    await erika.presses("Aalen")
    assert erika.sees("Thema: Mobilität") and erika.sees("überdachter Wartebereich")


async def test_no_thank_you_goes_back_to_where_it_was_typed(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.says("Mehr Fahrradständer am Bahnhof")
    await erika.presses("Nein, danke")
    assert state_of(store, erika.identity) == "field" and erika.sees("Mobilität")
    await erika.says("/menu")
    await erika.says("Mehr Fahrradständer am Bahnhof")
    await erika.presses("Nein, danke")
    assert state_of(store, erika.identity) == "menu"


@pytest.mark.parametrize("text", ["Hallo", "👍", "?", "Was kann ich hier machen?"])
async def test_a_word_or_a_sign_is_not_an_idea(erika: Chat, text: str) -> None:
    await erika.onboard()
    await erika.says(text)
    assert erika.sees("Das habe ich leider nicht verstanden")


async def test_typing_a_button_label_still_presses_it(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.says("Ideen nach Thema")
    assert state_of(store, erika.identity) == "fields"


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("/hilfe", "/help · /hilfe – Hilfe"),
        ("/menue", "Was möchten Sie tun?"),
        ("/menü", "Was möchten Sie tun?"),
        ("/datenschutz", "Ihre Daten"),
        ("/stopp", "keine Neuigkeiten"),
        ("/sprache", "Bitte wählen Sie Ihre Sprache"),
    ],
)
async def test_german_aliases_work_everywhere(erika: Chat, alias: str, expected: str) -> None:
    await erika.onboard()
    await erika.presses("Ideen nach Thema")
    await erika.says(alias)
    assert erika.sees(expected)


async def test_abbrechen_cancels_a_draft(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Idee einreichen")
    await erika.presses("Einverstanden")
    await erika.says("Mehr Bänke im Park")
    await erika.says("/abbrechen")
    assert erika.sees("Ihren Entwurf verwerfen?")
    await erika.presses("Ja, verwerfen")
    assert erika.sees("Abgebrochen") and state_of(store, erika.identity) == "menu"


async def test_help_lists_the_aliases_beside_the_commands(erika: Chat) -> None:
    await erika.onboard()
    await erika.says("/help")
    for line in ("/menu · /menue · /menü – Hauptmenü", "/cancel · /abbrechen", "/privacy · /datenschutz"):
        assert erika.sees(line)
    assert erika.sees("/stop · /stopp") and erika.sees("/language · /sprache")


async def test_console_transcript(engine: Engine, store: Store) -> None:
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say("Mehr Fahrradständer am Bahnhof")
    assert "Möchten Sie das als Idee einreichen?" in out
    out = await erika.say(number_of(out, "Ja, als Idee einreichen"))
    out = await erika.say(number_of(out, "Einverstanden"))
    assert "Bitte beschreiben Sie Ihre Idee" in out
    out = await erika.say("/hilfe")
    assert "/help · /hilfe – Hilfe" in out


async def test_telegram_transcript(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    erika = TelegramResident(fake, 4714)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.says("Mehr Fahrradständer am Bahnhof")
    assert erika.sees("Möchten Sie das als Idee einreichen?")
    await erika.presses("Ja, als Idee einreichen")
    assert erika.sees("Datenschutz")
    await erika.says("/hilfe")
    assert erika.sees("/help · /hilfe – Hilfe")
    await erika.says("/menü")
    assert erika.sees("Was möchten Sie tun?")
    assert fake.refusals == []
