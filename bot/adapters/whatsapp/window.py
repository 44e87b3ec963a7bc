"""WhatsApp's 24-hour window: free-form messages only within 24 hours of the person's last message.

When the person last wrote is what the store knows (their conversation is saved with each of
their events). The window is judged a little short, since a message may reach the bot late
(WhatsApp retries webhooks), and WhatsApp may still say it was closed (error 131047): then it
counts as closed until the person writes again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=15)
CLOSED_KEY = "whatsapp.window-closed:"
"""+ the person's WhatsApp id: when WhatsApp said their window was closed (ISO time). The key ends
with the chat id, so the person's data export and erasure include it (storage/personal_data.py)."""


def aware(moment: datetime) -> datetime:
    """SQLite gives times back without their zone; the store writes them in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_open(last_message: datetime | None, closed_at: datetime | None, now: datetime) -> bool:
    if last_message is None:
        return False
    last = aware(last_message)
    if closed_at is not None and aware(closed_at) >= last:
        return False
    return aware(now) - last < WINDOW - MARGIN
