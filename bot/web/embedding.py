"""The chat inside a town's own website: which sites may frame it, and a cookie that works there.

By default no site may frame any page of the bot (`frame-ancestors 'none'`, and
`X-Frame-Options: DENY` for older browsers). With WEB_FRAME_ANCESTORS the chat page, and
only the chat page, may be framed by the origins named there; the dashboard never.

Inside a frame on another site the session cookie is a third-party cookie. It is sent
there only as `SameSite=None; Secure`, and browsers that block third-party cookies still
keep it when it is `Partitioned` (CHIPS): the browser keeps a separate cookie for each
top-level site, so the chat embedded on the town's site is a conversation of its own. A
browser that refuses even that gets an explanation and a link that opens the chat in a
window of its own (chat.js asks `/session` whether its cookie arrived).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
FRAME_NONE = "'none'"


def parse_origins(value: str) -> tuple[str, ...]:
    """WEB_FRAME_ANCESTORS: origins separated by commas or spaces, e.g. ``https://www.aalen.de``.

    Raises ValueError naming the first entry that is not an origin (a path, a quote, a scheme
    other than http or https would let a typo open the chat to every site, or break the header).
    """
    origins = []
    for item in value.replace(",", " ").split():
        origin = item.rstrip("/")
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(
                f"{item!r} is not an origin; expected scheme and host (and port), e.g. https://www.example.de"
            )
        origins.append(origin.lower())
    return tuple(dict.fromkeys(origins))


def frame_ancestors(origins: Sequence[str]) -> str:
    """The CSP source list for the chat page: the town's origins, or none."""
    return " ".join(origins) if origins else FRAME_NONE


def cookie_for_frames(secure: bool, host: str) -> bool:
    """Whether the session cookie can be `SameSite=None; Secure; Partitioned` on this request.

    Browsers accept a Secure cookie over https, and from a loopback address also over http
    (a local trial); elsewhere over plain http the cookie stays `SameSite=Lax`, and inside a
    frame the page explains that the chat opens in a window of its own.
    """
    return secure or _is_loopback(host)


def partitioned_cookie(name: str, value: str, max_age: int, path: str = "/") -> str:
    """A Set-Cookie value for a frame on another site (Python before 3.14 cannot write `Partitioned`).

    `value` must be a cookie-safe token (the session's is base64url with a dot).
    """
    return f"{name}={value}; Max-Age={max_age}; Path={path}; HttpOnly; SameSite=None; Secure; Partitioned"


def _is_loopback(host: str) -> bool:
    """`host` as in the Host header: a name or address, perhaps with a port."""
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
