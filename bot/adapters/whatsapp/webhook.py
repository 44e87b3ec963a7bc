"""WhatsApp's webhook calls: checking them, and reading them into messages and status updates.

Nothing in a call is trusted before its signature is checked (HMAC-SHA256 of the raw body
with the app secret, compared in constant time). After that, a call can still hold
anything: it is read field by field, and an item of an unexpected shape is skipped, never
an error. Ids and payloads are passed on as text for the engine to validate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 4096
MAX_PAYLOAD = 256
MAX_EVENT_ID = 128
MAX_CHALLENGE = 256
MAX_CALLBACK = 512
"""Characters of a sent message's ``biz_opaque_callback_data``, which WhatsApp returns with its statuses."""
_WA_ID = re.compile(r"[0-9]{5,20}")
_DEEP_LINK = re.compile(r"(idea|field)_([0-9]{1,9})")
CAPTIONED = ("image", "video", "document")
"""Messages that may carry a caption: the caption is what the person wrote (the file is not fetched)."""


def signed(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` is the app secret's HMAC-SHA256 of `body` (``sha256=<hex>``), in constant time."""
    if not header or not app_secret:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode("utf-8", "replace"), expected.encode())


def challenge(query: Mapping[str, str], verify_token: str) -> str | None:
    """The answer to Meta's verification request, or None where it is not one with our token."""
    given = query.get("hub.verify_token", "")
    answer = query.get("hub.challenge", "")
    matches = bool(verify_token) and hmac.compare_digest(given.encode("utf-8", "replace"), verify_token.encode())
    if query.get("hub.mode") != "subscribe" or not matches:
        return None
    if not answer or len(answer) > MAX_CHALLENGE or not answer.isprintable():
        return None
    return answer


@dataclass(frozen=True, slots=True)
class Message:
    """A resident's message: what they typed, the id of what they chose, or something else."""

    wa_id: str
    message_id: str
    kind: str
    """``text``, ``choice`` (a reply button, a list row, a template's quick reply) or ``other``."""
    text: str = ""


@dataclass(frozen=True, slots=True)
class Status:
    """What became of a message the bot sent: sent, delivered, read or failed (with error codes)."""

    message_id: str
    wa_id: str
    status: str
    codes: tuple[int, ...] = ()
    callback: str = ""
    """What the bot sent with the message as ``biz_opaque_callback_data`` (empty: nothing)."""


@dataclass
class Call:
    messages: list[Message]
    statuses: list[Status]


def parse(body: bytes, phone_number_id: str) -> Call | None:
    """A signed call's messages and statuses for our number; None where the body is no webhook call."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        return None
    call = Call([], [])
    for value in _values(data):
        metadata = value.get("metadata")
        if not isinstance(metadata, dict) or str(metadata.get("phone_number_id")) != phone_number_id:
            continue  # another number of the same Meta app
        for item in _list(value.get("messages")):
            message = _message(item)
            if message is not None:
                call.messages.append(message)
        for item in _list(value.get("statuses")):
            status = _status(item)
            if status is not None:
                call.statuses.append(status)
    return call


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _values(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for entry in _list(data.get("entry")):
        for change in _list(entry.get("changes")):
            value = change.get("value")
            if change.get("field") == "messages" and isinstance(value, dict):
                found.append(value)
    return found


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _event_id(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) <= MAX_EVENT_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _message(item: dict[str, Any]) -> Message | None:
    wa_id, message_id = item.get("from"), _event_id(item.get("id"))
    if not isinstance(wa_id, str) or not _WA_ID.fullmatch(wa_id) or message_id is None:
        return None
    kind = item.get("type")
    if kind == "text":
        text = _text(_dict(item.get("text")).get("body"), MAX_TEXT)
        return Message(wa_id, message_id, "text", text) if text.strip() else Message(wa_id, message_id, "other")
    if kind in CAPTIONED:
        caption = _text(_dict(item.get(kind)).get("caption"), MAX_TEXT)
        return Message(wa_id, message_id, "text", caption) if caption.strip() else Message(wa_id, message_id, "other")
    if kind == "interactive":
        interactive = _dict(item.get("interactive"))
        reply = _dict(interactive.get(str(interactive.get("type"))))
        if interactive.get("type") in ("button_reply", "list_reply") and _text(reply.get("id"), MAX_PAYLOAD):
            return Message(wa_id, message_id, "choice", _text(reply.get("id"), MAX_PAYLOAD))
    if kind == "button":
        button = _dict(item.get("button"))
        payload = _text(button.get("payload"), MAX_PAYLOAD)
        if payload:
            return Message(wa_id, message_id, "choice", payload)
        text = _text(button.get("text"), MAX_TEXT)
        if text.strip():
            return Message(wa_id, message_id, "text", text)
    return Message(wa_id, message_id, "other")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _status(item: dict[str, Any]) -> Status | None:
    message_id, wa_id, status = item.get("id"), item.get("recipient_id"), item.get("status")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 255:
        return None
    if not isinstance(wa_id, str) or not isinstance(status, str):
        return None
    codes = tuple(e["code"] for e in _list(item.get("errors")) if isinstance(e.get("code"), int))
    return Status(message_id, wa_id, status, codes, _text(item.get("biz_opaque_callback_data"), MAX_CALLBACK))


def deep_link(text: str) -> str | None:
    """``idea_42`` (or ``field_3``), the text a link ``https://wa.me/<number>?text=idea_42`` puts in the
    resident's first message: the same as Telegram's ``/start idea_42``."""
    found = _DEEP_LINK.fullmatch(text.strip())
    return f"/start {found.group(1)}_{found.group(2)}" if found else None
