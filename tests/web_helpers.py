"""A web chat server on a free loopback port, for protocol and browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web.ratelimit import RateLimiter
from bot.web.server import create_app
from dialogs.engine import Engine


@asynccontextmanager
async def web_client(
    engine: Engine, limiter: RateLimiter | None = None
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    server = TestServer(create_app(engine, limiter=limiter), host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
