"""Similar ideas in the conversation: offered while submitting, and beside a new idea for moderators.

Transcripts through the engine (as every platform), the terminal chat and Telegram's Bot API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage.models import IdeaStatus
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.helpers import state_of, support_count
from tests.test_console import number_of
from tests.test_moderation import make_moderator, notice_buttons
from tests.test_telegram import TelegramResident

EXAMPLES = [
    ("Echtzeit-Abfahrten an Haltestellen", "Anzeigen zeigen, wann der nächste Bus wirklich kommt.", "mobilitaet"),
    ("Offenes Datenportal", "Ein Portal für offene Daten, etwa zu Verkehr und Umwelt.", "infrastruktur-daten"),
    ("Freies WLAN in der Innenstadt", "Kostenloses WLAN auf den zentralen Plätzen beider Innenstädte.", "innenstadt"),
    ("Mängelmelder-App", "Schlaglöcher, defekte Laternen und wilden Müll mit Foto und Ort melden.", "verwaltung"),
    ("Lastenräder zum Ausleihen", "Lastenräder an Stationen, per App zu buchen.", "mobilitaet"),
    ("Makerspace in der Bibliothek", "3D-Drucker, Lötstationen und Kurse für alle Altersgruppen.", "bildung-teilhabe"),
]
BENCHES = "Sitzbänke mit Solarstrom"


def add(store: Store, title: str, description: str, field: str, *, city: str = "all", **options: object) -> int:
    status = options.get("status", IdeaStatus.APPROVED)
    author = options.get("author")
    return store.run(
        lambda tx: tx.create_idea(
            title=title,
            description=description,
            field_id=field,
            city=city,
            author_id=author,  # type: ignore[arg-type]
            now=store.now(),
            status=status,  # type: ignore[arg-type]
        )
    )


@pytest.fixture
def benches(store: Store) -> int:
    """The example ideas, and the published benches idea of Heidenheim that a new draft resembles."""
    for title, description, field in EXAMPLES:
        add(store, title, description, field)
    return add(
        store,
        BENCHES,
        "Bänke mit Solarmodul, an denen man das Handy laden kann, in Parks und auf Plätzen.",
        "klima-umwelt-energie",
        city="heidenheim",
    )


@pytest.fixture
def mod_engine(content: Content, languages: Languages, store: Store) -> Iterator[Engine]:
    engine = Engine(content, languages, store, admins=[Identity("test", "admin")])
    yield engine
    engine.close()


async def start_submission(chat: Chat, title: str, description: str) -> None:
    await chat.presses("Ideen nach Thema")
    await chat.presses("Klima")
    await chat.presses("Idee zu diesem Thema einreichen")
    if chat.sees_button("Einverstanden"):  # agreed to once per resident
        await chat.presses("Einverstanden")
    await chat.says(title)
    await chat.says(description)


async def test_a_near_duplicate_is_offered_and_supported_in_one_tap(erika: Chat, store: Store, benches: int) -> None:
    await erika.onboard()  # Aalen: the benches idea is Heidenheim's, and still offered
    await start_submission(erika, "Mehr Sitzbänke am Kocher", "Am Kocherufer fehlen Bänke zum Ausruhen.")
    assert erika.sees("Ähnliche Ideen gibt es schon")
    assert erika.sees(f"{BENCHES} · Heidenheim · 0 Unterstützungen")
    assert erika.labels() == [
        f"👍 Diese unterstützen: {BENCHES}",
        "Meine Idee ist anders",
        "Abbrechen",
    ]
    await erika.presses("👍 Diese unterstützen")
    assert erika.sees(f"Danke! Sie unterstützen jetzt „{BENCHES}“.")
    assert erika.sees("Ihr Entwurf wurde nicht eingereicht.")
    assert erika.sees("Was möchten Sie tun?")
    assert support_count(store, benches) == 1
    assert state_of(store, erika.identity) == "menu"
    assert store.run(lambda tx: tx.get_idea(benches + 1)) is None, "no idea was created"


async def test_my_idea_is_different_goes_on_to_the_city(erika: Chat, store: Store, benches: int) -> None:
    await erika.onboard()
    await start_submission(erika, "Mehr Sitzbänke am Kocher", "Am Kocherufer fehlen Bänke zum Ausruhen.")
    await erika.presses("Meine Idee ist anders")
    assert erika.sees("Welche Stadt betrifft Ihre Idee?")
    await erika.presses("Aalen")
    await erika.presses("✅ Absenden")
    assert erika.sees("Ihre Idee ist eingegangen")
    assert support_count(store, benches) == 0


async def test_an_unrelated_draft_goes_straight_on(erika: Chat, benches: int) -> None:
    await erika.onboard()
    await start_submission(erika, "Hundewiese im Stadtpark", "Eine eingezäunte Fläche, auf der Hunde frei laufen.")
    assert not erika.sees("Ähnliche Ideen")
    assert erika.sees("Welche Stadt betrifft Ihre Idee?")


async def test_a_pending_idea_shows_its_title_only(erika: Chat, max_: Chat, store: Store, benches: int) -> None:
    await max_.onboard(city="Heidenheim")
    await start_submission(
        max_, "Solarbänke an der Brenz", "Max Mustermann, Brenzstraße 3: Bänke mit Solarmodul zum Handyladen."
    )
    await max_.presses("Meine Idee ist anders")
    await max_.presses("Heidenheim")
    await max_.presses("✅ Absenden")

    await erika.onboard()
    await start_submission(erika, "Mehr Sitzbänke am Kocher", "Bänke mit Solarmodul zum Ausruhen und Handyladen.")
    assert erika.sees("Solarbänke an der Brenz · Heidenheim · wird geprüft")
    shown = erika.reply.plain_text
    assert "Mustermann" not in shown and "Brenzstraße" not in shown and "max" not in shown
    await erika.presses("👍 Diese unterstützen: Solarbänke")
    assert erika.sees("Sie unterstützen jetzt „Solarbänke an der Brenz“.") and erika.sees("Die Idee wird noch geprüft.")


async def test_a_resident_is_not_offered_their_own_idea(erika: Chat, benches: int) -> None:
    await erika.onboard()
    await start_submission(erika, "Trinkbrunnen am Marktplatz", "Kostenloses Trinkwasser an heißen Tagen.")
    await erika.presses("Aalen")
    await erika.presses("✅ Absenden")
    await start_submission(erika, "Trinkbrunnen am Marktplatz", "Kostenloses Trinkwasser an heißen Tagen.")
    assert not erika.sees("Ähnliche Ideen")


async def test_an_idea_rejected_meanwhile_cannot_be_supported(erika: Chat, store: Store, benches: int) -> None:
    await erika.onboard()
    await start_submission(erika, "Mehr Sitzbänke am Kocher", "Am Kocherufer fehlen Bänke zum Ausruhen.")
    assert store.run(lambda tx: tx.set_idea_status(benches, IdeaStatus.HIDDEN, store.now()))
    await erika.presses("👍 Diese unterstützen")
    assert erika.sees("Diese Idee kann nicht mehr unterstützt werden.")
    assert not erika.sees(BENCHES), "the list shows the ideas as they are now"
    assert support_count(store, benches) == 0
    await erika.presses("Meine Idee ist anders")
    assert erika.sees("Welche Stadt betrifft Ihre Idee?")


async def test_moderators_see_similar_ideas_and_merge_in_one_tap(
    mod_engine: Engine, store: Store, benches: int
) -> None:
    admin = Chat(mod_engine, "admin")
    await admin.onboard()
    moritz = await make_moderator(admin, mod_engine, "moritz", "all")
    anna = await make_moderator(admin, mod_engine, "anna", "aalen")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await start_submission(erika, "Mehr Sitzbänke am Kocher", "Am Kocherufer fehlen Bänke zum Ausruhen.")
    await erika.presses("Meine Idee ist anders")
    await erika.presses("Aalen")
    await erika.presses("✅ Absenden")
    new = benches + 1
    notice = next(o.reply for o in erika.last_outbounds if o.recipient == moritz.identity)
    assert f"Nr. {benches}: {BENCHES} (veröffentlicht, Heidenheim)" in notice.plain_text
    merge = f"🔗 Nr. {new} mit Nr. {benches} zusammenführen"
    buttons = notice_buttons(erika.last_outbounds, moritz)
    assert merge in buttons
    # Anna moderates Aalen only: she sees the Heidenheim idea, but cannot merge into it
    assert merge not in notice_buttons(erika.last_outbounds, anna)
    to_anna = next(o for o in erika.last_outbounds if o.recipient == anna.identity)
    assert BENCHES in to_anna.reply.plain_text

    await moritz.says("/queue")
    assert moritz.sees("Ähnliche Ideen:") and moritz.sees_button(merge)

    await moritz.press_payload(buttons[merge])
    assert moritz.sees(f"Idee Nr. {new} gehört jetzt zu Idee Nr. {benches}")
    merged = store.run(lambda tx: tx.get_idea(new))
    assert merged is not None and merged.status == IdeaStatus.MERGED
    assert erika.engine is mod_engine


async def test_console_transcript(engine: Engine, store: Store, benches: int) -> None:
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "Idee einreichen"))
    out = await erika.say(number_of(out, "Einverstanden"))
    out = await erika.say("Mehr Sitzbänke am Kocher")
    out = await erika.say("Am Kocherufer fehlen Bänke zum Ausruhen.")
    assert "Ähnliche Ideen gibt es schon" in out and f"{BENCHES} · Heidenheim" in out
    out = await erika.say(number_of(out, "👍 Diese unterstützen"))
    assert f"Sie unterstützen jetzt „{BENCHES}“" in out
    assert support_count(store, benches) == 1


async def test_telegram_transcript(polling: TelegramAdapter, fake: FakeTelegram, store: Store, benches: int) -> None:
    erika = TelegramResident(fake, 4712)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Idee einreichen")
    await erika.presses("Einverstanden")
    await erika.says("Mehr Sitzbänke am Kocher")
    await erika.says("Am Kocherufer fehlen Bänke zum Ausruhen.")
    assert erika.sees("Ähnliche Ideen gibt es schon")
    assert erika.labels()[:2] == [f"👍 Diese unterstützen: {BENCHES}", "Meine Idee ist anders"]
    await erika.presses("👍 Diese unterstützen")
    assert erika.sees(f"Sie unterstützen jetzt „{BENCHES}“")
    assert support_count(store, benches) == 1
    assert fake.refusals == []
