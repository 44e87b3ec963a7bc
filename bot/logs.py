"""Log set-up: readable lines by default, or JSON (LOG_FORMAT=json) for a log collector.

A JSON line carries no personal data. The bot's log messages are fixed sentences with
``%s`` places; what fills a place can be an id (a user, a chat, an event), an error's text
or a name. In JSON, every such value that is text is replaced by a keyed hash (the same
value gives the same hash for as long as the process runs, so lines about one event can be
followed), except platform names and the names of exception classes. Numbers (counts,
seconds, broadcast numbers) stay. An exception is logged as its class and the places in the
code it passed, without its message.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import logging
import re
import secrets
import traceback
from datetime import UTC, datetime
from typing import Any

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SAFE_WORDS = frozenset({"telegram", "matrix", "whatsapp", "web", "console", "sqlite", "postgresql"})
_ERROR_NAME = re.compile(r"[A-Z][A-Za-z]*(Error|Exception|Timeout|Exit)")
_BUILTIN_NAMES = frozenset(name for name in dir(builtins) if name[:1].isupper())


class JsonFormatter(logging.Formatter):
    def __init__(self, key: bytes | None = None) -> None:
        super().__init__()
        self.key = key or secrets.token_bytes(32)

    def hashed(self, value: object) -> str:
        digest = hmac.new(self.key, str(value).encode(), hashlib.sha256).hexdigest()
        return f"#{digest[:12]}"

    def _safe(self, value: object) -> object:
        if isinstance(value, bool | int | float) or value is None:
            return value
        text = str(value)
        if text in SAFE_WORDS or text in _BUILTIN_NAMES or _ERROR_NAME.fullmatch(text):
            return text
        return self.hashed(text)

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if isinstance(args, tuple):
            safe_args: Any = tuple(self._safe(value) for value in args)
        elif isinstance(args, dict):
            safe_args = {key: self._safe(value) for key, value in args.items()}
        else:
            safe_args = None
        try:
            message = str(record.msg) % safe_args if safe_args else str(record.msg)
        except (TypeError, ValueError):
            message = str(record.msg)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _value, trace = record.exc_info
            entry["exception"] = kind.__name__
            entry["stack"] = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(trace)]
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    """Set up the root logger at start-up (like `logging.basicConfig`: not where handlers exist already)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
