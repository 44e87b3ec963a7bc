"""Smaller fixes from the conversation review, each as a resident or moderator would notice it."""

from __future__ import annotations

import asyncio
import time

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.matrix.adapter import media_caption
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from storage.models import IdeaStatus
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.fake_whatsapp import FakeWhatsApp
from tests.helpers import resident, seed_idea, state_of
from tests.test_console import number_of
from tests.test_telegram import TelegramResident
from tests.whatsapp_helpers import WhatsAppResident, whatsapp_bot


async def start_writing(chat: Chat) -> None:
    await chat.presses("Idee einreichen")
    await chat.presses("Einverstanden")
    await chat.says("Mehr Bänke im Stadtgarten")


async def test_changing_language_or_city_returns_to_the_settings(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Einstellungen")
    await erika.presses("Sprache ändern")
    assert erika.sees_button("Zurück")
    await erika.presses("Zurück")
    assert state_of(store, erika.identity) == "settings"
    await erika.presses("Sprache ändern")
    await erika.presses("English")
    assert erika.sees("Settings") and erika.sees("Language: English")
    await erika.presses("Change city")
    assert erika.sees_button("Back")
    await erika.presses("Heidenheim")
    assert erika.sees("City: Heidenheim") and state_of(store, erika.identity) == "settings"


async def test_a_link_to_a_missing_or_hidden_idea_says_so(erika: Chat, store: Store) -> None:
    hidden = seed_idea(store, "Versteckte Idee", status=IdeaStatus.HIDDEN)
    await erika.onboard()
    for link in (f"/start idea_{hidden}", "/start idea_999"):
        await erika.says(link)
        assert erika.sees("Diese Idee ist nicht verfügbar") and erika.sees("Was möchten Sie tun?")
    newcomer = Chat(erika.engine, "neu")
    await newcomer.says("/start idea_999")
    await newcomer.presses("Deutsch")
    await newcomer.presses("Aalen")
    assert newcomer.sees("Diese Idee ist nicht verfügbar")


async def test_cancel_after_typing_asks_first(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await start_writing(erika)
    await erika.says("/abbrechen")
    assert erika.sees("Ihren Entwurf verwerfen?") and erika.sees("Mehr Bänke im Stadtgarten")
    await erika.presses("Nein, weiterschreiben")
    assert erika.sees("Bitte beschreiben Sie Ihre Idee")
    await erika.says("/cancel")
    await erika.presses("Ja, verwerfen")
    assert erika.sees("Abgebrochen. Ihr Entwurf wurde nicht gespeichert.")
    assert state_of(store, erika.identity) == "menu"
    record = resident(store, erika.identity)
    assert record is not None and "idea_draft" not in record.context


async def test_cancel_before_typing_cancels_at_once(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Idee einreichen")
    await erika.presses("Abbrechen")
    assert erika.sees("Abgebrochen.") and state_of(store, erika.identity) == "menu"


async def test_an_old_prompts_cancel_still_cancels(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses("Idee einreichen")
    await erika.presses("Einverstanden")
    old_cancel = erika.button("Abbrechen")  # on the title prompt
    await erika.says("Mehr Bänke im Stadtgarten")
    await erika.says("Im Stadtgarten fehlen Sitzplätze für ältere Menschen.")
    await erika.press_payload(old_cancel)
    assert erika.sees("Ihren Entwurf verwerfen?"), "not: this menu is out of date"
    await erika.presses("Ja, verwerfen")
    assert state_of(store, erika.identity) == "menu"


async def test_console_transcript(engine: Engine, store: Store) -> None:
    seed_idea(store, "Versteckte Idee", status=IdeaStatus.HIDDEN)
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "Ideen nach Thema"))
    assert "[1] Mobilität" in out and "1. Mobilität" not in out, "no second numbering"
    out = await erika.say("/start idea_1")
    assert "Diese Idee ist nicht verfügbar" in out
    out = await erika.say(number_of(out, "Idee einreichen"))
    out = await erika.say(number_of(out, "Einverstanden"))
    out = await erika.say("Mehr Bänke im Stadtgarten")
    out = await erika.say("/abbrechen")
    assert "Ihren Entwurf verwerfen?" in out


async def test_telegram_photo_caption_is_read_as_text(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    erika = TelegramResident(fake, 4715)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Idee einreichen")
    await erika.presses("Einverstanden")
    update = fake.message_update(4715, "")
    message = update["message"]
    del message["text"]
    message["photo"] = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
    message["caption"] = "Kaputte Bank am Kocher"
    before = fake.activity.get("4715", 0)
    await fake.push(update)
    deadline = time.monotonic() + 15
    while fake.activity.get("4715", 0) <= before:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert erika.sees("Bitte beschreiben Sie Ihre Idee"), "the caption became the title"
    assert fake.refusals == []


async def test_whatsapp_photo_caption_is_read_as_text(engine: Engine) -> None:
    fake = FakeWhatsApp()
    await fake.start()
    try:
        async with whatsapp_bot(engine, fake):
            erika = WhatsAppResident(fake, "4917612345678")
            await erika.says("Hallo")
            await erika.presses("Deutsch")
            await erika.presses("Aalen")
            await erika.sends_captioned("image", "Kaputte Bank am Kocher")
            assert erika.sees("Möchten Sie das als Idee einreichen?") and erika.sees("Kaputte Bank am Kocher")
            await erika.presses("Ja, als Idee")
            await erika.presses("Einverstanden")
            assert erika.sees("Bitte beschreiben Sie Ihre Idee"), "the caption became the title"
            await erika.sends_captioned("video", "")
            assert erika.sees("Das habe ich leider nicht verstanden"), "a video without a caption says nothing"
            assert fake.refusals == []
    finally:
        await fake.stop()


def test_a_matrix_caption_is_told_from_a_file_name() -> None:
    assert media_caption({"body": "Kaputte Bank am Kocher", "filename": "bank.jpg"}) == "Kaputte Bank am Kocher"
    assert media_caption({"body": "bank.jpg", "filename": "bank.jpg"}) is None
    assert media_caption({"body": "bank.jpg"}) is None, "before Matrix 1.10, body is the file's name"
    assert media_caption({"body": "  ", "filename": "bank.jpg"}) is None
    assert media_caption({"body": ["not", "text"], "filename": "bank.jpg"}) is None
