"""The web chat's settings: WEB_HOST, WEB_PORT, WEB_SESSION_SECRET, WEB_SESSIONS_PER_HOUR,
WEB_TRUSTED_PROXIES, WEB_BROADCAST_RATE, WEB_TEMPLATE_DIR.

The server on WEB_HOST:WEB_PORT also serves the dashboard, the health checks and webhooks.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from bot.config import platform_config
from bot.web.clients import Network, parse_networks


class WebSettings(BaseSettings):
    model_config = platform_config("WEB_")

    host: str = "127.0.0.1"
    """Where the bot's web server listens: the web chat, the dashboard, health checks, webhooks."""
    port: int = Field(default=8080, ge=1, le=65535)
    session_secret: SecretStr | None = None
    """Signs web chat sessions; without it, a secret is made at the first start and kept in the store."""
    sessions_per_hour: int = Field(default=20, ge=1, le=100_000)
    """New web chat sessions one address may start within an hour (per process)."""
    trusted_proxies: str = ""
    """Reverse proxies whose X-Forwarded-For header names the client: comma-separated IPs or CIDR ranges."""
    broadcast_rate: float = Field(default=100.0, gt=0, le=10_000)
    template_dir: Path | None = None
    """A town's own templates for the chat page and the dashboard, each overriding the bot's of that name."""

    @field_validator("session_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "expected at least 32 characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as err:
            raise ValueError(f"expected comma-separated IP addresses or CIDR ranges ({err})") from err
        return value

    @field_validator("template_dir")
    @classmethod
    def _template_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"expected a folder of templates; {value} is none")
        return value

    @property
    def proxies(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)
