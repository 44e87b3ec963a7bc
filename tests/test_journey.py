"""A resident's whole journey, through the engine's public entry, as a person reads it.

This is the one place where tests quote the German texts literally: a transcript anyone at the
town hall can check. When an office edits one of these texts in its catalog, update it here by
hand. Every other test reads texts through the catalogs (tests/texts.py).
"""

from __future__ import annotations

from storage.store import Store
from tests.chat import Chat
from tests.helpers import approve, state_of, support_count


async def test_first_contact_asks_language_then_city(erika: Chat) -> None:
    await erika.says("Hallo")
    assert erika.sees("Bitte wählen Sie Ihre Sprache")
    assert erika.sees("Please choose your language")
    assert erika.labels() == ["Deutsch", "English", "Türkçe", "Українська", "العربية", "Leichte Sprache"]
    await erika.presses("Deutsch")
    assert erika.sees("In welcher Stadt wohnen Sie")
    assert erika.labels() == ["Aalen", "Heidenheim"]
    await erika.presses("Heidenheim")
    assert erika.sees("Was möchten Sie tun?")
    assert erika.sees_button("Idee einreichen")


async def test_english_resident_is_answered_in_english(engine, store: Store) -> None:  # type: ignore[no-untyped-def]
    john = Chat(engine, "john")
    await john.onboard("English", "Aalen")
    assert john.sees("What would you like to do?")
    await john.presses("Settings")
    assert john.sees("Language: English")
    assert john.sees("City: Aalen")


async def test_vision_tour_shows_vision_every_leitziel_and_the_zielbilder(erika: Chat) -> None:
    await erika.onboard()
    await erika.presses("Die Vision entdecken")
    assert erika.sees("Unsere gemeinsame Vision")
    await erika.presses("Weiter: die Leitziele")
    seen = []
    for number in range(1, 6):
        assert erika.sees(f"Leitziel {number} von 5")
        seen.append(erika.reply.blocks[1].text)
        assert erika.sees("Ziele der Smart City Charta:")
        await erika.presses("Nächstes Leitziel" if number < 5 else "Weiter: Ihre Wahl")
    assert len(set(seen)) == 5
    assert erika.sees("Welches Leitziel ist Ihnen am wichtigsten?")
    await erika.presses("Weiter: die Zielbilder")
    assert erika.sees("Die 3 gemeinsamen Zielbilder")
    assert erika.sees("Eine starke und resiliente digitale Infrastruktur")
    assert erika.sees("Klima- und Umweltschutz")
    await erika.presses("Mobilität")  # the tour ends with the Handlungsfelder to choose from
    assert erika.sees("Bus, Rad, Auto und Fußwege klug vernetzt.")


async def test_tour_can_be_skipped_at_any_point(erika: Chat) -> None:
    await erika.onboard()
    await erika.presses("Die Vision entdecken")
    await erika.presses("Weiter")
    await erika.presses("Rundgang überspringen")
    assert erika.sees("Was möchten Sie tun?")


async def submit_idea(chat: Chat, title: str, description: str, city: str = "Aalen") -> None:
    await chat.presses("Ideen nach Thema")
    await chat.presses("Mobilität")
    await chat.presses("Idee zu diesem Thema einreichen")
    if chat.sees_button("Einverstanden"):  # the privacy note: agreed to once per resident
        assert chat.sees("einem Titel (5 bis 100 Zeichen)") and chat.sees("Datenschutz")
        await chat.presses("Einverstanden")
    await chat.says(title)
    await chat.says(description)
    if chat.sees("Ähnliche Ideen gibt es schon"):
        await chat.presses("Meine Idee ist anders")
    assert chat.sees("Welche Stadt betrifft Ihre Idee?")
    await chat.presses(city)
    assert chat.sees("Bitte prüfen Sie Ihre Idee")
    assert chat.sees(title) and chat.sees(description)
    assert chat.sees("Thema: Mobilität")
    await chat.presses("✅ Absenden")


