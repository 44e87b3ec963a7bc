"""Matrix: matrix-nio, sync loop and direct rooms (adapter.py), m.notice with numbered options (render.py),
broadcasts (transport.py), MATRIX_… settings (settings.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.matrix.settings import MatrixSettings
from bot.adapters.protocol import Platform

if TYPE_CHECKING:
    from bot.adapters.protocol import Adapter, Context

PLATFORM = "matrix"


def configured(settings: MatrixSettings) -> bool:
    return bool(settings.homeserver)


def build(context: Context, settings: MatrixSettings) -> Adapter:
    from bot.adapters.matrix.adapter import MatrixAdapter
    from bot.config import ConfigError

    if not settings.user:
        raise ConfigError("MATRIX_USER is needed with MATRIX_HOMESERVER (e.g. @mitmach:example.org)")
    return MatrixAdapter(context, settings)


def refused(_settings: MatrixSettings, err: Exception) -> str:
    return (
        f"Matrix did not accept the bot ({err}); check MATRIX_HOMESERVER, MATRIX_USER and "
        "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN"
    )


ENTRY = Platform(PLATFORM, MatrixSettings, configured, build, refused, single=True)
