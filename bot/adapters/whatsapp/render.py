"""A `Reply` as Cloud API messages, within WhatsApp's limits.

- No options: text messages of at most 4,096 characters.
- Up to 3 options: reply buttons (title at most 20 characters, unique).
- 4 to 10: a list message (at most 10 rows, row title 24, description 72, button label 20).
- More than 10: the list in pages, with "Weitere" and "Zurück" rows that this adapter answers.
- An interactive body holds at most 1,024 characters: a longer text goes first as text
  messages, and the options come with its last part.

Text is WhatsApp's formatting (``*bold*``, ``_italic_``). Every text is escaped first: a
word joiner (U+2060, invisible) beside each formatting character keeps a title with
asterisks literal. A label too long for its place is shortened at a word, with an
ellipsis, keeping a count in brackets at its end; the full label then stays readable (in
the body for buttons, as the row's description in a list).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dialogs.messages import Block, Button, Reply, Span

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_BUTTONS = 3
MAX_ROWS = 10
BUTTON_TITLE = 20
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_LABEL = 20
PAGE_PREFIX = "wa.page."
"""Row ids of "Weitere" / "Zurück" (More / Back): the adapter turns the page, the engine never sees them."""
WORD_JOINER = "\u2060"
_SPECIAL = re.compile(r"([*_~`])")
_LINE_START = re.compile(r"^(?=>|[-*] |\d+\. )", re.MULTILINE)
_COUNT_AT_END = re.compile(r"(.*\S)\s+(\([^()]{1,12}\))")

Message = dict[str, object]
"""One Cloud API message without its recipient: ``{"type": "text", "text": {...}}``."""
Gettext = Callable[[str], str]


def escape(text: str) -> str:
    """Text that WhatsApp shows as it is: no marker pairs up, no line becomes a quote or a list."""
    return _LINE_START.sub(WORD_JOINER, _SPECIAL.sub(WORD_JOINER + r"\1" + WORD_JOINER, text))


def _styled(text: str, marker: str) -> str:
    """`text` between markers; spaces at its ends stay outside, where WhatsApp needs them."""
    core = text.strip()
    if not core:
        return escape(text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{marker}{escape(core)}{marker}{trail}"


def span_text(span: Span) -> str:
    if span.style == "bold":
        return _styled(span.text, "*")
    if span.style == "italic":
        return _styled(span.text, "_")
    if span.style == "link" and span.url and span.url.startswith(("https://", "http://")):
        return span.url if span.text.strip() in ("", span.url) else f"{escape(span.text)}: {span.url}"
    return escape(span.text)


def block_text(block: Block) -> str:
    return ("• " if block.item else "") + "".join(span_text(s) for s in block.spans)


def _plain_pieces(block: Block, limit: int) -> list[str]:
    """A block longer than a message: its plain text, escaped, cut at spaces."""
    text = ("• " if block.item else "") + block.text
    pieces = []
    while text:
        cut = len(text)
        while len(escape(text[:cut])) > limit:
            space = text.rfind(" ", 0, cut - 1)
            cut = space if space > 0 else cut - max(1, (len(escape(text[:cut])) - limit))
        pieces.append(escape(text[:cut]))
        text = text[cut:].lstrip(" ")
    return pieces


def _join(blocks: list[Block]) -> str:
    out: list[str] = []
    previous: Block | None = None
    for block in blocks:
        if previous is not None:
            out.append("\n" if block.item and previous.item else "\n\n")
        out.append(block_text(block))
        previous = block
    return "".join(out)


def text_parts(blocks: tuple[Block, ...] | list[Block], last_limit: int = MAX_TEXT) -> list[str]:
    """The blocks as message texts of at most 4,096 characters, split between blocks where
    possible; the last part at most `last_limit` (an interactive body)."""
    parts: list[str] = []
    current: list[Block] = []
    for block in blocks:
        if len(block_text(block)) > MAX_TEXT:
            if current:
                parts.append(_join(current))
                current = []
            parts.extend(_plain_pieces(block, MAX_TEXT))
            continue
        if current and len(_join([*current, block])) > MAX_TEXT:
            parts.append(_join(current))
            current = []
        current.append(block)
    if current:
        parts.append(_join(current))
    if parts and len(parts[-1]) > last_limit:
        parts[-1:] = _fit_last(parts[-1], last_limit)
    return parts


def _fit_last(text: str, limit: int) -> list[str]:
    """Split a text so that its last part fits `limit`: at a paragraph, else a line, else a space."""
    for separator in ("\n\n", "\n", " "):
        cut = text.find(separator, max(0, len(text) - limit))
        while cut != -1 and len(text) - cut - len(separator) > limit:
            cut = text.find(separator, cut + 1)
        if cut > 0:
            return [text[:cut], text[cut + len(separator) :]]
    return [text[:-limit], text[-limit:]]


def shorten(label: str, limit: int) -> str:
    """At most `limit` characters: cut at a word with an ellipsis, keeping a count in brackets at the end."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    head, tail = label, ""
    counted = _COUNT_AT_END.fullmatch(label)
    if counted and len(counted.group(2)) + 1 <= limit // 2:
        head, tail = counted.group(1), " " + counted.group(2)
    room = limit - len(tail) - 1
    cut = head[:room]
    if head[room : room + 1] not in ("", " "):
        space = cut.rfind(" ")
        if space >= room * 3 // 4:  # at a word, unless that loses much of the label: then mid-word, with "…"
            cut = cut[:space]
    return cut.rstrip(" ,;:.-–·") + "…" + tail


