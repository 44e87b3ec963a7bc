"""A `Reply` as a Matrix m.notice: plain `body`, sanitised HTML `formatted_body`, options as a numbered list."""

from __future__ import annotations

from html import escape
from typing import Any

from bot.adapters.markup import isolate_reply, span_html
from dialogs.messages import Reply


def to_plain(reply: Reply) -> str:
    lines = [("• " if block.item else "") + block.text for block in reply.blocks]
    buttons = reply.all_buttons()
    if buttons:
        lines.append("")
        lines.extend(f"{number}. {button.label}" for number, button in enumerate(buttons, start=1))
    return "\n".join(lines)


def to_html(reply: Reply) -> str:
    """Only a few tags, every text escaped: nothing a resident wrote can become markup."""
    parts: list[str] = []
    items: list[str] = []
    for block in reply.blocks:
        html = "".join(span_html(s) for s in block.spans)
        if block.item:
            items.append(f"<li>{html}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        parts.append(f"<p>{html}</p>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    buttons = reply.all_buttons()
    if buttons:
        parts.append("<ol>" + "".join(f"<li>{escape(b.label, quote=False)}</li>" for b in buttons) + "</ol>")
    return "".join(parts)


def notice(reply: Reply) -> dict[str, Any]:
    """A reply as the content of an m.notice, in plain text and HTML."""
    reply = isolate_reply(reply)
    return {
        "msgtype": "m.notice",
        "body": to_plain(reply),
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(reply),
    }
