"""Telegram's settings: TELEGRAM_TOKEN, TELEGRAM_API_URL, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_RATE."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from bot.config import platform_config


class TelegramSettings(BaseSettings):
    model_config = platform_config("TELEGRAM_")

    token: SecretStr | None = None
    """From @BotFather; Telegram is off while it is unset."""
    api_url: str = "https://api.telegram.org"
    webhook_secret: SecretStr | None = None
    """With PUBLIC_URL: Telegram posts updates to the bot's web server instead of being polled."""
    rate: float = Field(default=28.0, gt=0, le=10_000)
    """Messages a second to Telegram in all; a little under Telegram's bulk limit of about 30."""

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("expected 1 to 256 letters, digits, '_' or '-' (Telegram's rule for secret tokens)")
        return value
