"""A local HTTP server that speaks the Telegram Bot API, strictly, for the adapter tests.

It enforces what the real one does, so a violation fails the test: HTML that Telegram
could not parse, texts over 4,096 characters after entity parsing, callback data over
64 bytes, editing a message that does not exist or is not modified, and the rate limits
(about 1 message a second per chat, about 30 in all) answered with 429 and retry_after.
Every refusal is recorded in `refusals`.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>")
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
}
JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "link_preview_options"}
SENDS = {"sendmessage", "editmessagetext", "senddocument"}


class BadRequest(Exception):
    def __init__(self, description: str, code: int = 400, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.code = code
        self.retry_after = retry_after


def visible_length(text: str) -> int:
    """Check Telegram's HTML rules; return the length of the text once entities are parsed."""
    stack: list[str] = []
    visible = 0
    position = 0
    for match in TAG.finditer(text):
        visible += _text_length(text[position : match.start()])
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if name not in ALLOWED_TAGS:
            raise BadRequest(f'Bad Request: can\'t parse entities: Unsupported start tag "{name}"')
        if closing:
            if not stack or stack.pop() != name:
                raise BadRequest(f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"')
        else:
            if name == "a" and "href=" not in attributes:
                raise BadRequest("Bad Request: can't parse entities: a tag without href")
            stack.append(name)
        position = match.end()
    visible += _text_length(text[position:])
    if stack:
        raise BadRequest(f"Bad Request: can't parse entities: Can't find end tag corresponding to \"{stack[-1]}\"")
    return visible


def _text_length(chunk: str) -> int:
    if "<" in chunk or ">" in chunk:
        raise BadRequest("Bad Request: can't parse entities: unescaped < or >")
    without_entities = ENTITY.sub("", chunk)
    if "&" in without_entities:
        raise BadRequest("Bad Request: can't parse entities: unescaped &")
    return len(html.unescape(chunk))


@dataclass
class ChatMessage:
    message_id: int
    text: str
    buttons: list[list[dict[str, str]]] = field(default_factory=list)
    document: str | None = None


class FakeTelegram:
    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        per_chat_rate: float = 1.0,
        overall_rate: float = 30.0,
        keep_calls: bool = True,
    ):
        self.token = token
        self.per_chat_gap = 1.0 / per_chat_rate
        self.overall_rate = overall_rate
        self.username = "MitmachTestBot"
        self.updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self.chats: dict[str, list[ChatMessage]] = {}
        self.activity: dict[str, int] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.keep_calls = keep_calls
        """Off for benchmarks: 100,000 recorded calls would measure this server's memory, not the bot's."""
        self.refusals: list[tuple[str, str]] = []
        self.rate_limited = 0
        self.answered_callbacks: set[str] = set()
        self.commands: dict[tuple[str, str | None], list[str]] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_answers: list[int] = []
        self.blocked: set[str] = set()
        self.force_429: int = 0
        self.hold_texts_with: str | None = None
        """Sends whose text contains this are received but never answered (the bot dies meanwhile)."""
        self.held: list[dict[str, Any]] = []
        self.on_send: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        """Awaited with each send's parameters before it is answered: what happens meanwhile elsewhere."""
        self.fail_next: dict[str, int] = {}
        """method (lower case) -> how many calls to answer with 502, as an overloaded server would."""
        self._last_send: dict[str, float] = {}
        self._recent_sends: deque[float] = deque()
        self.send_times: list[float] = []
        """When each accepted send or edit arrived (monotonic seconds), to check rates afterwards."""
        self.attempt_times: list[float] = []
        """When each send or edit arrived, accepted or refused: what the bot asked for."""
        self.new_messages: list[tuple[float, str]] = []
        """(when, chat) of each message sent, not edited."""
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, port: int = 0) -> str:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._new_update.set()  # release long polls still waiting
        if self.runner is not None:
            await self.runner.cleanup()

    # -- what residents do ----------------------------------------------------------------

    def _user(self, user_id: int, language: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"Resident {user_id}", "language_code": language}

    def message_update(
        self, user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private", language: str = "de"
    ) -> dict[str, Any]:
        chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"Resident {user_id}"
        else:
            chat["title"] = "Nachbarschaft"
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": self._user(user_id, language),
                "text": text,
            },
        }

    def callback_update(self, user_id: int, data: str, message_id: int, language: str = "de") -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cq{next(self._callback_ids)}",
                "from": self._user(user_id, language),
                "chat_instance": f"ci{user_id}",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private", "first_name": f"Resident {user_id}"},
                    "text": "menu",
                },
            },
        }

    async def push(self, update: dict[str, Any]) -> int | None:
        """Hand an update to the bot: queued for getUpdates, or POSTed to the webhook."""
        if self.webhook is None:
            self.updates.append(update)
            self._new_update.set()
            return None
        return await self.post_to_webhook(update, self.webhook.get("secret_token"))

    async def post_to_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        assert self.webhook is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook["url"], json=update, headers=headers) as response,
        ):
            self.webhook_answers.append(response.status)
            return response.status

    def last_message(self, chat_id: int) -> ChatMessage:
        return self.chats[str(chat_id)][-1]

    # -- the Bot API ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"].lower()
        params = await self._params(request)
        if self.keep_calls:
            self.calls.append((method, params))
        if self.hold_texts_with is not None and method in SENDS and self.hold_texts_with in str(params.get("text")):
            self.held.append(params)
            await asyncio.Event().wait()  # until the connection closes: the message is not taken
        if self.on_send is not None and method in SENDS:
            await self.on_send(params)
        if self.fail_next.get(method, 0) > 0:
            self.fail_next[method] -= 1
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        try:
            if method in SENDS:
                self._check_rate(str(params.get("chat_id")))
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise BadRequest("Not Found: method not found", 404)
            result = await handler(params)
        except BadRequest as err:
            self.refusals.append((method, err.description))
            body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            return web.json_response(body, status=err.code)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "content": value.file.read()}
            elif key in JSON_FIELDS:
                params[key] = json.loads(str(value))
            else:
                params[key] = value
        return params

    def _check_rate(self, chat_id: str) -> None:
        now = time.monotonic()
        self.attempt_times.append(now)
        if self.force_429 > 0:
            self.force_429 -= 1
            self.rate_limited += 1
            raise BadRequest("Too Many Requests: retry after 1", 429, retry_after=1)
        while self._recent_sends and now - self._recent_sends[0] > 1.0:
            self._recent_sends.popleft()
        last = self._last_send.get(chat_id)
        if (last is not None and now - last < self.per_chat_gap * 0.9) or len(self._recent_sends) >= self.overall_rate:
            self.rate_limited += 1
            raise BadRequest("Too Many Requests: retry after 1", 429, retry_after=1)
        self._last_send[chat_id] = now
        self._recent_sends.append(now)
        self.send_times.append(now)

    def _chat(self, chat_id: str) -> list[ChatMessage]:
        if chat_id in self.blocked:
            raise BadRequest("Forbidden: bot was blocked by the user", 403)
        return self.chats.setdefault(chat_id, [])

    def _buttons(self, params: dict[str, Any]) -> list[list[dict[str, str]]]:
        markup = params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", [])
        for row in rows:
            for button in row:
                data = button.get("callback_data", "")
                if not button.get("text") or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
        return [[{"text": b["text"], "data": b["callback_data"]} for b in row] for row in rows]

    def _text(self, params: dict[str, Any]) -> str:
        text = str(params.get("text", ""))
        length = visible_length(text) if params.get("parse_mode") == "HTML" else len(text)
        if length == 0:
            raise BadRequest("Bad Request: message text is empty")
        if length > 4096:
            raise BadRequest("Bad Request: message is too long")
        return text

    def _message(self, chat_id: str, message: ChatMessage) -> dict[str, Any]:
        self.activity[chat_id] = self.activity.get(chat_id, 0) + 1
        return {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": {"id": 1, "is_bot": True, "first_name": "Mitmach-Bot", "username": self.username},
            "text": message.text,
        }

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": 1, "is_bot": True, "first_name": "Mitmach-Bot", "username": self.username}

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params["chat_id"])
        chat = self._chat(chat_id)
        self.new_messages.append((time.monotonic(), chat_id))
        message = ChatMessage(next(self._message_ids), self._text(params), self._buttons(params))
        chat.append(message)
        return self._message(chat_id, message)

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params["chat_id"])
        chat = self._chat(chat_id)
        document = params["document"]
        message = ChatMessage(next(self._message_ids), "", self._buttons(params), document["filename"])
        message.text = document["content"].decode("utf-8")
        chat.append(message)
        return self._message(chat_id, message)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params["chat_id"])
        chat = self._chat(chat_id)
        message_id = int(params["message_id"])
        target = next((m for m in chat if m.message_id == message_id), None)
        if target is None:
            raise BadRequest("Bad Request: message to edit not found")
        text, buttons = self._text(params), self._buttons(params)
        if target.text == text and target.buttons == buttons:
            raise BadRequest("Bad Request: message is not modified")
        target.text, target.buttons = text, buttons
        chat.remove(target)
        chat.append(target)
        return self._message(chat_id, target)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        self.answered_callbacks.add(str(params["callback_query_id"]))
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        scope = params.get("scope") or {}
        name = scope.get("type", "default")
        if name == "chat":
            name = f"chat:{scope['chat_id']}"
        self.commands[(name, params.get("language_code"))] = [c["command"] for c in params["commands"]]
        return True

    async def _m_deletemycommands(self, params: dict[str, Any]) -> bool:
        scope = params.get("scope") or {}
        name = scope.get("type", "default")
        if name == "chat":
            name = f"chat:{scope['chat_id']}"
        self.commands.pop((name, params.get("language_code")), None)
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise BadRequest("Conflict: can't use getUpdates method while webhook is active", 409)
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        return [u for u in self.updates if u["update_id"] >= offset]


async def _serve(rate: float, ignore_chat: str | None) -> None:
    """Serve until SIGTERM; print the address first and the figures last, each as one JSON line."""
    server = FakeTelegram(per_chat_rate=1.0, overall_rate=rate, keep_calls=False)
    url = await server.start()
    print(json.dumps({"url": url, "token": server.token}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()
    times = [at for at, chat in server.new_messages if chat != ignore_chat]
    figures = {
        "accepted": len(times),
        "rate_limited": server.rate_limited,
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
        "refusals": len(server.refusals),
    }
    print(json.dumps(figures), flush=True)
    await server.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="A local Telegram Bot API server for benchmarks.")
    parser.add_argument("--rate", type=float, default=1000.0, help="messages a second it accepts in all")
    parser.add_argument("--ignore-chat", help="leave this chat's messages out of the figures (a progress message)")
    arguments = parser.parse_args()
    asyncio.run(_serve(arguments.rate, arguments.ignore_chat))
