"""Matrix's settings: MATRIX_HOMESERVER, MATRIX_USER, MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN,
MATRIX_STORE_PATH, MATRIX_RATE."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from bot.config import PROJECT_ROOT, platform_config


class MatrixSettings(BaseSettings):
    model_config = platform_config("MATRIX_")

    homeserver: str | None = None
    """The homeserver's URL; Matrix is off while it is unset."""
    user: str | None = None
    password: SecretStr | None = None
    access_token: SecretStr | None = None
    store_path: Path = PROJECT_ROOT / "data" / "matrix-store"
    """Where matrix-nio keeps its encryption keys."""
    rate: float = Field(default=2.0, gt=0, le=10_000)
    """Broadcast messages a second to the homeserver; raise it where the bot is exempt from rate limits."""
