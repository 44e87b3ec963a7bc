"""Your own ideas: change or withdraw a pending one, see why one was not published and where a
merged one went; notices open the idea; /progress tells only what is new."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import InboundKind
from storage.models import IdeaStatus
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.helpers import seed_idea
from tests.test_console import number_of
from tests.test_journey import _idea_number, submit_idea
from tests.test_moderation import ADMIN, make_moderator, to
from tests.test_telegram import TelegramResident


@pytest.fixture
def mod_engine(content: Content, languages: Languages, store: Store) -> Iterator[Engine]:
    engine = Engine(content, languages, store, admins=[ADMIN])
    yield engine
    engine.close()


@pytest.fixture
async def admin(mod_engine: Engine) -> Chat:
    chat = Chat(mod_engine, "admin")
    await chat.onboard()
    return chat


TITLE, TEXT = "Mehr Bänke im Stadtgarten", "Im Stadtgarten fehlen Sitzplätze für ältere Menschen."


async def open_own_idea(chat: Chat, title: str = TITLE) -> None:
    await chat.says("/menu")
    await chat.presses("Meine Ideen")
    await chat.presses(title)


async def test_change_a_pending_idea_and_the_moderators_see_it_again(
    admin: Chat,
    mod_engine: Engine,
    store: Store,
) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, TITLE, TEXT)
    idea_id = _idea_number(erika)
    await open_own_idea(erika)
    await erika.presses("✏️ Titel ändern")
    assert erika.sees("Bitte tippen Sie den neuen Titel")
    await erika.says("Mehr Sitzbänke im Stadtgarten")
    assert erika.sees("Ihre Änderung ist gespeichert.") and erika.sees("Mehr Sitzbänke im Stadtgarten")
    notices = to(erika.last_outbounds, moritz)
    assert len(notices) == 1
    assert f"Idee Nr. {idea_id} wurde von ihrer Urheberin oder ihrem Urheber geändert" in notices[0].reply.plain_text
    await moritz.says("/queue")
    assert moritz.sees(f"Nr. {idea_id} (geändert): Mehr Sitzbänke im Stadtgarten")
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None and idea.status == IdeaStatus.PENDING and idea.title == "Mehr Sitzbänke im Stadtgarten"


async def test_withdraw_a_pending_idea(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await submit_idea(erika, TITLE, TEXT)
    idea_id = _idea_number(erika)
    await open_own_idea(erika)
    await erika.presses("Idee zurückziehen")
    assert erika.sees("Ihre Idee zurückziehen?")
    await erika.presses("Ja, zurückziehen")
    assert erika.sees("Ihre Idee ist zurückgezogen.") and erika.sees("zurückgezogen")
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None and idea.status == IdeaStatus.WITHDRAWN


async def test_a_published_idea_cannot_be_changed(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await submit_idea(erika, TITLE, TEXT)
    idea_id = _idea_number(erika)
    assert store.run(lambda tx: tx.set_idea_status(idea_id, IdeaStatus.APPROVED, store.now()))
    await open_own_idea(erika)
    assert not erika.sees_button("✏️ Titel ändern") and not erika.sees_button("Idee zurückziehen")


async def test_the_rejection_reason_and_the_merge_target_are_shown(
    admin: Chat,
    mod_engine: Engine,
    store: Store,
) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, TITLE, TEXT)
    rejected = _idea_number(erika)
    outbounds = await moritz.send(moritz.inbound(InboundKind.COMMAND, f"/reject {rejected} Gibt es schon im Park"))
    (notice,) = to(outbounds, erika)
    assert [b.label for b in notice.reply.all_buttons()] == ["Zur Idee"], "the notice opens the idea"
    await erika.press_payload(notice.reply.all_buttons()[0].payload)
    assert erika.sees("Warum sie nicht veröffentlicht wurde: Gibt es schon im Park")
    await erika.says("/menu")
    await erika.presses("Meine Ideen")
    assert erika.sees("Warum sie nicht veröffentlicht wurde: Gibt es schon im Park")

    target = seed_idea(store, "Sitzbänke mit Solarstrom")
    await erika.says("/menu")
    await submit_idea(erika, "Bänke am Kocher", "Am Kocherufer fehlen Bänke zum Ausruhen und Plaudern.")
    duplicate = _idea_number(erika)
    outbounds = await moritz.send(moritz.inbound(InboundKind.COMMAND, f"/merge {duplicate} {target}"))
    (notice,) = to(outbounds, erika)
    await erika.press_payload(notice.reply.all_buttons()[0].payload)
    assert erika.sees("Sitzbänke mit Solarstrom"), "the merge notice opens the idea it went into"
    await open_own_idea(erika, "Bänke am Kocher")
    assert erika.sees(f"Zusammengeführt mit Nr. {target}: Sitzbänke mit Solarstrom")
    await erika.presses("Zur Idee, zu der sie jetzt gehört")
    assert erika.sees("Sitzbänke mit Solarstrom") and erika.sees_button("👍 Idee unterstützen")


async def test_progress_tells_only_what_is_new_with_a_note(
    admin: Chat,
    mod_engine: Engine,
    store: Store,
) -> None:
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, TITLE, TEXT)
    idea_id = _idea_number(erika)
    await admin.says(f"/approve {idea_id}")
    outbounds = await admin.send(admin.inbound(InboundKind.COMMAND, f"/progress {idea_id} umsetzung Start im Mai"))
    (notice,) = to(outbounds, erika)
    assert notice.reply.plain_text.endswith("Hinweis: Start im Mai")
    assert "Der Grund" not in notice.reply.plain_text
    assert [b.label for b in notice.reply.all_buttons()] == ["Zur Idee"]
    outbounds = await admin.send(admin.inbound(InboundKind.COMMAND, f"/progress {idea_id} umsetzung Start im Mai"))
    assert to(outbounds, erika) == [], "the same progress again tells nobody"
    outbounds = await admin.send(admin.inbound(InboundKind.COMMAND, f"/progress {idea_id} umgesetzt"))
    assert len(to(outbounds, erika)) == 1


async def test_console_transcript(engine: Engine, store: Store) -> None:
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "Idee einreichen"))
    out = await erika.say(number_of(out, "Einverstanden"))
    out = await erika.say(TITLE)
    out = await erika.say(TEXT)
    out = await erika.say(number_of(out, "Klima"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "✅ Absenden"))
    out = await erika.say(number_of(out, "Meine Ideen"))
    out = await erika.say(number_of(out, TITLE))
    out = await erika.say(number_of(out, "✏️ Beschreibung ändern"))
    out = await erika.say("Im Stadtgarten fehlen Bänke im Schatten, besonders für ältere Menschen.")
    assert "Ihre Änderung ist gespeichert." in out and "Bänke im Schatten" in out


async def test_telegram_transcript(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    erika = TelegramResident(fake, 4717)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Idee einreichen")
    await erika.presses("Einverstanden")
    await erika.says(TITLE)
    await erika.says(TEXT)
    await erika.presses("Klima")
    await erika.presses("Aalen")
    await erika.presses("✅ Absenden")
    await erika.presses("Meine Ideen")
    await erika.presses(TITLE)
    await erika.presses("Idee zurückziehen")
    await erika.presses("Ja, zurückziehen")
    assert erika.sees("Ihre Idee ist zurückgezogen.")
    assert fake.refusals == []
