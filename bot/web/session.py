"""Anonymous web sessions: a token the server signed, in a cookie, nothing else.

A token is 32 random bytes and an HMAC of them with the server's secret, so the server
accepts only tokens it issued itself: a made-up token opens no chat, creates no resident
and gives no support.

The token is never stored: the resident's identity is a hash of it, so a copy of the
database does not let anyone take over a browser's conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets

from bot.adapters.port import StorePort
from bot.adapters.web import PLATFORM
from dialogs.messages import Identity

log = logging.getLogger(__name__)

COOKIE = "mitmach_session"
MAX_AGE = 180 * 24 * 3600
SECRET_KEY = "web.session_secret"
"""Where the generated secret is kept in the store when WEB_SESSION_SECRET is not set."""
_TOKEN = re.compile(r"([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})")
_LEGACY_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
"""The unsigned tokens of earlier versions: accepted only where their resident exists (see `is_legacy`)."""


class Sessions:
    """Issues and checks signed session tokens with one server secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a session secret must not be empty")
        self._key = secret.encode("utf-8")

    def __repr__(self) -> str:
        return "Sessions(secret=<hidden>)"

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(32)
        return f"{nonce}.{self._sign(nonce)}"

    def is_valid(self, token: str | None) -> bool:
        """True only for a token this server (or another with the same secret) issued."""
        match = _TOKEN.fullmatch(token) if token is not None else None
        return match is not None and hmac.compare_digest(self._sign(match.group(1)), match.group(2))

    def _sign(self, nonce: str) -> str:
        digest = hmac.new(self._key, nonce.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def stored_secret(port: StorePort) -> str:
    """The secret kept in the store; made at the first start and shared by every worker on the database."""
    made = secrets.token_urlsafe(48)
    secret = port.first_value(SECRET_KEY, made)
    if secret == made:
        log.info("web chat: sessions are signed with a secret kept in the store (set WEB_SESSION_SECRET to choose one)")
    return secret


def is_legacy(token: str | None) -> bool:
    """An unsigned token as earlier versions issued them (32 random bytes, nothing else).

    It cannot be told from a made-up one by its form, but only issued ones have a resident:
    the server accepts it where `identity_for(token)` is a resident it knows, so that people
    who chatted before an upgrade keep their conversation, ideas and supports.
    """
    return token is not None and _LEGACY_TOKEN.fullmatch(token) is not None


def identity_for(token: str) -> Identity:
    digest = hashlib.sha256(token.encode("ascii")).hexdigest()[:40]
    return Identity(PLATFORM, digest)
