"""A `Reply` as Telegram HTML (every text escaped, split under the 4,096-character limit) and an inline keyboard."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.markup import isolate_reply, span_html
from dialogs.messages import Block, Reply

MAX_MESSAGE = 4096
"""Telegram counts characters after entity parsing, so markup does not count."""


@dataclass(frozen=True)
class Chunk:
    html: str
    visible: int


def _block(block: Block) -> Chunk:
    prefix = "• " if block.item else ""
    html = prefix + "".join(span_html(s) for s in block.spans)
    return Chunk(html, len(prefix) + sum(len(s.text) for s in block.spans))


def _split_long(block: Block, limit: int) -> list[Chunk]:
    """A single block longer than a message: cut its plain text at spaces."""
    text = ("• " if block.item else "") + block.text
    pieces = []
    while text:
        cut = text.rfind(" ", 0, limit) if len(text) > limit else len(text)
        cut = cut if cut > 0 else limit
        pieces.append(Chunk(escape(text[:cut], quote=False), len(text[:cut])))
        text = text[cut:].lstrip(" ")
    return pieces


def to_messages(reply: Reply, limit: int = MAX_MESSAGE) -> list[str]:
    """The reply's text as one or more HTML messages, split between paragraphs."""
    reply = isolate_reply(reply)
    messages: list[str] = []
    current: list[str] = []
    size = 0
    previous_item = False
    for block in reply.blocks:
        chunk = _block(block)
        separator = "\n" if (block.item and previous_item) else "\n\n"
        needed = chunk.visible + (len(separator) if current else 0)
        if chunk.visible > limit:
            if current:
                messages.append("".join(current))
                current, size = [], 0
            messages.extend(piece.html for piece in _split_long(block, limit))
            previous_item = block.item
            continue
        if current and size + needed > limit:
            messages.append("".join(current))
            current, size, needed = [], 0, chunk.visible
        if current:
            current.append(separator)
        current.append(chunk.html)
        size += needed
        previous_item = block.item
    if current:
        messages.append("".join(current))
    return messages or ["…"]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    reply = isolate_reply(reply)
    if not reply.buttons:
        return None
    rows = [[InlineKeyboardButton(text=b.label, callback_data=b.payload) for b in row] for row in reply.buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)
