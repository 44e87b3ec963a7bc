"""Moderation through every adapter: Telegram, the web chat and the console, across platforms."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.matrix.settings import MatrixSettings
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.delivery import Delivery
from bot.web.server import create_app
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage import moderation as db
from storage.models import IdeaStatus, Role
from storage.store import Store
from tests.conftest import telegram_adapter
from tests.fake_telegram import FakeTelegram
from tests.helpers import seed_idea
from tests.test_console import number_of
from tests.test_telegram import TelegramResident
from tests.web_helpers import WebResident, next_reply, text_of

TELEGRAM_ADMIN = Identity("telegram", "1")


@pytest.fixture
def engine_with_admin(content: Content, languages: Languages, store: Store) -> Any:
    engine = Engine(content, languages, store, admins=[TELEGRAM_ADMIN])
    yield engine
    engine.close()


@pytest.fixture
async def platforms(engine_with_admin: Engine) -> AsyncIterator[tuple[FakeTelegram, TelegramAdapter, str]]:
    """Telegram (polling, against the fake server) and the web chat, sharing one delivery."""
    fake = FakeTelegram(per_chat_rate=20, overall_rate=200)
    await fake.start()
    delivery = Delivery()
    runner = web.AppRunner(create_app(engine_with_admin, delivery=delivery), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    adapter = telegram_adapter(engine_with_admin, fake, delivery=delivery)
    await adapter.start()
    yield fake, adapter, f"http://127.0.0.1:{port}"
    await adapter.stop()
    await runner.cleanup()
    await fake.stop()


async def test_telegram_moderator_approves_a_web_residents_idea(
    platforms: tuple[FakeTelegram, TelegramAdapter, str], store: Store
) -> None:
    fake, adapter, base = platforms
    admin = TelegramResident(fake, 1)
    moderator = TelegramResident(fake, 2)
    for person in (admin, moderator):
        await person.says("/start")
        await person.presses("Deutsch")
        await person.presses("Aalen")
    await admin.says("/grant telegram:2 moderator aalen")
    assert admin.sees("telegram:2 hat jetzt die Rolle Moderation für Aalen.")
    await adapter.refresh_role_commands()
    assert "queue" in fake.commands[("chat:2", None)], "the moderator sees moderator commands in their chat"
    assert {"grant", "progress", "stats", "dashboard"} <= set(fake.commands[("chat:1", None)])
    assert "grant" not in fake.commands[("chat:2", None)]

    author = WebResident(base)
    await author.open()
    for label in ("Deutsch", "Aalen", "Idee einreichen", "Einverstanden"):
        await author.presses(label)
    await author.says("Trinkbrunnen am Marktplatz")
    await author.says("Im Sommer fehlt am Marktplatz ein Trinkbrunnen für alle.")
    await author.presses("Mobilität")
    await author.presses("Aalen")
    await author.presses("✅ Absenden")
    assert "Ihre Idee ist eingegangen" in text_of(author.frame)

    deadline = time.monotonic() + 10
    while "Neue Idee Nr." not in fake.last_message(2).text:
        assert time.monotonic() < deadline, "the moderator was not notified on Telegram"
        await asyncio.sleep(0.02)
    assert "Trinkbrunnen am Marktplatz" in fake.last_message(2).text
    await moderator.presses("✅")
    assert moderator.sees("wurde freigegeben")
    told = await next_reply(author.socket)
    assert "Gute Nachricht: Ihre Idee „Trinkbrunnen am Marktplatz“ ist veröffentlicht." in text_of(told)

    resident = TelegramResident(fake, 3)
    await resident.says("/start")
    await resident.says("/hide 1")
    assert resident.sees("Das dürfen Sie leider nicht.")
    assert store.run(lambda tx: tx.get_idea(1)).status == "approved"  # type: ignore[union-attr]
    await author.close()


async def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_a_new_telegram_moderator_gets_notice_and_menu_at_once(
    platforms: tuple[FakeTelegram, TelegramAdapter, str],
) -> None:
    fake, _adapter, _base = platforms
    admin, moderator = TelegramResident(fake, 1), TelegramResident(fake, 2)
    for person in (admin, moderator):
        await person.says("/start")
        await person.presses("Deutsch")
        await person.presses("Aalen")
    assert ("chat:2", None) not in fake.commands
    await admin.says("/grant telegram:2 moderator aalen")
    await wait_for(lambda: moderator.sees("Sie haben jetzt die Rolle Moderation für Aalen."), "no notice")
    await wait_for(lambda: ("chat:2", None) in fake.commands, "no command menu for the new moderator")
    assert {"queue", "approve", "hide"} <= set(fake.commands[("chat:2", None)])
    assert "grant" not in fake.commands[("chat:2", None)]
    await admin.says("/revoke telegram:2 moderator aalen")
    await wait_for(lambda: moderator.sees("Sie haben die Rolle Moderation für Aalen nicht mehr."), "no notice")
    await wait_for(lambda: ("chat:2", None) not in fake.commands, "the moderator's menu stayed")
    assert fake.refusals == []


async def test_web_moderator_rejects_with_a_reason_button(
    platforms: tuple[FakeTelegram, TelegramAdapter, str], store: Store
) -> None:
    fake, _adapter, base = platforms
    author = TelegramResident(fake, 7)
    await author.says("/start")
    await author.presses("Deutsch")
    await author.presses("Heidenheim")
    moderator = WebResident(base)
    await moderator.open()
    await moderator.presses("Deutsch")
    await moderator.presses("Heidenheim")
    identity = moderator.identity
    store.run(
        lambda tx: db.grant(tx, identity.platform, identity.user_id, Role.MODERATOR, "heidenheim", "test", store.now())
    )
    await author.presses("Idee einreichen")
    await author.presses("Einverstanden")
    await author.says("Parkhaus-Ampel mit freien Plätzen")
    await author.says("Am Ortseingang zeigt eine Tafel, wie viele Plätze frei sind.")
    await author.presses("Mobilität")
    await author.presses("Heidenheim")
    await author.presses("✅")
    notice = await next_reply(moderator.socket)
    assert "Neue Idee Nr. 1 wartet auf eine Entscheidung" in text_of(notice)
    moderator.frame = notice
    await moderator.presses("1 ablehnen")
    assert "Warum wird Idee Nr. 1 nicht veröffentlicht?" in text_of(moderator.frame)
    await moderator.presses("es gibt schon eine ähnliche Idee")
    assert "Idee Nr. 1 wurde abgelehnt." in text_of(moderator.frame)
    deadline = time.monotonic() + 10
    while "nicht veröffentlicht" not in fake.last_message(7).text:
        assert time.monotonic() < deadline, "the author was not told on Telegram"
        await asyncio.sleep(0.02)
    assert "Der Grund: es gibt schon eine ähnliche Idee" in fake.last_message(7).text
    await moderator.close()


async def test_console_moderator(content: Content, languages: Languages, store: Store) -> None:
    engine = Engine(content, languages, store, admins=[Identity("console", "chefin")])
    try:
        seed_idea(store, "Bänke mit Solarstrom", status=IdeaStatus.PENDING)
        resident = ConsoleAdapter(context_for(engine), "bürger", write=lambda _text: None)
        await resident.say("/start")
        out = await resident.say("/approve 1")
        assert "Das dürfen Sie leider nicht." in out
        chefin = ConsoleAdapter(context_for(engine), "chefin", write=lambda _text: None)
        await chefin.say("/start")
        out = await chefin.say("/queue")
        assert "Nr. 1: Bänke mit Solarstrom" in out
        out = await chefin.say(number_of(out, "✅ 1 freigeben"))
        assert "Idee Nr. 1 wurde freigegeben." in out
        assert store.run(lambda tx: tx.get_idea(1)).status == "approved"  # type: ignore[union-attr]
        entries = store.run(lambda tx: db.audit_entries(tx))
        assert [(e["actor"], e["outcome"]) for e in entries] == [
            ("console:bürger", "refused"),
            ("console:chefin", "done"),
        ]
    finally:
        engine.close()


PRIVILEGED = [
    "/grant telegram:9 moderator aalen",
    "/revoke telegram:9 moderator aalen",
    "/queue",
    "/approve 1",
    "/reject 1 weil",
    "/hide 2",
    "/merge 1 2",
    "/progress 2 umgesetzt",
    "/bar telegram:9 Spam",
    "/unbar telegram:9",
]


def assert_nothing_changed(store: Store, actor: str) -> None:
    assert store.run(lambda tx: tx.get_idea(1)).status == "pending"  # type: ignore[union-attr]
    second = store.run(lambda tx: tx.get_idea(2))
    assert second is not None and second.status == "approved" and second.support_count == 0
    assert store.run(lambda tx: db.roles_of(tx, "telegram", "9")) == []
    refused = [e for e in store.run(lambda tx: db.audit_entries(tx)) if e["actor"] == actor]
    assert [e["outcome"] for e in refused] == ["refused"] * len(PRIVILEGED), "every attempt is logged"


async def test_residents_are_refused_on_every_adapter(
    platforms: tuple[FakeTelegram, TelegramAdapter, str], engine_with_admin: Engine, store: Store
) -> None:
    fake, _adapter, base = platforms
    seed_idea(store, "Wartet noch", status=IdeaStatus.PENDING)
    seed_idea(store, "Schon veröffentlicht")

    console = ConsoleAdapter(context_for(engine_with_admin), "neugierig", write=lambda _text: None)
    for command in PRIVILEGED:
        assert "Das dürfen Sie leider nicht." in await console.say(command)
    assert_nothing_changed(store, "console:neugierig")

    browser = WebResident(base)
    await browser.open()
    for command in PRIVILEGED:
        await browser.says(command)
        assert "Das dürfen Sie leider nicht." in text_of(browser.frame)
    assert_nothing_changed(store, str(browser.identity))
    await browser.close()

    telegram = TelegramResident(fake, 8)
    for command in PRIVILEGED:
        await telegram.says(command)
        assert telegram.sees("Das dürfen Sie leider nicht.")
    assert_nothing_changed(store, "telegram:8")


async def test_matrix_moderator_approves_by_number(
    engine_with_admin: Engine, store: Store, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.synapse_server import Synapse, why_not

    if why_not():
        pytest.skip(why_not() or "")
    from bot.adapters.matrix.adapter import MatrixAdapter
    from tests.test_matrix import MatrixResident

    synapse = Synapse(tmp_path_factory.mktemp("synapse-moderation"))
    synapse.start()
    try:
        bot_user = synapse.register("moderationsbot", "bot-password")
        settings = MatrixSettings(homeserver=synapse.url, user=bot_user, password="bot-password")
        bot = MatrixAdapter(context_for(engine_with_admin), settings, encryption=False)
        await bot.start()
        moderator, author = MatrixResident(synapse, "moni"), MatrixResident(synapse, "arne")
        try:
            for person in (moderator, author):
                await person.login()
                await person.invite(bot_user)
                await person.says("/start")
                await person.says("1")
                await person.says("Aalen")
            store.run(lambda tx: db.grant(tx, "matrix", moderator.user, Role.MODERATOR, "aalen", "test", store.now()))
            await author.says("/approve 1")
            assert "Das dürfen Sie leider nicht." in author.last
            await author.says("/menu")
            await author.says(author.number_of("Idee einreichen"))
            await author.says(author.number_of("Einverstanden"))
            await author.says("Bänke am Kocher")
            await author.says("Mehr Sitzbänke am Kocherufer, mit Schatten.")
            await author.says(author.number_of("Mobilität"))
            await author.says(author.number_of("Aalen"))
            before = len(moderator.notices)
            await author.says(author.number_of("✅ Absenden"))
            notice = await moderator.wait_for_notices(before + 1)
            assert "Neue Idee Nr. 1 wartet auf eine Entscheidung" in notice.body
            await moderator.says(moderator.number_of("✅ 1 freigeben"))
            assert "Idee Nr. 1 wurde freigegeben." in moderator.last
            told = await author.wait_for_notices(len(author.notices) + 1)
            assert "Gute Nachricht" in told.body
        finally:
            await moderator.close()
            await author.close()
            await bot.stop()
    finally:
        synapse.stop()
