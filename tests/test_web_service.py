"""The web chat as a service: headers on every response, a quick shutdown, and nothing sent twice."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.web.settings import WebSettings
from bot.config import ConfigError, load
from bot.web.server import SECURITY_HEADERS
from bot.wiring import load_configuration
from dialogs.engine import Engine
from tests.cli import start_run
from tests.test_run import free_port
from tests.web_helpers import WebResident, payload, text_of, web_client


async def test_errors_carry_the_security_headers_and_no_framework_version(engine: Engine) -> None:
    async with web_client(engine) as client:
        page = await client.get("/")
        client.session.cookie_jar.clear()
        responses = {
            "page": page,
            "404": await client.get("/no-such-page"),
            "405": await client.post("/"),
            "socket without a session (403)": await client.get(
                "/ws", headers={"Origin": str(client.make_url("")).rstrip("/")}
            ),
            "static file": await client.get("/static/chat.js"),
        }
        assert [responses[k].status for k in ("404", "405", "socket without a session (403)")] == [404, 405, 403]
        for name, response in responses.items():
            for header, value in SECURITY_HEADERS.items():
                assert response.headers.get(header) == value, f"{name}: {header}"
            server = response.headers.get("Server", "")
            assert "aiohttp" not in server.lower() and "python" not in server.lower(), f"{name}: Server: {server}"
            assert not any(ch.isdigit() for ch in server), f"{name}: the Server header names a version: {server}"


async def test_a_message_sent_again_with_its_id_is_handled_once(engine: Engine) -> None:
    async with web_client(engine) as client:
        anna = WebResident(str(client.make_url("/")))
        other = WebResident(str(client.make_url("/")))
        try:
            await anna.open()
            await other.open()
            press = {"type": "button", "payload": payload(anna.frame, "Deutsch"), "id": "press-0001"}
            await anna.socket.send_json(press)
            assert "In welcher Stadt" in text_of(await anna.next())
            assert await anna.next() == {"type": "done", "id": "press-0001"}
            await anna.socket.send_json({"type": "text", "text": "/start", "id": "typed-0001"})
            await anna.next()
            assert await anna.next() == {"type": "done", "id": "typed-0001"}
            # after a reconnect the page sends what it has no "done" for once more: nothing happens twice
            await anna.socket.send_json({"type": "text", "text": "/start", "id": "typed-0001"})
            assert await anna.next() == {"type": "done", "id": "typed-0001"}
            # the same id from someone else is theirs alone
            await other.socket.send_json({**press, "payload": payload(other.frame, "English")})
            assert "Which city" in text_of(await other.next())
        finally:
            await anna.close()
            await other.close()


async def test_shutdown_closes_open_chats_at_once_with_going_away(tmp_path: Path) -> None:
    port = free_port()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3", "WEB_PORT": str(port)}
    process, _line = await start_run(env)
    base = f"http://127.0.0.1:{port}"
    residents = [WebResident(base) for _ in range(3)]
    try:
        for resident in residents:
            await resident.open()
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        for resident in residents:
            closing = await resident.socket.receive(timeout=5)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
            assert resident.socket.close_code == aiohttp.WSCloseCode.GOING_AWAY
        _out, err = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 0, err.decode()
        assert time.monotonic() - started < 8, "the bot stopped within seconds with pages open"
    finally:
        if process.returncode is None:
            process.kill()
        for resident in residents:
            await resident.close()


async def test_only_the_chat_page_may_be_framed_and_only_by_the_towns_origins(engine: Engine) -> None:
    town = "https://www.musterstadt.de"
    async with web_client(engine, frame_ancestors=(town,)) as client:
        page = await client.get("/")
        assert f"frame-ancestors {town};" in page.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in page.headers, "it knows no list of sites and would forbid the frame"
        cookie = page.headers["Set-Cookie"]
        assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie and "HttpOnly" in cookie
        for path in ("/dashboard", "/no-such-page", "/static/chat.js"):
            other = await client.get(path)
            assert other.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"], path
            assert other.headers["X-Frame-Options"] == "DENY", path
        token = cookie.split(";")[0].split("=", 1)[1]
        state = await client.get("/session", cookies={"mitmach_session": token})
        assert await state.json() == {"cookie": True, "session": True}
        assert await (await client.get("/session")).json() == {"cookie": False, "session": False}
        made_up = await client.get("/session", cookies={"mitmach_session": "x" * 43})
        assert await made_up.json() == {"cookie": True, "session": False}


async def test_without_embedding_the_session_cookie_stays_lax(engine: Engine) -> None:
    async with web_client(engine) as client:
        page = await client.get("/")
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert "SameSite=Lax" in page.headers["Set-Cookie"] and "Partitioned" not in page.headers["Set-Cookie"]


def test_web_frame_ancestors_must_be_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_FRAME_ANCESTORS", "https://www.aalen.de, https://www.heidenheim.de/mitmachen")
    with pytest.raises(ConfigError) as refused:
        load_configuration()
    assert "WEB_FRAME_ANCESTORS: " in str(refused.value)
    assert "'https://www.heidenheim.de/mitmachen' is not an origin" in str(refused.value)
    monkeypatch.setenv("WEB_FRAME_ANCESTORS", "https://www.aalen.de https://www.heidenheim.de/")
    assert load(WebSettings).framing_origins == ("https://www.aalen.de", "https://www.heidenheim.de")


async def test_the_page_learns_how_long_an_answer_may_be(engine: Engine) -> None:
    from dialogs.engine import TEXT_LIMITS
    from dialogs.flows import STATES

    assert set(TEXT_LIMITS) <= set(STATES), "every limit belongs to a state the dialogue has"
    async with web_client(engine) as client:
        anna = WebResident(str(client.make_url("/")))
        try:
            await anna.open()
            for label in ("Deutsch", "Aalen", "Idee einreichen"):
                await anna.presses(label)
            assert anna.frame["textLimit"] is None, "no count where the resident chooses"
            await anna.presses("Einverstanden")
            assert anna.frame["expectsText"] and anna.frame["textLimit"] == 100
            await anna.says("Freie Parkplätze in Echtzeit")
            assert anna.frame["textLimit"] == 1000
        finally:
            await anna.close()
