"""Configuration from environment variables (or a .env file); every setting has a default.

These are the bot's own settings; each platform adapter reads its own, with its prefix
(bot/adapters/<platform>/settings.py: TELEGRAM_…, MATRIX_…, WEB_…).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    workers: int = Field(default=1, ge=1, le=64, validation_alias="BOT_WORKERS")
    """Set by `python -m bot run --workers N` for each of its worker processes."""
    public_url: str | None = Field(default=None, validation_alias="PUBLIC_URL")
    """The address residents and platforms reach the web server at, behind a reverse proxy."""
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


def platform_config(prefix: str) -> SettingsConfigDict:
    """A platform's settings: its variables start with `prefix` (``TELEGRAM_``), from the environment or .env."""
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore")


AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def load_all(*kinds: type[BaseSettings]) -> list[BaseSettings]:
    """Each kind of settings read once; every problem of all of them in one error, naming the variable."""
    loaded: list[BaseSettings] = []
    problems: list[str] = []
    for kind in kinds:
        try:
            loaded.append(kind())
        except ValidationError as err:
            prefix = str(kind.model_config.get("env_prefix") or "")
            for problem in err.errors():
                field = str(problem["loc"][0]) if problem["loc"] else "?"
                name = field if field.isupper() else (prefix + field).upper()  # an alias is the variable itself
                problems.append(f"  - {name}: {problem['msg']}")
    if problems:
        raise ConfigError("The configuration has problems:\n" + "\n".join(problems))
    return loaded


def load(kind: type[AnySettings]) -> AnySettings:
    [settings] = load_all(kind)
    assert isinstance(settings, kind)
    return settings


def load_settings() -> Settings:
    return load(Settings)
