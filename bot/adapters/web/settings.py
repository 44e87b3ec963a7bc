"""The web chat's settings: WEB_HOST, WEB_PORT, WEB_SESSION_SECRET, WEB_SESSIONS_PER_HOUR,
WEB_TRUSTED_PROXIES, WEB_BROADCAST_RATE, WEB_TEMPLATE_DIR, WEB_FRAME_ANCESTORS; and the town's
links on every page: SITE_IMPRINT_URL, SITE_PRIVACY_URL, SITE_ACCESSIBILITY_URL, SITE_FEEDBACK_EMAIL.

The server on WEB_HOST:WEB_PORT also serves the dashboard, the health checks and webhooks.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from bot.config import platform_config
from bot.web.clients import Network, parse_networks
from bot.web.embedding import parse_origins
from bot.web.site import SiteLinks, check_email, check_url


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
    frame_ancestors: str = ""
    """Origins whose pages may show the chat in an iframe; none by default."""
    imprint_url: str | None = Field(default=None, validation_alias="SITE_IMPRINT_URL")
    privacy_url: str | None = Field(default=None, validation_alias="SITE_PRIVACY_URL")
    accessibility_url: str | None = Field(default=None, validation_alias="SITE_ACCESSIBILITY_URL")
    feedback_email: str | None = Field(default=None, validation_alias="SITE_FEEDBACK_EMAIL")
    """The footer of every page: imprint, privacy notice, accessibility statement and its feedback contact."""

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

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: str) -> str:
        parse_origins(value)
        return value

    @property
    def proxies(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    @field_validator("imprint_url", "privacy_url", "accessibility_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(value)

    @field_validator("feedback_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value)

    @property
    def framing_origins(self) -> tuple[str, ...]:
        return parse_origins(self.frame_ancestors)

    @property
    def site_links(self) -> SiteLinks:
        return SiteLinks(self.imprint_url, self.privacy_url, self.accessibility_url, self.feedback_email)
