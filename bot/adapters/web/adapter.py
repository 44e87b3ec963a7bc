"""The web chat as an adapter: it serves the bot's web server on WEB_HOST:WEB_PORT.

The server (bot/web/server.py) is made by the wiring before any adapter, so that others
can add their routes to it; this adapter starts it first and stops it last.
"""

from __future__ import annotations

from aiohttp import web

from bot.adapters.protocol import Context
from bot.adapters.web import PLATFORM
from bot.adapters.web.settings import WebSettings
from bot.adapters.web.transport import WebTransport
from bot.web.server import send_to_open_pages
from dialogs.messages import Outbound


class WebAdapter:
    platform = PLATFORM

    def __init__(self, context: Context, settings: WebSettings) -> None:
        if context.http is None:
            raise ValueError("the web chat needs the bot's web server (bot/web/server.py create_app)")
        self.app = context.http
        self.settings = settings
        self.shared_port = context.workers > 1
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            # several worker processes listen on one port; the kernel spreads the connections
            site = web.TCPSite(runner, self.settings.host, self.settings.port, reuse_port=self.shared_port or None)
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def send(self, outbound: Outbound) -> object:
        return await send_to_open_pages(self.app, outbound)

    def transport(self) -> WebTransport:
        return WebTransport(self.app, self.settings.broadcast_rate)

    def alive(self) -> None:
        """No loop of its own: the web server answers `/readyz` itself."""

    def describe(self) -> str:
        return "web chat"
