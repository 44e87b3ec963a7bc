"""The Telegram adapter against a local, strict Bot API server, over real HTTP."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.render import to_messages
from bot.web.server import create_app
from dialogs.engine import Engine
from dialogs.messages import Block, Identity, Outbound, Reply, Span
from storage.store import Store
from tests.conftest import start_telegram, telegram_adapter
from tests.fake_telegram import FakeTelegram, visible_length
from tests.helpers import resident, seed_idea, support_count
from tests.texts import IDEA_RECEIVED, MENU_OUT_OF_DATE, WELCOME, city, de, de_plural, de_start, en

SECRET = "webhook-secret-0123456789"


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class TelegramResident:
    """A person in a private chat with the bot, typing and tapping in the Telegram app."""

    def __init__(self, fake: FakeTelegram, user_id: int, language: str = "de") -> None:
        self.fake = fake
        self.user_id = user_id
        self.language = language

    @property
    def chat(self) -> str:
        return str(self.user_id)

    async def _after(self, push: Any) -> None:
        before = self.fake.activity.get(self.chat, 0)
        await push
        deadline = time.monotonic() + 15
        while self.fake.activity.get(self.chat, 0) <= before:
            assert time.monotonic() < deadline, "the bot did not answer"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)

    async def says(self, text: str) -> None:
        await self._after(self.fake.push(self.fake.message_update(self.user_id, text, language=self.language)))

    async def presses(self, label: str) -> None:
        message = self.fake.last_message(self.user_id)
        data = self.data_of(label)
        update = self.fake.callback_update(self.user_id, data, message.message_id, self.language)
        await self._after(self.fake.push(update))

    async def presses_data(self, data: str) -> None:
        message = self.fake.last_message(self.user_id)
        await self._after(self.fake.push(self.fake.callback_update(self.user_id, data, message.message_id)))

    def data_of(self, label: str) -> str:
        for row in self.fake.last_message(self.user_id).buttons:
            for button in row:
                if button["text"].startswith(label):
                    return button["data"]
        raise AssertionError(f"no button {label!r} in {self.labels()}")

    def labels(self) -> list[str]:
        return [b["text"] for row in self.fake.last_message(self.user_id).buttons for b in row]

    def sees(self, text: str) -> bool:
        return text in plain(self.fake.last_message(self.user_id).text)


@pytest.fixture
async def webhook(engine: Engine, fake: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    app = create_app(engine)
    runner = web.AppRunner(app, access_log=None)
    adapter = telegram_adapter(engine, fake, http=app, webhook_secret=SECRET)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    adapter.public_url = f"http://127.0.0.1:{port}"
    await adapter.start()
    yield adapter
    await adapter.stop()
    await runner.cleanup()


async def submit_journey(erika: TelegramResident) -> None:
    await erika.says("/start")
    assert erika.sees(de(WELCOME))
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    assert erika.sees("Was möchten Sie tun?")
    await erika.presses("Die Vision entdecken")
    await erika.presses("Rundgang überspringen")
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.presses("Idee zu diesem Thema einreichen")
    await erika.presses("Einverstanden")
    await erika.says('Ampeln mit <Grün> & "Welle"')
    await erika.says("Eine grüne Welle für Radfahrende auf der Hauptstraße, mit <b>Sensoren</b>.")
    await erika.presses(city("aalen"))
    assert erika.sees('Ampeln mit <Grün> & "Welle"'), "resident text arrives escaped and intact"
    await erika.presses(de("✅ Submit"))
    assert erika.sees(de_start(IDEA_RECEIVED))
    await erika.presses(de("My ideas"))
    assert erika.sees(de("being reviewed"))


def assert_clean(fake: FakeTelegram) -> None:
    assert fake.refusals == [], "every request followed Telegram's rules"
    assert fake.rate_limited == 0
    callbacks = [p["callback_query_id"] for m, p in fake.calls if m == "answercallbackquery"]
    pressed = sum(1 for m, p in fake.calls if m == "answercallbackquery")
    assert len(set(callbacks)) == pressed, "each callback query answered once"


async def test_polling_journey(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    erika = TelegramResident(fake, 4711)
    await submit_journey(erika)
    assert len(fake.chats["4711"]) <= 4, "menus are edited in place instead of piling up"
    assert any(m == "editmessagetext" for m, _p in fake.calls)
    assert len(fake.answered_callbacks) == 11, "every button press was answered"
    assert_clean(fake)
    record = resident(store, Identity("telegram", "4711"))
    assert record is not None and record.chat_id == "4711" and record.language == "de"


async def test_command_menus_per_language_and_scope(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    english = ["start", "menu", "help", "cancel", "language", "privacy", "stop"]
    # German menus list the German aliases beside them (the default menu is German); /menü, typed, works too
    german = ["start", "menu", "menue", "help", "hilfe", "cancel", "abbrechen", "language", "sprache"]
    german += ["privacy", "datenschutz", "stop", "stopp"]
    for language, expected in (("de", german), ("en", english), (None, german)):
        assert fake.commands[("all_private_chats", language)] == expected
    assert fake.commands[("all_group_chats", "en")] == ["start", "help"]
    assert fake.commands[("all_group_chats", "de")] == ["start", "help", "hilfe"]
    descriptions = {
        language: [c["description"] for c in params["commands"]]
        for method, params in fake.calls
        if method == "setmycommands" and (language := params.get("language_code"))
    }
    assert descriptions["de"][0] == de("Start from the beginning")
    assert descriptions["en"][0] == en("Start from the beginning")


async def test_webhook_journey(webhook: TelegramAdapter, fake: FakeTelegram) -> None:
    assert fake.webhook is not None and fake.webhook["secret_token"] == SECRET
    assert fake.webhook["url"].endswith("/telegram/webhook")
    await submit_journey(TelegramResident(fake, 815))
    assert set(fake.webhook_answers) == {200}
    assert_clean(fake)


async def test_webhook_rejects_wrong_or_missing_secret(
    webhook: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    for secret in (None, "", "wrong", SECRET + "x"):
        status = await fake.post_to_webhook(fake.message_update(999, "/start"), secret)
        assert status == 401
    await asyncio.sleep(0.1)
    assert "999" not in fake.chats
    assert resident(store, Identity("telegram", "999")) is None, "nothing was processed"


async def test_redelivered_update_is_processed_once(webhook: TelegramAdapter, fake: FakeTelegram) -> None:
    update = fake.message_update(4242, "/start")
    assert await fake.push(update) == 200
    assert await fake.push(update) == 200, "a redelivery is acknowledged"
    await asyncio.sleep(0.3)
    assert len(fake.chats["4242"]) == 1, "but answered only once"


async def test_an_update_the_store_could_not_take_is_asked_for_again(
    webhook: TelegramAdapter, fake: FakeTelegram, store: Store, sqlite_url: str
) -> None:
    """An outage answers 503, so Telegram redelivers; once the store is back the update is answered once."""
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    away = database.with_name("away.sqlite3")
    store.dispose()
    database.rename(away)  # the next connection finds an empty file: no tables, the store is not there
    update = fake.message_update(4343, "/start")
    try:
        assert await fake.push(update) == 503
    finally:
        store.dispose()
        away.replace(database)
    assert await fake.push(update) == 200
    await asyncio.sleep(0.3)
    assert len(fake.chats["4343"]) == 1


async def test_stale_and_forged_buttons(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    anna = TelegramResident(fake, 31)
    await anna.says("/start")
    await anna.presses("Deutsch")
    await anna.presses(city("aalen"))
    old = anna.data_of(de("Settings"))
    await anna.presses(de("Settings"))
    await anna.presses(de("Back"))
    await anna.presses_data(old)
    assert anna.sees(de(MENU_OUT_OF_DATE))
    for forged in ("x" * 64, "9999.0", "mod:approve:1"):
        await anna.presses_data(forged)
        assert anna.sees(de(MENU_OUT_OF_DATE))
    assert len(fake.answered_callbacks) == 8
    assert_clean(fake)


async def test_group_chats_get_pointed_to_a_private_chat(
    polling: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    await fake.push(fake.message_update(77, "Guten Morgen zusammen", chat_id=-100, chat_type="supergroup"))
    await fake.push(fake.message_update(77, "/start@SomeOtherBot", chat_id=-100, chat_type="supergroup"))
    await fake.push(fake.message_update(77, "/start@MitmachTestBot", chat_id=-100, chat_type="supergroup"))
    deadline = time.monotonic() + 10
    while "-100" not in fake.chats:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    assert len(fake.chats["-100"]) == 1, "only the command addressed to this bot is answered"
    assert "https://t.me/MitmachTestBot" in fake.chats["-100"][0].text
    assert resident(store, Identity("telegram", "77")) is None


async def test_deep_link_opens_an_idea(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    idea_id = seed_idea(store, "Glatteiswarnung für Radwege")
    lena = TelegramResident(fake, 55)
    await lena.says(f"/start idea_{idea_id}")
    await lena.presses("Deutsch")
    await lena.presses(city("aalen"))
    assert lena.sees("Glatteiswarnung für Radwege")
    await lena.presses("👍")
    assert lena.sees(de_plural("{count} person supports it.", "{count} people support it.", 1))


async def test_reaction_payload_as_callback_data_adds_no_vote(
    polling: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    idea_id = seed_idea(store, "Glatteiswarnung für Radwege")
    mia = TelegramResident(fake, 56)
    await mia.says("/start")
    await mia.presses("Deutsch")
    await mia.presses(city("aalen"))
    for data in (f"r.support.{idea_id}", f"r.withdraw.{idea_id}", f"r.support.{idea_id}"):
        await mia.presses_data(data)
        assert mia.sees(de(MENU_OUT_OF_DATE))
        assert mia.sees(de("What would you like to do?"))
    assert support_count(store, idea_id) == 0


async def test_blocked_bot_marks_the_resident_unreachable(
    polling: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    max_ = TelegramResident(fake, 61)
    await max_.says("/start")
    fake.blocked.add("61")
    await fake.push(fake.message_update(61, "/help"))
    deadline = time.monotonic() + 10
    while (record := resident(store, Identity("telegram", "61"))) is None or record.unreachable_since is None:
        assert time.monotonic() < deadline, "the 403 was not recorded"
        await asyncio.sleep(0.05)
    other = TelegramResident(fake, 62)
    await other.says("/start")
    assert other.sees(de(WELCOME)), "the bot goes on serving everyone else"
    fake.blocked.discard("61")
    await max_.says("/menu")
    record = resident(store, Identity("telegram", "61"))
    assert record is not None and record.unreachable_since is None, "writing again makes them reachable"


async def test_429_retry_after_is_honoured(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    cem = TelegramResident(fake, 71)
    fake.force_429 = 1
    started = time.monotonic()
    await cem.says("/start")
    assert time.monotonic() - started >= 0.9, "the adapter waited as told"
    assert cem.sees(de(WELCOME))
    assert fake.rate_limited == 1


async def test_server_errors_are_retried_and_nothing_is_lost(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    fake.fail_next["getupdates"] = 2
    fake.fail_next["sendmessage"] = 2
    dana = TelegramResident(fake, 81)
    await dana.says("/start")
    assert dana.sees(de(WELCOME))


async def test_real_rate_limits_are_kept(engine: Engine, store: Store) -> None:
    """With Telegram's own limits (1 message a second per chat), fast taps cause no 429."""
    strict = FakeTelegram(per_chat_rate=1.0, overall_rate=30.0)
    await strict.start()
    adapter = await start_telegram(engine, strict, per_chat_rate=1.0, overall_rate=30.0)
    try:
        eva = TelegramResident(strict, 91)
        await eva.says("/start")
        await eva.presses("Deutsch")
        await eva.presses(city("aalen"))
        await eva.presses(de("Settings"))
        assert eva.sees(de("Language: {language}", language="Deutsch"))
        assert strict.rate_limited == 0
        assert strict.refusals == []
    finally:
        await adapter.stop()
        await strict.stop()


def test_long_replies_are_split_between_paragraphs() -> None:
    paragraphs = [f"Absatz {n}: " + "Wort " * 150 + "<&>" for n in range(12)]
    reply = Reply(blocks=tuple(Block((Span(p),)) for p in paragraphs))
    messages = to_messages(reply)
    assert len(messages) > 1
    for message in messages:
        assert visible_length(message) <= 4096
        assert message.startswith("Absatz "), "each message starts at a paragraph"
    assert plain("".join(messages)).replace("\n", "") == "".join(paragraphs)
    one_huge = Reply(blocks=(Block((Span("x " * 5000),)),))
    assert all(visible_length(m) <= 4096 for m in to_messages(one_huge))


async def test_long_reply_is_delivered_in_parts(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    paragraphs = tuple(Block((Span(f"Teil {n} " + "Text " * 200),)) for n in range(8))
    await polling.send(Outbound(Identity("telegram", "5"), "5", Reply(blocks=paragraphs)))
    assert len(fake.chats["5"]) >= 2
    assert fake.refusals == []
