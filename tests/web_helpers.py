"""A web chat server on a free loopback port, for protocol and browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.web import session
from bot.web.ratelimit import RateLimiter
from bot.web.server import create_app
from dialogs.engine import Engine
from dialogs.messages import Identity
from tests.texts import de


@asynccontextmanager
async def web_client(
    engine: Engine, limiter: RateLimiter | None = None, watch: Sequence[Any] = (), **options: Any
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The web app on 127.0.0.1; `options` go to create_app (new_sessions, trusted_proxies, …).

    `watch` are aiohttp middlewares of the test's own, run inside the app's, to see when a request arrives.
    """
    app = create_app(engine, limiter=limiter, **options)
    app.middlewares.extend(watch)
    server = TestServer(app, host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def next_reply(socket: Any) -> dict[str, Any]:
    """The next frame; a reply is confirmed as the page confirms it once shown."""
    frame = await socket.receive_json(timeout=10)
    if "receipt" in frame:
        await socket.send_json({"type": "received", "receipt": frame["receipt"]})
    return dict(frame)


def text_of(frame: dict[str, Any]) -> str:
    return "\n".join("".join(s["text"] for s in block["spans"]) for block in frame.get("blocks", [])) or frame.get(
        "text", ""
    )


def payload(frame: dict[str, Any], label: str) -> str:
    for row in frame["buttons"]:
        for button in row:
            if button["label"].startswith(label):
                return str(button["payload"])
    raise AssertionError(f"no button {label!r}")


class WebResident:
    """A browser tab of its own (its own session cookie), speaking the page's WebSocket protocol."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.socket: Any = None
        self.frame: dict[str, Any] = {}
        self.frames: list[dict[str, Any]] = []
        """Every frame this tab received, in order."""

    async def load_page(self, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """Load the chat page (which hands out a session when the browser has none): status and HTML."""
        async with self.http.get(self.base + "/", headers=headers) as page:
            return page.status, await page.text()

    async def open(self, headers: dict[str, str] | None = None) -> None:
        await self.load_page(headers)
        self.socket = await self.http.ws_connect(self.base + "/ws", headers={"Origin": self.base})
        await self.next()

    @property
    def has_session(self) -> bool:
        return session.COOKIE in self.http.cookie_jar.filter_cookies(URL(self.base))

    async def supports(self, idea_id: int) -> None:
        """Follow a link to the idea as a new resident (German, Aalen) and support it."""
        await self.says(f"/start idea_{idea_id}")
        for label in ("Deutsch", "Aalen", de("👍 Support this idea")):
            await self.presses(label)
        assert de("Thank you! You now support this idea.") in text_of(self.frame), text_of(self.frame)

    async def next(self) -> dict[str, Any]:
        self.frame = await next_reply(self.socket)
        self.frames.append(self.frame)
        return self.frame

    @property
    def identity(self) -> Identity:
        token = self.http.cookie_jar.filter_cookies(URL(self.base))[session.COOKIE].value
        return session.identity_for(token)

    async def presses(self, label: str) -> None:
        await self.socket.send_json({"type": "button", "payload": payload(self.frame, label)})
        await self.next()

    async def says(self, text: str) -> None:
        await self.socket.send_json({"type": "text", "text": text})
        await self.next()

    async def close_page(self) -> None:
        """Close the tab; the session cookie stays for the next visit."""
        if self.socket is not None:
            await self.socket.close()
            self.socket = None

    async def close(self) -> None:
        await self.close_page()
        await self.http.close()