async def test_complete_journey_submit_approve_support_withdraw(erika: Chat, max_: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Die Vision entdecken")
    await erika.presses("Rundgang überspringen")

    await submit_idea(erika, "Radweg zum Bahnhof", "Ein sicherer, beleuchteter Radweg vom Zentrum zum Bahnhof.")
    assert erika.sees("Danke! Ihre Idee ist eingegangen")
    assert erika.sees("So geht es weiter")
    assert state_of(store, erika.identity) == "menu"

    await erika.presses("Meine Ideen")
    assert erika.sees("„Radweg zum Bahnhof“")
    assert erika.sees("wird geprüft")

    await max_.onboard()
    await max_.presses("Ideen nach Thema")
    await max_.presses("Mobilität")
    assert max_.sees("0 veröffentlichte Ideen für Aalen")
    await max_.presses("Ideen anzeigen")
    assert not max_.sees_button("Radweg zum Bahnhof")
    assert max_.sees("noch keine veröffentlichten Ideen")

    idea_id = _idea_number(erika)
    approve(store, idea_id)

    await max_.says("/menu")
    await max_.presses("Ideen nach Thema")
    await max_.presses("Mobilität")
    assert max_.sees("1 veröffentlichte Idee für Aalen")
    await max_.presses("Ideen anzeigen")
    await max_.presses("Radweg zum Bahnhof")
    assert max_.sees("0 Personen unterstützen sie.")
    await max_.presses("👍 Idee unterstützen")
    assert max_.sees("Danke! Sie unterstützen jetzt diese Idee.")
    assert max_.sees("1 Person unterstützt sie.")

    await erika.presses("Radweg zum Bahnhof")
    assert erika.sees("Status: veröffentlicht")
    await erika.presses("👍 Idee unterstützen")
    assert erika.sees("2 Personen unterstützen sie.")
    assert support_count(store, idea_id) == 2

    await max_.presses("Unterstützung zurückziehen")
    assert max_.sees("Sie unterstützen diese Idee nicht mehr.")
    assert max_.sees("1 Person unterstützt sie.")
    assert support_count(store, idea_id) == 1


def _idea_number(chat: Chat) -> int:
    """The number the bot gave the idea on submission, as the resident read it."""
    for outbound in reversed(chat.received):
        text = outbound.reply.plain_text
        if "Nr. " in text:
            return int(text.split("Nr. ", 1)[1].split(")", 1)[0])
    raise AssertionError("no idea number was announced")


async def test_ideas_of_other_city_are_not_listed(erika: Chat, max_: Chat, store: Store) -> None:
    from tests.helpers import seed_idea

    seed_idea(store, "Nur für Heidenheim", city="heidenheim")
    seed_idea(store, "Für beide Städte", city="all")
    await erika.onboard(city="Aalen")
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.presses("Ideen anzeigen")
    assert erika.sees_button("Für beide Städte")
    assert not erika.sees_button("Nur für Heidenheim")


async def test_ideas_are_paged_and_sorted_by_support(erika: Chat, store: Store) -> None:
    from tests.helpers import seed_idea

    ids = [seed_idea(store, f"Idee Nummer {n:02d}") for n in range(12)]
    voters = ["a", "b", "c"]
    for count, idea_id in zip((3, 2, 1), (ids[7], ids[3], ids[11]), strict=True):
        for voter in voters[:count]:
            store.run(lambda tx, v=voter, i=idea_id: _vote(tx, v, i, store))
    await erika.onboard()
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.presses("Ideen anzeigen")
    assert erika.sees("Seite 1 von 3")
    labels = [label for label in erika.labels() if label.startswith("Idee")]  # each beside its own 👍
    assert labels[0].startswith("Idee Nummer 07 (👍 3)")
    assert labels[1].startswith("Idee Nummer 03 (👍 2)")
    assert labels[2].startswith("Idee Nummer 11 (👍 1)")
    await erika.presses("Weiter ▶")
    assert erika.sees("Seite 2 von 3")
    await erika.presses("Weiter ▶")
    assert erika.sees("Seite 3 von 3")
    assert not erika.sees_button("Weiter ▶")
    assert len([b for b in erika.labels() if b.startswith("Idee Nummer")]) == 2
    await erika.presses("◀ Zurück")
    assert erika.sees("Seite 2 von 3")


def _vote(tx, voter: str, idea_id: int, store: Store) -> None:  # type: ignore[no-untyped-def]
    record = tx.load_or_create_resident("test", voter, voter, "menu", store.now())
    assert tx.add_vote(record.id, idea_id, store.now())


async def test_deep_link_opens_idea_after_onboarding(engine, store: Store) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import seed_idea

    idea_id = seed_idea(store, "Sitzbänke mit Solarstrom")
    lena = Chat(engine, "lena")
    await lena.says(f"/start idea_{idea_id}")
    await lena.presses("Deutsch")
    await lena.presses("Aalen")
    assert lena.sees("Sitzbänke mit Solarstrom")
    assert lena.sees_button("👍 Idee unterstützen")
    await lena.says("/start field_2")
    assert lena.sees("Klima, Umwelt und Energie")


async def test_resume_shows_where_the_resident_is_without_changing_it(erika: Chat, store: Store) -> None:
    from dialogs.messages import InboundKind

    await erika.send(erika.inbound(InboundKind.RESUME, ""))
    assert erika.sees("Bitte wählen Sie Ihre Sprache"), "a new resident is greeted"
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Idee einreichen")
    await erika.presses("Einverstanden")
    assert erika.reply.expects_text
    await erika.send(erika.inbound(InboundKind.RESUME, ""))
    assert erika.sees("Bitte tippen Sie einen kurzen Titel")
    assert erika.reply.language == "de"
    assert state_of(store, erika.identity) == "submit_title"
