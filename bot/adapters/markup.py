"""The markup subset of a `Reply` as HTML, and the text direction of mixed replies.

Shared by the platforms that render replies themselves (Telegram, Matrix, the web chat),
so each gets the same escaping and the same Unicode isolates.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import replace
from html import escape

from babel import Locale

from dialogs.messages import Button, Reply, Span

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
_CLOSING = "»”\"')]}›"


def span_html(span: Span) -> str:
    """One span, its text escaped; `<b>`, `<i>` and `<a>` are understood by Telegram and Matrix alike."""
    text = escape(span.text, quote=False)
    if span.style == "bold":
        return f"<b>{text}</b>"
    if span.style == "italic":
        return f"<i>{text}</i>"
    if span.style == "link" and span.url and span.url.startswith(("https://", "http://")):
        return f'<a href="{escape(span.url, quote=True)}">{text}</a>'
    return text


@functools.lru_cache(maxsize=64)
def is_rtl(language: str | None) -> bool:
    """Whether a reply's language is written right to left (Arabic, Hebrew, Persian …)."""
    if not language:
        return False
    try:
        return Locale.parse(language).character_order == "right-to-left"
    except (ValueError, LookupError):
        return False


def _strong(char: str, rtl: bool) -> bool:
    """A letter that sets its own direction, opposite to the paragraph's."""
    kind = unicodedata.bidirectional(char)
    return kind == "L" if rtl else kind in ("R", "AL")


def _against(char: str, rtl: bool) -> bool:
    """A letter written in the paragraph's own direction: it ends an embedded run."""
    kind = unicodedata.bidirectional(char)
    return kind in ("R", "AL") if rtl else kind == "L"


def isolate_runs(text: str, rtl: bool) -> str:
    """Wrap each run of the other direction (a Latin idea title in Arabic text, or the reverse)
    in Unicode isolates, so its numbers and punctuation stay with it and the sentence around
    it keeps its order."""
    if FIRST_STRONG_ISOLATE in text:
        return text
    out: list[str] = []
    index = 0
    while index < len(text):
        if not _strong(text[index], rtl):
            out.append(text[index])
            index += 1
            continue
        end = index
        last = index
        while end < len(text) and not _against(text[end], rtl):
            if _strong(text[end], rtl) or unicodedata.bidirectional(text[end]) == "EN":
                last = end
            end += 1
        stop = last + 1
        trailing = re.match(r"[.!?…]+(?=[" + re.escape(_CLOSING) + "])", text[stop:end])
        if trailing:  # "«Bessere Busse!»": the mark belongs to the title, not to the sentence
            stop += trailing.end()
        out.append(FIRST_STRONG_ISOLATE + text[index:stop] + POP_DIRECTIONAL_ISOLATE)
        index = stop
    return "".join(out)


def isolate_reply(reply: Reply) -> Reply:
    """The reply with mixed-direction text isolated; a reply in one direction only is returned as it is."""
    rtl = is_rtl(reply.language)
    if not any(_strong(c, rtl) for block in reply.blocks for c in block.text) and not any(
        _strong(c, rtl) for button in reply.all_buttons() for c in button.label
    ):
        return reply
    blocks = tuple(
        replace(block, spans=tuple(replace(span, text=isolate_runs(span.text, rtl)) for span in block.spans))
        for block in reply.blocks
    )
    buttons = tuple(tuple(Button(isolate_runs(b.label, rtl), b.payload) for b in row) for row in reply.buttons)
    return replace(reply, blocks=blocks, buttons=buttons)
