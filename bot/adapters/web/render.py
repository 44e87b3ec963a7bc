"""A `Reply` as the web chat's JSON frame; the page renders its text with textContent, never as HTML."""

from __future__ import annotations

import base64
from typing import Any

from bot.adapters.markup import isolate_reply
from dialogs.messages import Button, Reply

TOGGLE_MARKS = {"☑": True, "☐": False}
"""A button whose label starts with one of these switches something on or off (a news subscription)."""


def _button(button: Button) -> dict[str, Any]:
    data: dict[str, Any] = {"label": button.label, "payload": button.payload}
    mark, _space, rest = button.label.partition(" ")
    if mark in TOGGLE_MARKS and rest:
        data.update(pressed=TOGGLE_MARKS[mark], mark=mark, text=rest)
    return data


def reply_frame(
    reply: Reply, language: str, ui: dict[str, str], block_languages: dict[str, str] | None = None
) -> dict[str, Any]:
    """The frame for a reply; `block_languages` names the language of blocks not in the page's (by their text)."""
    reply = isolate_reply(reply)
    others = block_languages or {}
    frame: dict[str, Any] = {
        "type": "reply",
        "language": language,
        "ui": ui,
        "blocks": [
            {
                "item": block.item,
                "spans": [{"text": s.text, "style": s.style, "url": s.url} for s in block.spans],
                "lang": others.get(block.text),
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
