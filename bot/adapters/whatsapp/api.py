"""The Cloud API over HTTP: send a message, mark one as read, upload a file; errors by their code.

Meta asks clients to act on an error's ``code``, not on the HTTP status or the title.
What each code means for the bot:

- 130429 (throughput) and 131056 (too many to one person): `Throttled`, wait and try again;
- 131047 (the 24-hour window is closed): `WindowClosed`;
- 131026 (this person cannot be reached): `Undeliverable`;
- 131009, 131051, 100 and the template codes (132xxx): `Refused`, a message we built
  wrongly. It is logged with the message's shape, never its content, and never
  makes the resident unreachable;
- 401 (code 190 or 0): `BadToken`, logged once naming WHATSAPP_TOKEN;
- server errors (codes 1, 2, HTTP 5xx) and network errors: `Unavailable`, try again later.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import aiohttp

from bot.adapters.whatsapp.render import Message

log = logging.getLogger(__name__)

PAIR_WAIT = 6.0
"""Seconds before another message to a person after 131056: WhatsApp allows about one every six seconds."""
THROUGHPUT_WAIT = 1.0
TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)
REFUSED_CODES = frozenset({100, 131008, 131009, 131051, 131053})


def who(wa_id: str) -> str:
    """A short hash of a phone number, for logs: lines about one person can be followed, the number not read."""
    return "wa#" + hashlib.sha256(wa_id.encode()).hexdigest()[:10]


def shape(message: Message) -> str:
    """A message's structure without its content, for logs: kind, lengths, counts."""
    kind = str(message.get("type"))
    content = message.get(kind)
    if not isinstance(content, dict):
        return kind
    if kind == "text":
        return f"text, {len(str(content.get('text', content.get('body', ''))))} characters"
    if kind == "template":
        return f"template {content.get('name')!s}"
    if kind != "interactive":
        return kind
    body = content.get("body")
    length = len(str(body.get("text", ""))) if isinstance(body, dict) else 0
    action = content.get("action")
    if not isinstance(action, dict):
        return f"interactive {content.get('type')!s}, body {length} characters"
    items = action.get("buttons") or [row for s in action.get("sections") or [] for row in s.get("rows", [])]
    longest = max((len(str(i.get("title") or i.get("reply", {}).get("title", ""))) for i in items), default=0)
    return (
        f"interactive {content.get('type')!s}, body {length} characters, {len(items)} options, longest title {longest}"
    )


class ApiError(Exception):
    def __init__(self, code: int | None, status: int, details: str = "") -> None:
        super().__init__(f"code {code}, HTTP {status}" + (f": {details}" if details else ""))
        self.code = code
        self.status = status


class Throttled(ApiError):
    """Too many messages now (in all, or to this person): wait `retry_after` seconds."""

    @property
    def retry_after(self) -> float:
        return PAIR_WAIT if self.code == 131056 else THROUGHPUT_WAIT


class WindowClosed(ApiError):
    """More than 24 hours since the person last wrote: only an approved template may go."""


class Undeliverable(ApiError):
    """WhatsApp cannot deliver to this person."""


class Refused(ApiError):
    """The message was not valid: a bug on our side, not the resident's."""


class BadToken(ApiError):
    """The access token is wrong or expired."""


class Unavailable(ApiError):
    """A server or network error: the same message may well go through later."""


def classify(status: int, body: Any) -> ApiError:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = error.get("error_data", {}).get("details", "") if isinstance(error.get("error_data"), dict) else ""
    return error_for(code, status, str(details)[:300])


def error_for(code: int | None, status: int = 400, details: str = "") -> ApiError:
    if status == 401 or code in (0, 190):
        return BadToken(code, status, details)
    if code in (130429, 131056, 4, 80007):
        return Throttled(code, status, details)
    if code == 131047:
        return WindowClosed(code, status, details)
    if code == 131026:
        return Undeliverable(code, status, details)
    if status >= 500 or code in (1, 2, 131000, 131016):
        return Unavailable(code, status, details)
    return Refused(code, status, details)


class CloudApi:
    """One business phone number's messages endpoint, with the access token."""

    def __init__(self, api_url: str, phone_number_id: str, token: str) -> None:
        self.base = f"{api_url.rstrip('/')}/{phone_number_id}"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session: aiohttp.ClientSession | None = None
        self._told_token = False

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, to: str, message: Message) -> str:
        """Send one message; returns WhatsApp's id for it (``wamid…``)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        try:
            answer = await self._post("/messages", json=body)
        except Refused as err:
            log.error("WhatsApp refused a message of ours (code %s): %s; to %s", err.code, shape(message), who(to))
            raise
        messages = answer.get("messages") if isinstance(answer, dict) else None
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            raise Unavailable(None, 200, "no message id in the answer")
        return str(messages[0].get("id", ""))

    async def display_number(self) -> str:
        """The business phone number as WhatsApp shows it (also a check of the token and the number's id)."""
        try:
            async with self._client().get(self.base, params={"fields": "display_phone_number"}) as response:
                body = await response.json(content_type=None)
                if response.status != 200:
                    raise classify(response.status, body)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Unavailable(None, 0, type(err).__name__) from err
        except ValueError as err:
            raise Unavailable(None, 0, "not JSON") from err
        return str(body.get("display_phone_number", "")) if isinstance(body, dict) else ""

    async def mark_read(self, message_id: str) -> None:
        await self._post(
            "/messages", json={"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        )

    async def upload(self, filename: str, mime_type: str, content: bytes) -> str:
        """Upload a file for a document message; returns its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", content, filename=filename, content_type=mime_type)
        answer = await self._post("/media", data=form)
        media_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(media_id, str):
            raise Unavailable(None, 200, "no media id in the answer")
        return media_id

    async def _post(self, path: str, **request: Any) -> Any:
        try:
            async with self._client().post(self.base + path, **request) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                if response.status == 200:
                    self._told_token = False
                    return body
                error = classify(response.status, body)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Unavailable(None, 0, type(err).__name__) from err
        if isinstance(error, BadToken) and not self._told_token:
            self._told_token = True
            log.error("WhatsApp refused the access token (HTTP %s): check WHATSAPP_TOKEN", error.status)
        raise error
