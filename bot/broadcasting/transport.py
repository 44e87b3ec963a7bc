"""What the broadcast sender needs from an adapter: send one message, edit one, and say why not.

Adapters translate their platform's answers into these exceptions; the sender decides
what follows (wait, retry later, give up, mark the resident unreachable).
"""

from __future__ import annotations

from typing import Protocol

from bot.pacing import Limiter
from dialogs.messages import Outbound


class RecipientBlocked(Exception):
    """The platform will not deliver to this person (they blocked the bot or left the room)."""


class RateLimited(Exception):
    """The platform asks to slow down and to wait `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class OutsideWindow(Exception):
    """The platform takes only approved templates this long after the person last wrote (WhatsApp's
    24-hour window), and no template is configured: counted apart, the person stays reachable."""


class TemporaryFailure(Exception):
    """A network or server error: the same message may well go through later."""


class PermanentFailure(Exception):
    """The platform refused this message for good (it will not go through on a retry)."""


class Transport(Protocol):
    platform: str
    limiter: Limiter
    """Spaces this platform's broadcast messages at the rate the platform takes in bulk."""
    supports_edit: bool

    async def post(self, outbound: Outbound) -> str | None:
        """Send one message; returns the platform's id for it where there is one."""

    async def edit(self, outbound: Outbound, message_id: str) -> None:
        """Replace the text of a message sent before."""
