"""Telegram: aiogram with long polling or a webhook (adapter.py), Telegram HTML (render.py),
pacing and broadcasts (transport.py), TELEGRAM_… settings (settings.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.protocol import Platform
from bot.adapters.telegram.settings import TelegramSettings

if TYPE_CHECKING:
    from bot.adapters.protocol import Adapter, Context

PLATFORM = "telegram"


def configured(settings: TelegramSettings) -> bool:
    return settings.token is not None


def build(context: Context, settings: TelegramSettings) -> Adapter:
    # aiogram takes seconds to import: only when Telegram is configured.
    from bot.adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter(context, settings)


def refused(_settings: TelegramSettings, err: Exception) -> str:
    return f"Telegram did not accept the bot ({type(err).__name__}); check TELEGRAM_TOKEN and TELEGRAM_API_URL"


ENTRY = Platform(PLATFORM, TelegramSettings, configured, build, refused)
