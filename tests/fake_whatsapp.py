"""A local HTTP server that speaks WhatsApp's Cloud API (a Graph API endpoint), strictly, for the adapter tests.

It refuses what WhatsApp refuses, with WhatsApp's error JSON and codes, so a violation
fails the test: a wrong access token (401, code 190), four reply buttons, a 21-character
button title, duplicate titles, eleven list rows, a 25-character row title, an interactive
body over 1,024 characters, a text over 4,096, a template that is not approved or whose
parameters do not fit (132000, 132001, 132018), and the limits: messages a second per
business number (130429) and messages to one person in a few seconds (131056).

As WhatsApp does, it accepts a free-form message to someone whose 24-hour window is closed,
or to a number it cannot deliver to, and reports the failure afterwards in a status webhook
(131047 re-engagement, 131026 undeliverable). A message's ``biz_opaque_callback_data`` comes
back with each of its statuses, as WhatsApp returns it. Webhooks to the bot are signed with the
app secret (X-Hub-Signature-256), and can be batched, redelivered or signed wrongly on purpose.

Run as a program (``python -m tests.fake_whatsapp --rate 1000``) it serves the broadcast
benchmark: every number counts as a WhatsApp user whose window is open.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import secrets
import signal
import time
import unicodedata
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

GRAPH_VERSION = "v23.0"
WABA_ID = "102290129340398"
DISPLAY_NUMBER = "4973610000"
WINDOW = 24 * 3600.0
MARKERS = "*_~"
CALLBACK_DATA = 512
"""Characters of ``biz_opaque_callback_data`` WhatsApp takes."""
LIMITS = {
    "text": 4096,
    "interactive_body": 1024,
    "button_title": 20,
    "button_id": 256,
    "list_button": 20,
    "row_title": 24,
    "row_description": 72,
    "row_id": 200,
    "section_title": 24,
    "footer": 60,
}


class GraphError(Exception):
    """An answer of the Graph API with WhatsApp's error object."""

    def __init__(self, code: int, message: str, details: str = "", status: int = 400) -> None:
        super().__init__(f"({code}) {message}: {details}")
        self.code = code
        self.message = message
        self.details = details
        self.status = status

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": f"(#{self.code}) {self.message}",
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": "A" + secrets.token_urlsafe(16),
        }
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return {"error": error}


def _invalid(details: str) -> GraphError:
    return GraphError(131009, "Parameter value is not valid", details)


def _param(details: str) -> GraphError:
    return GraphError(100, "Invalid parameter", details)


def _is_boundary(char: str) -> bool:
    """Where WhatsApp lets a formatting marker open or close: text edge, space or punctuation."""
    return char == "" or char.isspace() or unicodedata.category(char).startswith("P")


def formatted(text: str) -> list[tuple[str, str]]:
    """WhatsApp's text formatting, as the app shows it: (style, text) pieces, markers removed.

    A marker (``*`` bold, ``_`` italic, ``~`` strike) opens after a boundary and before a
    non-space, and closes on the same line after a non-space and before a boundary. A word
    joiner (U+2060) is no boundary: a marker beside one stays a literal character."""
    pieces: list[tuple[str, str]] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in MARKERS:
            before = text[i - 1] if i > 0 else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if _is_boundary(before) and after and not after.isspace():
                end = _closing(text, i, char)
                if end is not None:
                    if plain:
                        pieces.append(("plain", "".join(plain)))
                        plain = []
                    style = {"*": "bold", "_": "italic", "~": "strike"}[char]
                    pieces.append((style, text[i + 1 : end]))
                    i = end + 1
                    continue
        plain.append(char)
        i += 1
    if plain:
        pieces.append(("plain", "".join(plain)))
    return [(style, piece.replace("\u2060", "")) for style, piece in pieces]


def _closing(text: str, start: int, marker: str) -> int | None:
    j = start + 2
    while j < len(text) and text[j] != "\n":
        if text[j] == marker and not text[j - 1].isspace():
            after = text[j + 1] if j + 1 < len(text) else ""
            if _is_boundary(after):
                return j
        j += 1
    return None


def visible(text: str) -> str:
    """What the resident reads: the text without formatting markers and word joiners."""
    return "".join(piece for _style, piece in formatted(text))


