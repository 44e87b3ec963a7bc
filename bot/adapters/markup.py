"""The markup subset of a `Reply` as HTML: shared by the platforms that take HTML."""

from __future__ import annotations

from html import escape

from dialogs.messages import Span


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