def _titles(labels: list[str], limit: int) -> list[str]:
    """Shortened labels, made unique (WhatsApp refuses two buttons with one title) by numbering clashes."""
    titles = [shorten(label, limit) for label in labels]
    for index, title in enumerate(titles):
        if titles.count(title) > 1 or title.casefold() in (t.casefold() for t in titles[:index]):
            titles = [
                shorten(f"{n + 1}. {label}", limit) if titles.count(t) > 1 else t
                for n, (label, t) in enumerate(zip(labels, titles, strict=True))
            ]
            break
    return titles


@dataclass(frozen=True)
class Page:
    options: list[Button]
    back: int | None
    forward: int | None


def pages(options: list[Button]) -> list[Page]:
    """Options beyond ten in list pages: nine on the first and last, eight between, plus the page rows."""
    if len(options) <= MAX_ROWS:
        return [Page(options, None, None)]
    found: list[Page] = []
    start = 0
    while start < len(options):
        number = len(found)
        room = MAX_ROWS - (1 if number else 0)
        rest = len(options) - start
        if rest > room:
            room -= 1
        found.append(Page(options[start : start + room], number - 1 if number else None, None))
        start += room
    return [Page(p.options, p.back, i + 1 if i + 1 < len(found) else None) for i, p in enumerate(found)]


def to_messages(reply: Reply, _: Gettext) -> list[Message]:
    """Every message of the reply, in order; options on the last (its list's first page)."""
    options = reply.all_buttons()
    if not options:
        return [_text(part) for part in text_parts(reply.blocks)] or [_text("…")]
    parts = text_parts(reply.blocks, MAX_BODY) or [escape(_("Please choose:"))]
    *before, body = parts
    return [*(_text(part) for part in before), options_message(body, options, _, reply)]


def options_message(body: str, options: list[Button], _: Gettext, reply: Reply | None = None, page: int = 0) -> Message:
    if len(options) <= MAX_BUTTONS:
        return _buttons(body, options)
    shown = pages(options)
    if page or not body:
        body = escape(_("More options, page {page} of {pages}:").format(page=page + 1, pages=len(shown)))
    return _list(body, shown[min(page, len(shown) - 1)], _)


def _text(body: str) -> Message:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def _buttons(body: str, options: list[Button]) -> Message:
    labels = [button.label for button in options]
    titles = _titles(labels, BUTTON_TITLE)
    longer = [label for label, title in zip(labels, titles, strict=True) if title != " ".join(label.split())]
    if longer:
        full = "\n".join("• " + escape(label) for label in longer)
        if len(body) + 2 + len(full) <= MAX_BODY:
            body = f"{body}\n\n{full}"
    buttons = [
        {"type": "reply", "reply": {"id": button.payload, "title": title}}
        for button, title in zip(options, titles, strict=True)
    ]
    return {
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
    }


def _list(body: str, page: Page, _: Gettext) -> Message:
    rows: list[dict[str, str]] = []
    if page.back is not None:
        rows.append({"id": f"{PAGE_PREFIX}{page.back}", "title": shorten(_("◀ Back"), ROW_TITLE)})
    labels = [button.label for button in page.options]
    for button, title in zip(page.options, _titles(labels, ROW_TITLE), strict=True):
        row = {"id": button.payload, "title": title}
        if title != " ".join(button.label.split()):
            row["description"] = shorten(button.label, ROW_DESCRIPTION)
        rows.append(row)
    if page.forward is not None:
        rows.append({"id": f"{PAGE_PREFIX}{page.forward}", "title": shorten(_("More ▶"), ROW_TITLE)})
    action = {"button": shorten(_("Choose"), LIST_LABEL), "sections": [{"rows": rows}]}
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": body}, "action": action}}


def page_of(row_id: str) -> int | None:
    """The page a "Weitere" / "Zurück" row turns to; None for any other id (or a made-up one)."""
    number = row_id.removeprefix(PAGE_PREFIX)
    if number == row_id or not number.isascii() or not number.isdigit() or len(number) > 3:
        return None
    return int(number)