@dataclass
class Received:
    """One message the bot sent, as it arrived in the resident's WhatsApp."""

    id: str
    kind: str
    """text, button (reply buttons), list, template or document."""
    body: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    """(id, title) of each reply button or list row, in order."""
    descriptions: list[str] = field(default_factory=list)
    list_button: str = ""
    template: tuple[str, str, list[str]] | None = None
    """(name, language, parameters) of a template message."""
    document: tuple[str, bytes] | None = None

    @property
    def text(self) -> str:
        return visible(self.body) if self.kind != "template" else " ".join(self.template[2] if self.template else [])

    @property
    def titles(self) -> list[str]:
        return [title for _id, title in self.options]

    def option_id(self, title: str) -> str:
        for option_id, shown in self.options:
            if shown == title:
                return option_id
        raise AssertionError(f"no option {title!r} in {self.titles}")


@dataclass
class Contact:
    """A WhatsApp user. Free-form messages reach them within 24 hours of their last message."""

    wa_id: str
    name: str
    last_message_at: float | None = None
    undeliverable: bool = False
    """Messages to them are accepted, then fail with 131026 (no WhatsApp, or an old app)."""

    def window_open(self, now: float) -> bool:
        return self.last_message_at is not None and now - self.last_message_at < WINDOW


class FakeWhatsApp:
    def __init__(
        self,
        *,
        token: str = "EAAG-test-token",
        phone_number_id: str = "106540352242922",
        app_secret: str = "app-secret-for-tests",
        throughput: float = 80.0,
        pair_limit: int = 45,
        pair_period: float = 6.0,
        templates: dict[tuple[str, str], int] | None = None,
        everyone_writes: bool = False,
        keep_calls: bool = True,
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.throughput = throughput
        self.pair_limit = pair_limit
        self.pair_period = pair_period
        self.templates = templates if templates is not None else {("mitmach_news", "de"): 1}
        """Approved templates: (name, language) -> number of body parameters."""
        self.everyone_writes = everyone_writes
        """For benchmarks: every number is a WhatsApp user whose window is open."""
        self.keep_calls = keep_calls
        self.contacts: dict[str, Contact] = {}
        self.chats: dict[str, list[Received]] = {}
        self.undelivered: list[tuple[str, Received, int]] = []
        """(wa_id, message, error code) of messages accepted but never delivered."""
        self.activity: dict[str, int] = {}
        self.calls: list[dict[str, Any]] = []
        self.refusals: list[tuple[int, str]] = []
        """(code, details) of every request refused."""
        self.rate_limited = 0
        self.pair_limited = 0
        self.read: set[str] = set()
        """Ids of the residents' messages the bot marked as read."""
        self.media: dict[str, tuple[str, bytes]] = {}
        self.webhook_url: str | None = None
        self.webhook_answers: list[int] = []
        self.send_statuses = True
        self.reports: list[dict[str, Any]] = []
        """Every status report made, posted to `webhook_url` (if set) in order."""
        self.hold_bodies_with: str | None = None
        """Sends whose text contains this are received but never answered (the bot dies meanwhile)."""
        self.held: list[dict[str, Any]] = []
        self.meanwhile: Callable[[str], Awaitable[None]] | None = None
        """Awaited with the recipient before a message is taken: what happens while it is on its way."""
        self.fail_next = 0
        """How many sends to answer with a 500 (code 2, service unavailable) as an overloaded API would."""
        self.send_times: list[float] = []
        """When each accepted message arrived (monotonic seconds), to check rates afterwards."""
        self.recipients: list[str] = []
        """To whom each accepted message went, in the order of `send_times`."""
        self._recent: deque[float] = deque()
        self._pairs: dict[str, deque[float]] = {}
        self._ids = itertools.count(1)
        self._statuses: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._status_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.app = web.Application(client_max_size=100 * 1024 * 1024)
        self.app.router.add_post("/{version}/{number}/messages", self._messages)
        self.app.router.add_post("/{version}/{number}/media", self._media)
        self.app.router.add_get("/{version}/{number}", self._phone_number)
        self.runner: web.AppRunner | None = None
        self.url = ""

    @property
    def api_url(self) -> str:
        """What WHATSAPP_API_URL is set to: the Graph API base with its pinned version."""
        return f"{self.url}/{GRAPH_VERSION}"

    async def start(self, port: int = 0) -> str:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._status_task = asyncio.create_task(self._report_statuses())
        return self.url

    async def stop(self) -> None:
        self._stopping.set()
        if self._status_task is not None:
            self._status_task.cancel()
            await asyncio.gather(self._status_task, return_exceptions=True)
        if self.runner is not None:
            await self.runner.cleanup()

    def _wamid(self) -> str:
        return f"wamid.HBgM{next(self._ids):012d}{secrets.token_hex(4).upper()}"

    # -- residents ----------------------------------------------------------------------------

    def contact(self, wa_id: str, name: str = "") -> Contact:
        return self.contacts.setdefault(wa_id, Contact(wa_id, name or f"Resident {wa_id[-4:]}"))

    def _incoming(self, wa_id: str, kind: str, content: dict[str, Any], context: str | None = None) -> dict[str, Any]:
        self.contact(wa_id).last_message_at = time.time()
        message: dict[str, Any] = {"from": wa_id, "id": self._wamid(), "timestamp": str(int(time.time())), "type": kind}
        message.update(content)
        if context is not None:
            message["context"] = {"from": DISPLAY_NUMBER, "id": context}
        return message

    def text(self, wa_id: str, body: str) -> dict[str, Any]:
        return self._incoming(wa_id, "text", {"text": {"body": body}})

    def button_reply(self, wa_id: str, reply_id: str, title: str, context: str | None = None) -> dict[str, Any]:
        reply = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
        return self._incoming(wa_id, "interactive", {"interactive": reply}, context)

    def list_reply(self, wa_id: str, row_id: str, title: str, context: str | None = None) -> dict[str, Any]:
        reply = {"type": "list_reply", "list_reply": {"id": row_id, "title": title, "description": ""}}
        return self._incoming(wa_id, "interactive", {"interactive": reply}, context)

    def template_button(self, wa_id: str, payload: str, text: str, context: str | None = None) -> dict[str, Any]:
        return self._incoming(wa_id, "button", {"button": {"payload": payload, "text": text}}, context)

    def other(self, wa_id: str, kind: str) -> dict[str, Any]:
        """A message of a kind the bot does not take: image, audio, sticker, location, reaction, unsupported."""
        contents: dict[str, dict[str, Any]] = {
            "image": {"image": {"id": "1479537139650973", "mime_type": "image/jpeg", "sha256": "x"}},
            "audio": {"audio": {"id": "1479537139650974", "mime_type": "audio/ogg; codecs=opus", "voice": True}},
            "sticker": {"sticker": {"id": "1479537139650975", "mime_type": "image/webp", "animated": False}},
            "location": {"location": {"latitude": 48.8378, "longitude": 10.0933, "name": "Aalen"}},
            "reaction": {"reaction": {"message_id": "wamid.unknown", "emoji": "👍"}},
            "unsupported": {
                "errors": [
                    {
                        "code": 131051,
                        "title": "Message type unknown",
                        "message": "Message type unknown",
                        "error_data": {"details": "Message type is currently not supported."},
                    }
                ]
            },
        }
        return self._incoming(wa_id, kind, contents[kind])

    def captioned(self, wa_id: str, kind: str, caption: str) -> dict[str, Any]:
        """A picture, video or document with a caption, as WhatsApp sends it (the file stays on Meta's servers)."""
        media = {
            "id": "1479537139650976",
            "mime_type": {"image": "image/jpeg", "video": "video/mp4"}.get(kind, "application/pdf"),
        }
        return self._incoming(wa_id, kind, {kind: {**media, "sha256": "x", "caption": caption}})

    def payload(self, *messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A webhook body: one entry with one change holding these messages (and statuses)."""
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": self.phone_number_id},
        }
        if messages:
            senders = dict.fromkeys(m["from"] for m in messages)
            value["contacts"] = [{"profile": {"name": self.contact(s).name}, "wa_id": s} for s in senders]
            value["messages"] = list(messages)
        if statuses:
            value["statuses"] = statuses
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
        }

    @staticmethod
    def batch(*payloads: dict[str, Any]) -> dict[str, Any]:
        """Several webhook bodies as one: their entries together, as WhatsApp batches them."""
        return {"object": "whatsapp_business_account", "entry": [e for p in payloads for e in p["entry"]]}

    def signature(self, body: bytes, secret: str | None = None) -> str:
        key = (secret if secret is not None else self.app_secret).encode()
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    async def deliver(self, payload: dict[str, Any], *, signature: str | None = "") -> int:
        """POST a webhook to the bot; `signature` None sends none, "" the right one, else this header."""
        assert self.webhook_url is not None, "set webhook_url to the bot's webhook first"
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature or self.signature(body)
        async with aiohttp.ClientSession() as session, session.post(self.webhook_url, data=body, headers=headers) as r:
            self.webhook_answers.append(r.status)
            return r.status

    def last(self, wa_id: str) -> Received:
        return self.chats[wa_id][-1]

    def last_with_options(self, wa_id: str) -> Received:
        return next(m for m in reversed(self.chats[wa_id]) if m.options)

    # -- statuses ------------------------------------------------------------------------------

    def status(
        self, message_id: str, wa_id: str, status: str, code: int | None = None, callback: str | None = None
    ) -> dict[str, Any]:
        report: dict[str, Any] = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": wa_id,
        }
        if callback is not None:
            report["biz_opaque_callback_data"] = callback
        if code is not None:
            titles = {131047: "Re-engagement message", 131026: "Message undeliverable"}
            title = titles.get(code, "Message failed")
            details = {
                131047: "Message failed to send because more than 24 hours have passed since the customer "
                "last replied to this number.",
                131026: "Message could not be delivered to this user.",
            }.get(code, title)
            report["errors"] = [{"code": code, "title": title, "message": title, "error_data": {"details": details}}]
        return report

    async def _report_statuses(self) -> None:
        """Post each status as WhatsApp does: after the send, in its own webhook, again until taken."""
        while True:
            report = await self._statuses.get()
            for _attempt in range(5):
                if self.webhook_url is None:
                    break
                try:
                    if await self.deliver(self.payload(statuses=[report])) == 200:
                        break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)

    def _report(self, message_id: str, wa_id: str, code: int | None, callback: str | None) -> None:
        if not self.send_statuses:
            return
        if code is None:
            reports = [
                self.status(message_id, wa_id, "sent", callback=callback),
                self.status(message_id, wa_id, "delivered", callback=callback),
            ]
        else:
            reports = [self.status(message_id, wa_id, "failed", code, callback)]
        for report in reports:
            self.reports.append(report)
            self._statuses.put_nowait(report)

    # -- the Cloud API --------------------------------------------------------------------------

    def _authorize(self, request: web.Request) -> None:
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token", status=401)
        if request.match_info["version"] != GRAPH_VERSION:
            raise GraphError(2500, "Unknown path components", f"version {request.match_info['version']}")
        if request.match_info["number"] != self.phone_number_id:
            raise GraphError(100, "Invalid parameter", "Unsupported post request: no such phone number id")

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            self._authorize(request)
            try:
                params = await request.json()
            except ValueError as err:
                raise _param("the request body is not JSON") from err
            if not isinstance(params, dict):
                raise _param("the request body is not a JSON object")
            if self.keep_calls:
                self.calls.append(params)
            if params.get("messaging_product") != "whatsapp":
                raise _param("The parameter messaging_product is required.")
            if params.get("status") == "read":
                return web.json_response(self._mark_read(params))
            if self.hold_bodies_with is not None and self.hold_bodies_with in json.dumps(params, ensure_ascii=False):
                self.held.append(params)
                await self._stopping.wait()  # the message is never taken (the bot dies meanwhile)
                raise GraphError(2, "Service temporarily unavailable", status=500)
            if self.fail_next > 0:
                self.fail_next -= 1
                raise GraphError(2, "Service temporarily unavailable", status=500)
            if self.meanwhile is not None:
                await self.meanwhile(str(params.get("to")))
            return web.json_response(self._send(params))
        except GraphError as err:
            self.refusals.append((err.code, err.details or err.message))
            return web.json_response(err.body(), status=err.status)

    def _mark_read(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = params.get("message_id")
        if not isinstance(message_id, str) or not message_id.startswith("wamid."):
            raise _param("Param message_id is not a valid message id")
        self.read.add(message_id)
        return {"success": True}

    def _send(self, params: dict[str, Any]) -> dict[str, Any]:
        to = params.get("to")
        if not isinstance(to, str) or not to.isdigit():
            raise _param("Param to must be a phone number or WhatsApp ID")
        kind = params.get("type", "text")
        builders = {
            "text": self._text,
            "interactive": self._interactive,
            "template": self._template,
            "document": self._document,
        }
        if kind not in builders:
            raise _param(f"Param type must be one of {{{', '.join(builders)}}}")
        callback = params.get("biz_opaque_callback_data")
        if callback is not None:
            self._string(callback, "Param biz_opaque_callback_data", CALLBACK_DATA, code=100)
        message = builders[kind](params.get(kind))
        self._check_rate(to)
        message.id = self._wamid()
        self.send_times.append(time.monotonic())
        self.recipients.append(to)
        contact = self.contacts.get(to)
        if contact is None and self.everyone_writes:
            contact = Contact(to, to, last_message_at=time.time())
        code = None
        if contact is None or contact.undeliverable:
            code = 131026
        elif kind != "template" and not contact.window_open(time.time()):
            code = 131047
        if code is None:
            if self.keep_calls:
                self.chats.setdefault(to, []).append(message)
            self.activity[to] = self.activity.get(to, 0) + 1
        else:
            self.undelivered.append((to, message, code))
        self._report(message.id, to, code, callback)
        answer: dict[str, Any] = {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}]}
        answer["messages"] = [
            {"id": message.id, "message_status": "accepted"} if kind == "template" else {"id": message.id}
        ]
        return answer

    def _check_rate(self, to: str) -> None:
        now = time.monotonic()
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.throughput:
            self.rate_limited += 1
            raise GraphError(
                130429,
                "Rate limit hit",
                "Message failed to send because there were too many messages sent from this phone number "
                "in a short period of time",
            )
        pair = self._pairs.setdefault(to, deque())
        while pair and now - pair[0] > self.pair_period:
            pair.popleft()
        if len(pair) >= self.pair_limit:
            self.pair_limited += 1
            raise GraphError(
                131056,
                "(Business Account, Consumer Account) pair rate limit hit",
                "Message failed to send because there were too many messages sent from this phone number "
                "to the same phone number in a short period of time.",
            )
        self._recent.append(now)
        pair.append(now)

    @staticmethod
    def _object(value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _param(f"Param {name} is required")
        return value

    @staticmethod
    def _string(value: Any, name: str, limit: int, *, code: int = 131009) -> str:
        if not isinstance(value, str) or not value:
            raise GraphError(
                code, "Parameter value is not valid" if code != 100 else "Invalid parameter", f"{name} is required"
            )
        if len(value) > limit:
            details = f"{name} length invalid. Min length: 1, Max length: {limit}"
            raise GraphError(code, "Parameter value is not valid" if code != 100 else "Invalid parameter", details)
        return value

    def _text(self, value: Any) -> Received:
        text = self._object(value, "text")
        body = self._string(text.get("body"), "Param text['body']", LIMITS["text"], code=100)
        return Received("", "text", body)

    def _interactive(self, value: Any) -> Received:
        interactive = self._object(value, "interactive")
        body = self._string(
            self._object(interactive.get("body"), "interactive['body']").get("text"),
            "Body text",
            LIMITS["interactive_body"],
        )
        if "footer" in interactive:
            self._string(
                self._object(interactive["footer"], "interactive['footer']").get("text"),
                "Footer text",
                LIMITS["footer"],
            )
        action = self._object(interactive.get("action"), "interactive['action']")
        if interactive.get("type") == "button":
            return self._buttons(body, action)
        if interactive.get("type") == "list":
            return self._list(body, action)
        raise _param("Param interactive['type'] must be one of {button, list, cta_url, flow, product, product_list}")

    def _buttons(self, body: str, action: dict[str, Any]) -> Received:
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise _invalid("Buttons count is invalid. Min allowed buttons: 1, Max allowed buttons: 3")
        options = []
        for button in buttons:
            button = self._object(button, "button")
            reply = self._object(button.get("reply") if button.get("type") == "reply" else None, "button['reply']")
            options.append(
                (
                    self._string(reply.get("id"), "Button id", LIMITS["button_id"]),
                    self._string(reply.get("title"), "Button title", LIMITS["button_title"]),
                )
            )
        if len({title for _id, title in options}) != len(options):
            raise _invalid("Button title must be unique")
        if len({option_id for option_id, _title in options}) != len(options):
            raise _invalid("Button id must be unique")
        return Received("", "button", body, options)

    def _list(self, body: str, action: dict[str, Any]) -> Received:
        label = self._string(action.get("button"), "Button text", LIMITS["list_button"])
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            raise _invalid("Sections count is invalid. Min allowed sections: 1, Max allowed sections: 10")
        options: list[tuple[str, str]] = []
        descriptions: list[str] = []
        for section in sections:
            section = self._object(section, "section")
            if len(sections) > 1 or "title" in section:
                self._string(section.get("title"), "Section title", LIMITS["section_title"])
            rows = section.get("rows")
            if not isinstance(rows, list) or not rows:
                raise _invalid("Each section needs at least one row")
            for row in rows:
                row = self._object(row, "row")
                options.append(
                    (
                        self._string(row.get("id"), "Row id", LIMITS["row_id"]),
                        self._string(row.get("title"), "Row title", LIMITS["row_title"]),
                    )
                )
                description = row.get("description", "")
                if not isinstance(description, str) or len(description) > LIMITS["row_description"]:
                    raise _invalid(f"Row description length invalid. Max length: {LIMITS['row_description']}")
                descriptions.append(description)
        if len(options) > 10:
            raise _invalid("Total row count exceed max allowed count: 10")
        if len({option_id for option_id, _title in options}) != len(options):
            raise _invalid("Row id must be unique")
        return Received("", "list", body, options, descriptions, label)

    def _template(self, value: Any) -> Received:
        template = self._object(value, "template")
        name = template.get("name")
        language = self._object(template.get("language"), "template['language']").get("code")
        expected = self.templates.get((str(name), str(language)))
        if expected is None:
            raise GraphError(
                132001,
                "Template name does not exist in the translation",
                f"template name ({name}) does not exist in {language}",
            )
        parameters: list[str] = []
        for component in template.get("components") or []:
            if self._object(component, "component").get("type") == "body":
                for parameter in component.get("parameters") or []:
                    text = parameter.get("text") if parameter.get("type") == "text" else None
                    if not isinstance(text, str) or not text.strip():
                        raise GraphError(131008, "Required parameter is missing", "text of a body parameter")
                    if re.search(r"[\n\t]| {5,}", text):
                        raise GraphError(
                            132018,
                            "There was an issue with the parameters in your template.",
                            "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
                        )
                    if len(text) > 1024:
                        raise _invalid("Param text length invalid. Max length: 1024")
                    parameters.append(text)
        if len(parameters) != expected:
            raise GraphError(
                132000,
                "Number of parameters does not match the expected number of params",
                f"body: expected {expected}",
            )
        return Received("", "template", template=(str(name), str(language), parameters))

    def _document(self, value: Any) -> Received:
        document = self._object(value, "document")
        media = self.media.get(str(document.get("id")))
        if media is None:
            raise _param("Param document['id'] is not a valid media id")
        return Received(
            "",
            "document",
            str(document.get("caption", "")),
            document=(str(document.get("filename", media[0])), media[1]),
        )

    async def _phone_number(self, request: web.Request) -> web.Response:
        try:
            self._authorize(request)
        except GraphError as err:
            self.refusals.append((err.code, err.details or err.message))
            return web.json_response(err.body(), status=err.status)
        number = {"display_phone_number": "+49 7361 0000", "verified_name": "Mitmach-Bot", "id": self.phone_number_id}
        return web.json_response(number)

    async def _media(self, request: web.Request) -> web.Response:
        try:
            self._authorize(request)
            form = await request.post()
            upload = form.get("file")
            if form.get("messaging_product") != "whatsapp" or not isinstance(upload, web.FileField):
                raise _param("Param file and messaging_product are required")
            media_id = str(900000 + next(self._ids))
            self.media[media_id] = (upload.filename, upload.file.read())
            return web.json_response({"id": media_id})
        except GraphError as err:
            self.refusals.append((err.code, err.details or err.message))
            return web.json_response(err.body(), status=err.status)


async def _serve(rate: float, ignore: str | None) -> None:
    """Serve until SIGTERM; print the address first and the figures last, each as one JSON line."""
    server = FakeWhatsApp(throughput=rate, everyone_writes=True, keep_calls=False)
    server.send_statuses = False
    await server.start()
    info = {"api_url": server.api_url, "token": server.token, "phone_number_id": server.phone_number_id}
    print(json.dumps(info), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()
    times = [at for at, to in zip(server.send_times, server.recipients, strict=True) if to != ignore]
    figures = {
        "accepted": len(times),
        "rate_limited": server.rate_limited,
        "pair_limited": server.pair_limited,
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
        "refusals": len(server.refusals),
    }
    print(json.dumps(figures), flush=True)
    await server.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="A local WhatsApp Cloud API server for benchmarks.")
    parser.add_argument("--rate", type=float, default=1000.0, help="messages a second it accepts in all")
    parser.add_argument("--ignore", help="leave this number's messages out of the count (a progress message)")
    arguments = parser.parse_args()
    asyncio.run(_serve(arguments.rate, arguments.ignore))
