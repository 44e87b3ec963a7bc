"""The web chat: the bot's own page over a WebSocket (bot/web/server.py is its transport), run by
adapter.py, its JSON frames (render.py), broadcasts (transport.py), WEB_… settings (settings.py).

It is always on: with no token configured, the bot is this page on localhost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.protocol import Platform
from bot.adapters.web.settings import WebSettings

if TYPE_CHECKING:
    from bot.adapters.protocol import Adapter, Context

PLATFORM = "web"


def configured(_settings: WebSettings) -> bool:
    return True


def build(context: Context, settings: WebSettings) -> Adapter:
    from bot.adapters.web.adapter import WebAdapter

    return WebAdapter(context, settings)


def refused(settings: WebSettings, err: Exception) -> str:
    reason = getattr(err, "strerror", None) or type(err).__name__
    return f"cannot listen on {settings.host}:{settings.port} ({reason}); set WEB_HOST / WEB_PORT to a free address"


ENTRY = Platform(PLATFORM, WebSettings, configured, build, refused)
