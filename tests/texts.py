"""What residents read, looked up through the catalogs, so that a corrected translation breaks no test.

Tests name a text by its msgid (the English source in the code) and compare with what the
catalog says today: `de("Settings")` is whatever `locales/de/…/messages.po` makes of it.
"""

from __future__ import annotations

from functools import cache

from dialogs.content import load_content
from dialogs.i18n import Languages
from tests.conftest import CONTENT_FILE


@cache
def languages() -> Languages:
    return Languages(load_content(CONTENT_FILE).languages)


def de(msgid: str, **values: object) -> str:
    """The German text for `msgid`, with `values` filled in."""
    return in_language("de", msgid, **values)


def en(msgid: str, **values: object) -> str:
    return in_language("en", msgid, **values)


def in_language(code: str, msgid: str, **values: object) -> str:
    text = languages().get(code).gettext(msgid)
    return text.format(**values) if values else text


def in_every_language(msgid: str) -> frozenset[str]:
    """The text for `msgid` in each language of the bot: for checks that hold whatever the resident reads."""
    return frozenset(language.gettext(msgid) for language in languages().all())


def says(text: str, msgid: str) -> bool:
    """Whether `text` holds `msgid` in any language of the bot."""
    return any(variant in text for variant in in_every_language(msgid))
