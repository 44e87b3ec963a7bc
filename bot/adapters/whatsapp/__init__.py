"""WhatsApp: the Cloud API of the WhatsApp Business Platform, webhooks only (adapter.py), WhatsApp
messages within its limits (render.py), the HTTP client and its error codes (api.py), webhook
calls (webhook.py), the 24-hour window (window.py), broadcasts (transport.py), WHATSAPP_…
settings (settings.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.protocol import Platform
from bot.adapters.whatsapp.settings import WhatsAppSettings

if TYPE_CHECKING:
    from bot.adapters.protocol import Adapter, Context

PLATFORM = "whatsapp"


def configured(settings: WhatsAppSettings) -> bool:
    return settings.token is not None


def build(context: Context, settings: WhatsAppSettings) -> Adapter:
    from bot.adapters.whatsapp.adapter import WhatsAppAdapter

    return WhatsAppAdapter(context, settings)


def refused(_settings: WhatsAppSettings, err: Exception) -> str:
    return (
        f"WhatsApp did not accept the bot ({type(err).__name__}); "
        "check WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_API_URL"
    )


ENTRY = Platform(PLATFORM, WhatsAppSettings, configured, build, refused)
