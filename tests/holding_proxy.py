"""An HTTP proxy on 127.0.0.1 in front of a real server, that can hold chosen requests.

A held request is received but never forwarded nor answered, as if the network died
with it: the client's process can then be killed between "stored" and "sent".
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length", "content-encoding"}


class HoldingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.hold_bodies_with: str | None = None
        """A request whose body contains this is held."""
        self.held: list[str] = []
        self.app = web.Application(client_max_size=16 * 1024 * 1024)
        self.app.router.add_route("*", "/{path:.*}", self._forward)
        self.runner: web.AppRunner | None = None
        self.session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False)
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.session is not None:
            await self.session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if self.hold_bodies_with is not None and self.hold_bodies_with.encode() in body:
            self.held.append(request.path)
            await asyncio.Event().wait()
        assert self.session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        url = self.upstream + request.rel_url.path_qs
        async with self.session.request(request.method, url, headers=headers, data=body) as upstream:
            payload = await upstream.read()
            answer: dict[str, Any] = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
            if "Content-Encoding" in upstream.headers:
                answer["Content-Encoding"] = upstream.headers["Content-Encoding"]
            return web.Response(status=upstream.status, body=payload, headers=answer)
