"""Broadcasts to web residents: to every page they have open here, or kept for their next visit."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web import PLATFORM
from bot.pacing import Limiter
from bot.web.server import send_to_open_pages
from dialogs.messages import Outbound


class WebTransport:
    """Broadcasts to web residents: to every page they have open here, or kept for their next visit."""

    platform = PLATFORM
    supports_edit = False

    def __init__(self, app: web.Application, rate: float) -> None:
        self.app = app
        self.limiter = Limiter(rate)

    async def post(self, outbound: Outbound) -> str | None:
        await send_to_open_pages(self.app, outbound)
        return None

    async def edit(self, outbound: Outbound, message_id: str) -> None:
        await send_to_open_pages(self.app, outbound)
