"""Web sessions: only sessions the server issued count, and one address starts only so many an hour."""

from __future__ import annotations

import asyncio
import secrets
import signal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from yarl import URL

from bot.web import session
from bot.web.clients import NewSessionLimit, parse_networks
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage.models import resident_table
from storage.store import Store
from tests.chat import Chat
from tests.cli import run_cli, start_run
from tests.helpers import seed_idea
from tests.test_run import free_port
from tests.web_helpers import WebResident, text_of, web_client

LIMITED = "zu viele neue Chats begonnen"


def tally(store: Store, idea_id: int) -> int:
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None
    return idea.support_count


def web_residents(store: Store) -> int:
    query = select(func.count()).select_from(resident_table).where(resident_table.c.platform == session.PLATFORM)
    return int(store.run(lambda tx: tx.rows(query))[0][0])


def base_of(client: TestClient) -> str:  # type: ignore[type-arg]
    return str(client.make_url("/"))


async def new_browser_supports(client: TestClient, idea_id: int, headers: dict[str, str] | None = None) -> bool:  # type: ignore[type-arg]
    """A browser without cookies loads the page and, if it got a chat, supports the idea; True if it did."""
    browser = WebResident(base_of(client))
    try:
        status, html = await browser.load_page(headers)
        if not browser.has_session:
            assert status == 429 and LIMITED in html, html
            with pytest.raises(WSServerHandshakeError) as refused:
                await browser.http.ws_connect(browser.base + "/ws", headers={"Origin": browser.base})
            assert refused.value.status == 403
            return False
        assert status == 200
        browser.socket = await browser.http.ws_connect(browser.base + "/ws", headers={"Origin": browser.base})
        await browser.next()
        await browser.supports(idea_id)
        return True
    finally:
        await browser.close()


async def test_self_made_cookies_add_no_support(engine: Engine, store: Store) -> None:
    idea = seed_idea(store)
    unsigned = [secrets.token_urlsafe(32) for _ in range(100)]
    badly_signed = [f"{secrets.token_urlsafe(32)}.{secrets.token_urlsafe(32)}" for _ in range(100)]
    async with web_client(engine) as client:
        for token in unsigned + badly_signed:
            script = WebResident(base_of(client))
            script.http.cookie_jar.update_cookies({session.COOKIE: token}, client.make_url("/"))
            try:
                script.socket = await script.http.ws_connect(script.base + "/ws", headers={"Origin": script.base})
                await script.next()
                await script.supports(idea)
            except WSServerHandshakeError as refused:
                assert refused.status == 403
            finally:
                await script.close()
    assert tally(store, idea) == 0
    assert web_residents(store) == 0


async def test_a_self_made_cookie_gets_a_fresh_session_on_the_page_and_nothing_else(
    engine: Engine, store: Store
) -> None:
    idea = seed_idea(store)
    forged = secrets.token_urlsafe(32)
    async with web_client(engine) as client:
        browser = WebResident(base_of(client))
        browser.http.cookie_jar.update_cookies({session.COOKIE: forged}, client.make_url("/"))
        try:
            status, _html = await browser.load_page()
            assert status == 200
            token = browser.http.cookie_jar.filter_cookies(client.make_url("/"))[session.COOKIE].value
            assert token != forged
            assert web_residents(store) == 0, "loading the page creates no resident"
            browser.socket = await browser.http.ws_connect(browser.base + "/ws", headers={"Origin": browser.base})
            await browser.next()
            await browser.supports(idea)
        finally:
            await browser.close()
    assert tally(store, idea) == 1
    assert web_residents(store) == 1


async def test_new_sessions_per_address_are_limited(engine: Engine, store: Store) -> None:
    idea = seed_idea(store)
    async with web_client(engine, new_sessions=NewSessionLimit(per_hour=5)) as client:
        supported = [await new_browser_supports(client, idea) for _ in range(200)]
    assert supported == [True] * 5 + [False] * 195
    assert tally(store, idea) == 5
    assert web_residents(store) == 5


async def test_the_default_limit_is_twenty_an_hour_and_the_page_says_so(engine: Engine, store: Store) -> None:
    idea = seed_idea(store)
    async with web_client(engine) as client:
        supported = [await new_browser_supports(client, idea) for _ in range(200)]
        assert supported == [True] * 20 + [False] * 180
        browser = WebResident(base_of(client))
        try:
            status, html = await browser.load_page({"Accept-Language": "de-DE"})
            assert status == 429 and not browser.has_session
            assert (
                "Über diese Verbindung wurden in der letzten Stunde zu viele neue Chats begonnen. "
                "Bitte versuchen Sie es später noch einmal" in html
            )
            assert "chat.js" not in html
            status, html = await browser.load_page({"Accept-Language": "en"})
            assert "Too many new chats were started from this connection in the last hour" in html
        finally:
            await browser.close()
    assert tally(store, idea) == 20


