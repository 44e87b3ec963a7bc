"""Configuration from environment variables; every setting has a default."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.web.clients import Network, parse_networks
from dialogs.messages import Identity

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value the bot cannot use; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'data' / 'mitmach.sqlite3'}", validation_alias="DATABASE_URL"
    )
    content_file: Path = Field(
        default=PROJECT_ROOT / "content" / "aalen-heidenheim.yaml", validation_alias="CONTENT_FILE"
    )
    db_auto_upgrade: bool = Field(default=True, validation_alias="DB_AUTO_UPGRADE")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_format: str = Field(default="text", validation_alias="LOG_FORMAT")
    """text for people, json for a log collector (one object a line, ids hashed)."""
    metrics_host: str = Field(default="127.0.0.1", validation_alias="METRICS_HOST")
    metrics_port: int | None = Field(default=None, ge=1, le=65535, validation_alias="METRICS_PORT")
    """The Prometheus endpoint's own listener; no metrics are served while it is unset."""

    web_host: str = Field(default="127.0.0.1", validation_alias="WEB_HOST")
    web_port: int = Field(default=8080, ge=1, le=65535, validation_alias="WEB_PORT")
    public_url: str | None = Field(default=None, validation_alias="PUBLIC_URL")
    web_session_secret: SecretStr | None = Field(default=None, validation_alias="WEB_SESSION_SECRET")
    """Signs web chat sessions; without it, a secret is made at the first start and kept in the store."""
    web_sessions_per_hour: int = Field(default=20, ge=1, le=100_000, validation_alias="WEB_SESSIONS_PER_HOUR")
    """New web chat sessions one address may start within an hour (per process)."""
    web_trusted_proxies: str = Field(default="", validation_alias="WEB_TRUSTED_PROXIES")
    """Reverse proxies whose X-Forwarded-For header names the client: comma-separated IPs or CIDR ranges."""
    web_template_dir: Path | None = Field(default=None, validation_alias="WEB_TEMPLATE_DIR")
    """A town's own templates for the chat page and the dashboard, each overriding the bot's of that name."""

    telegram_token: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", validation_alias="TELEGRAM_API_URL")
    telegram_webhook_secret: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_WEBHOOK_SECRET")

    telegram_rate: float = Field(default=28.0, gt=0, le=10_000, validation_alias="TELEGRAM_RATE")
    """Messages a second to Telegram in all; a little under Telegram's bulk limit of about 30."""

    matrix_homeserver: str | None = Field(default=None, validation_alias="MATRIX_HOMESERVER")
    matrix_user: str | None = Field(default=None, validation_alias="MATRIX_USER")
    matrix_password: SecretStr | None = Field(default=None, validation_alias="MATRIX_PASSWORD")
    matrix_access_token: SecretStr | None = Field(default=None, validation_alias="MATRIX_ACCESS_TOKEN")
    matrix_store_path: Path = Field(
        default=PROJECT_ROOT / "data" / "matrix-store", validation_alias="MATRIX_STORE_PATH"
    )

    matrix_rate: float = Field(default=2.0, gt=0, le=10_000, validation_alias="MATRIX_RATE")
    """Broadcast messages a second to the homeserver; raise it where the bot is exempt from rate limits."""
    web_broadcast_rate: float = Field(default=100.0, gt=0, le=10_000, validation_alias="WEB_BROADCAST_RATE")
    broadcast_concurrency: int = Field(default=8, ge=1, le=256, validation_alias="BROADCAST_CONCURRENCY")
    """Broadcast messages on their way at once, per platform; after a crash, at most these arrive twice."""

    bot_admins: str = Field(default="", validation_alias="BOT_ADMINS")
    submissions_per_day: int = Field(default=5, ge=1, le=1000, validation_alias="SUBMISSIONS_PER_DAY")
    action_token_days: int = Field(default=14, ge=1, le=365, validation_alias="ACTION_TOKEN_DAYS")
    """Days the Approve / Reject / Hide buttons in a moderator's notification work."""
    notice_retention_days: int = Field(default=180, ge=1, le=3650, validation_alias="NOTICE_RETENTION_DAYS")
    """Days a notification waits for a web resident who does not come back."""
    message_retention_days: int = Field(default=30, ge=1, le=3650, validation_alias="MESSAGE_RETENTION_DAYS")
    """Days the bot remembers a Matrix message's reactions (a reaction on an older message does nothing)."""
    web_resident_retention_days: int = Field(default=365, ge=1, le=3650, validation_alias="WEB_RESIDENT_RETENTION_DAYS")
    """Days after their last message that an anonymous web-chat resident is erased."""
    retention_interval_minutes: int = Field(default=60, ge=1, le=10_080, validation_alias="RETENTION_INTERVAL_MINUTES")
    open_data_license: str = Field(
        default="Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)",
        validation_alias="OPEN_DATA_LICENSE",
    )
    import_max_file_mb: int = Field(default=20, ge=1, le=10_000, validation_alias="IMPORT_MAX_FILE_MB")
    """Largest file `ideas import` reads, in megabytes."""
    import_max_unpacked_mb: int = Field(default=200, ge=1, le=100_000, validation_alias="IMPORT_MAX_UNPACKED_MB")
    """Largest size an XLSX workbook may unpack to, in megabytes (an XLSX is a zip archive)."""
    import_max_rows: int = Field(default=50_000, ge=1, le=10_000_000, validation_alias="IMPORT_MAX_ROWS")
    """Most rows one import may hold."""

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("expected text or json")
        return value.lower()

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("expected 1 to 256 letters, digits, '_' or '-' (Telegram's rule for secret tokens)")
        return value

    @field_validator("web_session_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "expected at least 32 characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return value

    @field_validator("web_trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as err:
            raise ValueError(f"expected comma-separated IP addresses or CIDR ranges ({err})") from err
        return value

    @field_validator("web_template_dir")
    @classmethod
    def _template_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"expected a folder of templates; {value} is none")
        return value

    @property
    def trusted_proxies(self) -> tuple[Network, ...]:
        return parse_networks(self.web_trusted_proxies)

    @field_validator("bot_admins")
    @classmethod
    def _identities(cls, value: str) -> str:
        for item in _split(value):
            Identity.parse(item)
        return value

    @property
    def admins(self) -> list[Identity]:
        """BOT_ADMINS as identities, e.g. ``telegram:12345, matrix:@anna:example.org``."""
        return [Identity.parse(item) for item in _split(self.bot_admins)]


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as err:
        problems = []
        for problem in err.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "?"
            problems.append(f"  - {name}: {problem['msg']}")
        raise ConfigError("The configuration has problems:\n" + "\n".join(problems)) from err
