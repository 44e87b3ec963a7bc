"""WhatsApp's settings: WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN,
WHATSAPP_API_URL, WHATSAPP_RATE, WHATSAPP_TEMPLATE_NEWS and WHATSAPP_TEMPLATE_LANGUAGE."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings

from bot.config import platform_config

GRAPH_API = "https://graph.facebook.com/v23.0"
"""The Graph API with a pinned version: a new version is taken on purpose, after reading its changelog."""


class WhatsAppSettings(BaseSettings):
    model_config = platform_config("WHATSAPP_")

    token: SecretStr | None = None
    """A permanent access token of a system user of the Meta app; WhatsApp is off while it is unset."""
    phone_number_id: str | None = None
    """The id of the business phone number in the Meta app (not the phone number itself)."""
    app_secret: SecretStr | None = None
    """The Meta app's secret: every webhook call is signed with it (X-Hub-Signature-256)."""
    verify_token: SecretStr | None = None
    """Any long random string, entered again in the Meta app when the webhook is set up."""
    api_url: str = GRAPH_API
    rate: float = Field(default=20.0, gt=0, le=10_000)
    """Messages a second in all; well under the Cloud API's default throughput of 80."""
    template_news: str | None = None
    """An approved template with one body parameter: news for residents whose 24-hour window is closed."""
    template_language: str = "de"

    @field_validator("phone_number_id")
    @classmethod
    def _digits(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9]{5,32}", value):
            raise ValueError("expected the phone number's id from the Meta app: digits only")
        return value

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"expected the Graph API base with its version, e.g. {GRAPH_API}")
        return value.rstrip("/")

    @field_validator("template_news")
    @classmethod
    def _template_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9_]{1,512}", value):
            raise ValueError("expected a template name as WhatsApp Manager shows it: lower-case letters, digits, '_'")
        return value or None

    @model_validator(mode="after")
    def _complete(self) -> WhatsAppSettings:
        if self.token is None:
            return self
        missing = [
            name
            for name, value in (
                ("WHATSAPP_PHONE_NUMBER_ID", self.phone_number_id),
                ("WHATSAPP_APP_SECRET", self.app_secret),
                ("WHATSAPP_VERIFY_TOKEN", self.verify_token),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"WHATSAPP_TOKEN is set, so {' and '.join(missing)} must be set too")
        if len(self.verify_token.get_secret_value() if self.verify_token else "") < 16:
            raise ValueError("WHATSAPP_VERIFY_TOKEN: expected at least 16 characters")
        return self
