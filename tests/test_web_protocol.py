"""The web chat's protocol, without a browser: sessions, Origin, bad frames, floods, headers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient

from bot.web import session
from bot.web.ratelimit import RateLimiter
from bot.web.server import SESSIONS_KEY
from dialogs.engine import Engine
from storage.store import Store
from tests.helpers import resident, seed_idea, support_count
from tests.web_helpers import next_reply, payload, text_of, web_client


def origin(client: TestClient) -> str:  # type: ignore[type-arg]
    return str(client.make_url("/")).rstrip("/")


async def open_chat(client: TestClient) -> Any:  # type: ignore[type-arg]
    page = await client.get("/")
    assert page.status == 200
    return await client.ws_connect("/ws", headers={"Origin": origin(client)})


async def test_page_sets_a_safe_session_cookie_and_headers(engine: Engine) -> None:
    async with web_client(engine) as client:
        page = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
        html = await page.text()
        cookie = page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie, "plain http on localhost cannot carry a Secure cookie"
        token = page.cookies[session.COOKIE].value
        assert client.app[SESSIONS_KEY].is_valid(token)
        assert '<html lang="en" dir="ltr">' in html
        assert '<script src="/static/chat.js" defer></script>' in html
        assert "<script>" not in html, "no inline script: the CSP forbids it"
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        again = await client.get("/")
        assert session.COOKIE not in again.cookies, "a browser keeps its session"
        for asset in ("/static/chat.js", "/static/chat.css"):
            response = await client.get(asset)
            assert response.status == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_behind_https_the_cookie_is_secure(engine: Engine) -> None:
    from aiohttp.test_utils import TestServer

    from bot.web.server import create_app

    server = TestServer(create_app(engine, public_url="https://mitmachen.example.org/"), host="127.0.0.1")
    async with TestClient(server) as client:
        page = await client.get("/")
        assert "Secure" in page.headers["Set-Cookie"]


async def test_health_endpoint(engine: Engine) -> None:
    async with web_client(engine) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_journey_over_the_socket_and_resume(engine: Engine, store: Store) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        frame = await next_reply(socket)
        assert "Bitte wählen Sie Ihre Sprache" in text_of(frame)
        await socket.send_json({"type": "button", "payload": payload(frame, "Deutsch")})
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Heidenheim")})
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Idee einreichen")})
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Einverstanden")})
        frame = await next_reply(socket)
        assert frame["expectsText"] is True
        await socket.send_json({"type": "text", "text": "<img src=x onerror=alert(1)> Bänke"})
        frame = await next_reply(socket)
        assert "Bitte beschreiben Sie Ihre Idee" in text_of(frame)
        await socket.close()

        socket = await open_chat(client)
        frame = await next_reply(socket)
        assert "Bitte beschreiben Sie Ihre Idee" in text_of(frame), "the same browser continues where it left off"
        assert frame["language"] == "de" and frame["ui"]["send"] == "Senden"
        await socket.close()
        token = client.session.cookie_jar.filter_cookies(client.make_url("/"))[session.COOKIE].value
        record = resident(store, session.identity_for(token))
        assert record is not None and record.context["idea_draft"]["title"] == "<img src=x onerror=alert(1)> Bänke"
        assert token not in str(record), "the cookie itself is never stored"


async def test_export_arrives_as_a_file(engine: Engine) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        await next_reply(socket)
        await socket.send_json({"type": "text", "text": "/privacy"})
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Meine Daten exportieren")})
        frame = await next_reply(socket)
        data = json.loads(base64.b64decode(frame["attachment"]["data"]))
        assert data["resident"][0]["platform"] == "web"
        await socket.close()


async def test_missing_or_forged_cookie_is_refused(engine: Engine) -> None:
    async with web_client(engine) as client:
        with pytest.raises(WSServerHandshakeError) as missing:
            await client.ws_connect("/ws", headers={"Origin": origin(client)})
        assert missing.value.status == 403
        for forged in ("admin", "x" * 200, "../../etc/passwd", ""):
            client.session.cookie_jar.update_cookies({session.COOKIE: forged})
            with pytest.raises(WSServerHandshakeError) as caught:
                await client.ws_connect("/ws", headers={"Origin": origin(client)})
            assert caught.value.status == 403


async def test_a_guessed_token_is_refused_and_the_page_gives_a_new_resident(engine: Engine, store: Store) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Deutsch")})
        await next_reply(socket)
        await socket.close()
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({session.COOKIE: secrets.token_urlsafe(32)}, client.make_url("/"))
        with pytest.raises(WSServerHandshakeError) as caught:
            await client.ws_connect("/ws", headers={"Origin": origin(client)})
        assert caught.value.status == 403
        socket = await open_chat(client)
        frame = await next_reply(socket)
        assert "Bitte wählen Sie Ihre Sprache" in text_of(frame)
        await socket.close()


@pytest.mark.parametrize("bad_origin", [None, "https://evil.example", "http://127.0.0.1:1"])
async def test_wrong_origin_is_refused(engine: Engine, bad_origin: str | None) -> None:
    async with web_client(engine) as client:
        await client.get("/")
        headers = {"Origin": bad_origin} if bad_origin else {}
        with pytest.raises(WSServerHandshakeError) as caught:
            await client.ws_connect("/ws", headers=headers)
        assert caught.value.status == 403


@pytest.mark.parametrize(
    ("frame", "answer"),
    [
        ("not json", "konnte nicht gelesen werden"),
        ('{"type": "shout", "text": "hi"}', "konnte nicht gelesen werden"),
        ('{"type": "text", "text": 42}', "konnte nicht gelesen werden"),
        ('["text"]', "konnte nicht gelesen werden"),
        (
            json.dumps({"type": "text", "text": "a" * 5000}),
            "Ihre Nachricht ist zu lang. Bitte schreiben Sie höchstens 4.000",
        ),
        (json.dumps({"type": "button", "payload": "999.9"}), "Dieses Menü ist nicht mehr aktuell"),
        (json.dumps({"type": "text", "text": ""}), "Bitte wählen Sie Ihre Sprache"),
    ],
)
async def test_bad_frames_get_a_polite_answer(engine: Engine, store: Store, frame: str, answer: str) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        await next_reply(socket)
        await socket.send_str(frame)
        reply = await next_reply(socket)
        assert answer in text_of(reply)
        await socket.send_json({"type": "text", "text": "/help"})
        assert "So funktioniert es" in text_of(await next_reply(socket)), "the chat goes on"
        await socket.close()


async def test_oversized_frame_closes_only_that_socket(engine: Engine) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        await next_reply(socket)
        await socket.send_str("x" * 200_000)
        message = await socket.receive(timeout=10)
        assert message.type.name in ("CLOSE", "CLOSED", "CLOSING")
        socket = await open_chat(client)
        assert "Bitte wählen Sie Ihre Sprache" in text_of(await next_reply(socket))
        await socket.close()


async def test_a_flood_is_slowed_down_per_session(engine: Engine) -> None:
    now = [0.0]
    limiter = RateLimiter(rate=1.0, burst=3, clock=lambda: now[0])
    async with web_client(engine, limiter) as client:
        socket = await open_chat(client)
        await next_reply(socket)
        answers = []
        for _ in range(6):
            await socket.send_json({"type": "text", "text": "/help"})
            answers.append(text_of(await next_reply(socket)))
        assert sum("So funktioniert es" in a for a in answers) == 3
        assert sum("Sie senden sehr schnell Nachrichten" in a for a in answers) == 3
        now[0] += 2.0
        await socket.send_json({"type": "text", "text": "/help"})
        assert "So funktioniert es" in text_of(await next_reply(socket)), "after a pause it answers again"
        await socket.close()


async def at_title(socket: Any) -> None:
    frame = await next_reply(socket)
    for label in ("Deutsch", "Aalen", "Idee einreichen", "Einverstanden"):
        await socket.send_json({"type": "button", "payload": payload(frame, label)})
        frame = await next_reply(socket)
    assert frame["expectsText"]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("🎉🎉🎉🎉🎉🎉", "Bitte beschreiben Sie Ihre Idee in Worten."),
        ("\x00\x07\x1b\u202e", "Ich habe keinen Text erhalten"),
        ("x" * 3000, "Ihr Text hat 3.000 Zeichen. Bitte kürzen Sie ihn auf höchstens 100."),
        ("**fett** [Link](https://example.org)", "Bitte beschreiben Sie Ihre Idee:"),
    ],
)
async def test_core_bad_inputs_over_the_socket(engine: Engine, store: Store, text: str, answer: str) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        await at_title(socket)
        await socket.send_json({"type": "text", "text": text})
        frame = await next_reply(socket)
        assert answer in text_of(frame)
        for block in frame["blocks"]:
            for span in block["spans"]:
                assert span["style"] != "link", "resident Markdown never becomes a link"
        await socket.close()


async def test_payload_of_another_state_over_the_socket(engine: Engine) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        frame = await next_reply(socket)
        language_payload = payload(frame, "Deutsch")
        await socket.send_json({"type": "button", "payload": language_payload})
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Aalen")})
        await next_reply(socket)
        await socket.send_json({"type": "button", "payload": language_payload})
        assert "Dieses Menü ist nicht mehr aktuell" in text_of(await next_reply(socket))
        await socket.close()


async def test_delete_over_the_socket(engine: Engine, store: Store) -> None:
    async with web_client(engine) as client:
        socket = await open_chat(client)
        await next_reply(socket)
        await socket.send_json({"type": "text", "text": "/privacy"})
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Meine Daten löschen")})
        frame = await next_reply(socket)
        await socket.send_json({"type": "button", "payload": payload(frame, "Ja, meine Daten löschen")})
        frame = await next_reply(socket)
        assert "Ihre Daten wurden gelöscht" in text_of(frame)
        await socket.close()
        token = client.session.cookie_jar.filter_cookies(client.make_url("/"))[session.COOKIE].value
        assert resident(store, session.identity_for(token)) is None


async def test_a_notice_waits_for_the_next_visit(engine: Engine, store: Store) -> None:
    from bot.web.server import CONTEXT_KEY
    from dialogs.messages import Block, Outbound, Span
    from dialogs.messages import Reply as ReplyType

    async with web_client(engine) as client:
        socket = await open_chat(client)
        await next_reply(socket)
        await socket.close()
        token = client.session.cookie_jar.filter_cookies(client.make_url("/"))[session.COOKIE].value
        identity = session.identity_for(token)
        notice = ReplyType(blocks=(Block((Span("Gute Nachricht: Ihre Idee ist veröffentlicht."),)),))
        await client.app[CONTEXT_KEY].delivery.deliver([Outbound(identity, identity.user_id, notice)])
        socket = await open_chat(client)
        await next_reply(socket)
        kept = await next_reply(socket)
        assert kept["notification"] is True and "Gute Nachricht" in text_of(kept)
        await socket.close()
        socket = await open_chat(client)
        await next_reply(socket)
        with pytest.raises(TimeoutError):
            await socket.receive_json(timeout=0.5)
        await socket.close()


async def test_a_reaction_payload_from_the_page_adds_no_vote(engine: Engine, store: Store) -> None:
    """Reactions exist on Matrix only; the page can send their payload but not make it count."""
    idea_id = seed_idea(store, "Glatteiswarnung für Radwege")
    async with web_client(engine) as client:
        socket = await open_chat(client)
        for label in ("Deutsch", "Aalen"):
            frame = await next_reply(socket)
            await socket.send_json({"type": "button", "payload": payload(frame, label)})
        await next_reply(socket)
        for forged, answer in (
            ({"type": "button", "payload": f"r.support.{idea_id}"}, "Dieses Menü ist nicht mehr aktuell"),
            ({"type": "text", "text": f"r.support.{idea_id}"}, "Das habe ich leider nicht verstanden"),
            ({"type": "reaction", "payload": f"r.support.{idea_id}"}, "konnte nicht gelesen werden"),
        ):
            await socket.send_json(forged)
            assert answer in text_of(await next_reply(socket))
        assert support_count(store, idea_id) == 0
        await socket.close()


async def test_a_page_that_never_confirms_keeps_no_backlog(engine: Engine, store: Store) -> None:
    """Replies wait for a page that went away, but only the newest few, and not for ever."""
    from storage.models import pending_reply_table

    def kept() -> int:
        return len(store.run(lambda tx: tx.rows(pending_reply_table.select())))

    async def page_gone() -> None:
        """Until the server has seen the page close and set its unconfirmed replies aside."""
        due = pending_reply_table.select().where(pending_reply_table.c.due_at.is_not(None))
        for _ in range(100):
            if store.run(lambda tx: tx.rows(due)):
                return
            await asyncio.sleep(0.05)

    async with web_client(engine) as client:
        socket = await open_chat(client)
        for _ in range(60):  # a script that reads but never confirms
            await socket.send_json({"type": "text", "text": "/help"})
            await socket.receive_json(timeout=10)
            await asyncio.sleep(0.2)  # within the pace a person can type
        assert kept() <= 51, "an open page that does not confirm holds at most the newest 50"
        await socket.close()
        await page_gone()

        handed_out = []
        for _ in range(4):
            socket = await open_chat(client)
            frames = [await socket.receive_json(timeout=10)]
            with contextlib.suppress(TimeoutError):
                while True:
                    frames.append(await socket.receive_json(timeout=1.5))
            handed_out.append(sum("receipt" in f for f in frames))
            await socket.close()
            await page_gone()
    assert handed_out == [20, 20, 20, 0], "the newest 20 replies, three times at most, then no more"
