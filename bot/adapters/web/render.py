"""A `Reply` as the web chat's JSON frame; the page renders its text with textContent, never as HTML."""

from __future__ import annotations

import base64
from typing import Any

from dialogs.messages import Reply


def reply_frame(reply: Reply, language: str, ui: dict[str, str]) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "reply",
        "language": language,
        "ui": ui,
        "blocks": [
            {
                "item": block.item,
                "spans": [{"text": s.text, "style": s.style, "url": s.url} for s in block.spans],
            }
            for block in reply.blocks
        ],
        "buttons": [[{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons],
        "expectsText": reply.expects_text,
    }
    if reply.attachment is not None:
        frame["attachment"] = {
            "filename": reply.attachment.filename,
            "mimeType": reply.attachment.mime_type,
            "data": base64.b64encode(reply.attachment.content).decode("ascii"),
        }
    return frame
