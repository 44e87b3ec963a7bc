"""Anonymous web sessions: a random token in a cookie, nothing else.

The token is never stored: the resident's identity is a hash of it, so a copy of the
database does not let anyone take over a browser's conversation.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from dialogs.messages import Identity

COOKIE = "mitmach_session"
MAX_AGE = 180 * 24 * 3600
PLATFORM = "web"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_valid(token: str | None) -> bool:
    return token is not None and bool(_TOKEN.match(token))


def identity_for(token: str) -> Identity:
    digest = hashlib.sha256(token.encode("ascii")).hexdigest()[:40]
    return Identity(PLATFORM, digest)