async def test_the_limit_is_counted_again_after_an_hour(engine: Engine, store: Store) -> None:
    now = [0.0]
    limit = NewSessionLimit(per_hour=2, clock=lambda: now[0])
    async with web_client(engine, new_sessions=limit) as client:
        started = [await new_browser_supports(client, seed_idea(store, f"Idee {n}")) for n in range(3)]
        assert started == [True, True, False]
        now[0] += 3600
        assert await new_browser_supports(client, seed_idea(store, "Idee 4"))


async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(engine: Engine, store: Store) -> None:
    idea = seed_idea(store)
    async with web_client(engine, new_sessions=NewSessionLimit(per_hour=5)) as client:
        supported = [
            await new_browser_supports(client, idea, {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(20)
        ]
    assert sum(supported) == 5
    assert tally(store, idea) == 5


async def test_a_trusted_proxy_names_the_client(engine: Engine, store: Store) -> None:
    idea = seed_idea(store)
    options: dict[str, Any] = {
        "new_sessions": NewSessionLimit(per_hour=2),
        "trusted_proxies": parse_networks("10.0.0.0/8, 127.0.0.1"),
    }
    async with web_client(engine, **options) as client:

        async def from_(forwarded: str) -> bool:
            return await new_browser_supports(client, idea, {"X-Forwarded-For": forwarded})

        assert [await from_(f"203.0.113.{n}") for n in range(6)] == [True] * 6, "one client each"
        spoofed = [await from_(f"192.0.2.{n}, 203.0.113.50, 10.1.2.3") for n in range(4)]
        assert spoofed == [True, True, False, False], "the client's own header cannot name a new address"
        one_connection = [await from_(f"2001:db8:1:2::{n:x}") for n in range(1, 4)]
        assert one_connection == [True, True, False], "an IPv6 connection counts per /64"
    assert tally(store, idea) == 10


async def test_residents_with_a_session_keep_working_after_the_limit(engine: Engine, store: Store) -> None:
    first, second = seed_idea(store, "Erste Idee"), seed_idea(store, "Zweite Idee")
    async with web_client(engine, new_sessions=NewSessionLimit(per_hour=3)) as client:
        anna = WebResident(base_of(client))
        try:
            await anna.open()
            await anna.supports(first)
            await anna.close_page()
            assert [await new_browser_supports(client, first) for _ in range(3)] == [True, True, False]

            status, html = await anna.load_page()
            assert status == 200 and LIMITED not in html and "chat.js" in html
            anna.socket = await anna.http.ws_connect(anna.base + "/ws", headers={"Origin": anna.base})
            frame = await anna.next()
            assert "Sie unterstützen diese Idee." in text_of(frame), "she continues where she left off"
            await anna.says(f"/start idea_{second}")
            await anna.presses("👍 Idee unterstützen")
            assert "Sie unterstützen jetzt diese Idee" in text_of(anna.frame)
        finally:
            await anna.close()
    assert tally(store, first) == 3
    assert tally(store, second) == 1


async def test_workers_on_one_database_share_sessions_and_refuse_made_up_ones(
    content: Content, languages: Languages, store_url: str
) -> None:
    """The secret is made once and kept in the store: a restarted server or a second worker uses it too."""
    stores = [Store(store_url), Store(store_url)]
    engines = [Engine(content, languages, one) for one in stores]
    idea = seed_idea(stores[0])
    try:
        async with web_client(engines[0]) as first, web_client(engines[1]) as second:
            anna = WebResident(base_of(first))
            try:
                await anna.open()
                await anna.supports(idea)
                token = anna.http.cookie_jar.filter_cookies(first.make_url("/"))[session.COOKIE].value
            finally:
                await anna.close()
            again = WebResident(base_of(second))
            script = WebResident(base_of(second))
            again.http.cookie_jar.update_cookies({session.COOKIE: token}, second.make_url("/"))
            script.http.cookie_jar.update_cookies({session.COOKIE: secrets.token_urlsafe(32)}, second.make_url("/"))
            try:
                again.socket = await again.http.ws_connect(again.base + "/ws", headers={"Origin": again.base})
                frame = await again.next()
                assert "Sie unterstützen diese Idee." in text_of(frame), "the same resident on the other worker"
                with pytest.raises(WSServerHandshakeError) as refused:
                    await script.http.ws_connect(script.base + "/ws", headers={"Origin": script.base})
                assert refused.value.status == 403
            finally:
                await again.close()
                await script.close()
        assert web_residents(stores[1]) == 1
    finally:
        for engine in engines:
            engine.close()
        for one in stores:
            one.dispose()


async def test_a_configured_secret_signs_the_sessions(engine: Engine, store: Store) -> None:
    secret = secrets.token_urlsafe(48)
    async with web_client(engine, session_secret=secret) as first:
        anna = WebResident(base_of(first))
        try:
            await anna.open()
            token = anna.http.cookie_jar.filter_cookies(first.make_url("/"))[session.COOKIE].value
        finally:
            await anna.close()
    async with web_client(engine) as other:
        script = WebResident(base_of(other))
        script.http.cookie_jar.update_cookies({session.COOKIE: token}, other.make_url("/"))
        try:
            with pytest.raises(WSServerHandshakeError) as refused:
                await script.http.ws_connect(script.base + "/ws", headers={"Origin": script.base})
            assert refused.value.status == 403, "a server with another secret does not accept it"
        finally:
            await script.close()
    async with web_client(engine, session_secret=secret) as again:
        anna = WebResident(base_of(again))
        anna.http.cookie_jar.update_cookies({session.COOKIE: token}, again.make_url("/"))
        try:
            anna.socket = await anna.http.ws_connect(anna.base + "/ws", headers={"Origin": anna.base})
            assert "Bitte wählen Sie Ihre Sprache" in text_of(await anna.next())
        finally:
            await anna.close()


def test_the_first_secret_kept_in_the_store_stays(store_url: str) -> None:
    from storage import platform_state

    stores = [Store(store_url), Store(store_url)]
    try:
        kept = [platform_state.keep_first_value(one, "test.secret", v) for one, v in zip(stores, "ab", strict=True)]
        assert kept == ["a", "a"], "a second process starting at once takes the first one's value"
    finally:
        for one in stores:
            one.dispose()


async def test_bot_run_signs_sessions_and_limits_new_ones(tmp_path: Path) -> None:
    secret = "never-logged-" + secrets.token_urlsafe(40)
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
        "WEB_PORT": str(port),
        "WEB_SESSION_SECRET": secret,
        "WEB_SESSIONS_PER_HOUR": "2",
        "LOG_LEVEL": "DEBUG",
    }
    process, _line = await start_run(env)
    base = f"http://127.0.0.1:{port}"
    try:
        script = WebResident(base)
        script.http.cookie_jar.update_cookies({session.COOKIE: secrets.token_urlsafe(32)}, URL(base))
        try:
            with pytest.raises(WSServerHandshakeError) as refused:
                await script.http.ws_connect(base + "/ws", headers={"Origin": base})
            assert refused.value.status == 403
        finally:
            await script.close()
        statuses = []
        for _ in range(3):
            browser = WebResident(base)
            try:
                statuses.append((await browser.load_page({"X-Forwarded-For": "203.0.113.9"}))[0])
            finally:
                await browser.close()
        assert statuses == [200, 200, 429]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert secret not in (out + err).decode(), "the secret never appears in logs"


def test_wrong_web_settings_name_the_variable() -> None:
    env = {
        "WEB_SESSION_SECRET": "too-short-to-sign",
        "WEB_TRUSTED_PROXIES": "10.0.0.1, proxy.example",
        "WEB_TEMPLATE_DIR": "/no/such/folder",
    }
    result = run_cli("run", env=env)
    assert result.returncode == 2
    assert "WEB_SESSION_SECRET" in result.stderr and "WEB_TRUSTED_PROXIES" in result.stderr
    assert "WEB_TEMPLATE_DIR" in result.stderr
    assert "too-short-to-sign" not in result.stderr, "a secret is not echoed back"


async def test_a_session_with_a_trailing_newline_is_not_a_second_resident(engine: Engine, store: Store) -> None:
    """The same signed token with a newline after it must not count as another browser."""
    idea = seed_idea(store)
    async with web_client(engine) as client:
        browser = WebResident(base_of(client))
        try:
            await browser.open()
            await browser.supports(idea)
            token = browser.http.cookie_jar.filter_cookies(client.make_url("/"))[session.COOKIE].value
            variant = WebResident(base_of(client))
            headers = {"Origin": variant.base, "Cookie": f'{session.COOKIE}="{token}\\012"'}
            with pytest.raises(WSServerHandshakeError) as refused:
                await variant.http.ws_connect(variant.base + "/ws", headers=headers)
            assert refused.value.status == 403
            await variant.close()
        finally:
            await browser.close()
    assert tally(store, idea) == 1
    assert web_residents(store) == 1


async def test_a_session_from_before_signing_keeps_its_conversation(engine: Engine, store: Store) -> None:
    """Someone who chatted before sessions were signed is still the same resident, with their support."""
    idea = seed_idea(store)
    earlier = secrets.token_urlsafe(32)
    identity = session.identity_for(earlier)
    await Chat(engine, identity.user_id, platform=identity.platform).says("/start")  # a chat of that time
    async with web_client(engine, new_sessions=NewSessionLimit(0)) as client:
        browser = WebResident(base_of(client))
        browser.http.cookie_jar.update_cookies({session.COOKIE: earlier}, client.make_url("/"))
        try:
            status, _html = await browser.load_page()
            assert status == 200, "not counted as a new session, so no limit applies"
            assert browser.http.cookie_jar.filter_cookies(client.make_url("/"))[session.COOKIE].value == earlier
            await browser.open()
            await browser.supports(idea)
        finally:
            await browser.close()
    assert web_residents(store) == 1, "the same resident as before"
