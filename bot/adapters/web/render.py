"""A `Reply` as the web chat's JSON frame; the page renders its text with textContent, never as HTML."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from bot.adapters.markup import isolate_reply
from dialogs.flows.news import TOGGLE_MARKS
from dialogs.messages import Button, Reply


def _button(button: Button) -> dict[str, Any]:
    data: dict[str, Any] = {"label": button.label, "payload": button.payload}
    mark, _space, rest = button.label.partition(" ")
    if mark in TOGGLE_MARKS and rest:
        data.update(pressed=TOGGLE_MARKS[mark], mark=mark, text=rest)
    return data


def reply_frame(
    reply: Reply, language: str, ui: dict[str, str], tags: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The frame for a reply; `tags`: the HTML language tag of each language code, for blocks in
    a language of their own."""
    reply = isolate_reply(reply)
    tags = tags or {}
    frame: dict[str, Any] = {
        "type": "reply",
        "language": language,
        "ui": ui,
        "blocks": [
            {
                "item": block.item,
                "spans": [{"text": s.text, "style": s.style, "url": s.url} for s in block.spans],
                "lang": tags.get(block.language) if block.language else None,
            }
            for block in reply.blocks
        ],
        "buttons": [[_button(b) for b in row] for row in reply.buttons],
        "expectsText": reply.expects_text,
        "textLimit": reply.text_limit,
    }
    if reply.attachment is not None:
        frame["attachment"] = {
            "filename": reply.attachment.filename,
            "mimeType": reply.attachment.mime_type,
            "data": base64.b64encode(reply.attachment.content).decode("ascii"),
        }
    return frame
