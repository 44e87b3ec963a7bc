"""What residents read, looked up through the catalogs, so that a corrected translation breaks no test.

Tests name a text by its msgid (the English source in the code) and compare with what the
catalog says today: `de("Settings")` is whatever `locales/de/…/messages.po` makes of it.
Texts of the content file (cities, Handlungsfelder, the vision) come from the content file.
Literal German transcripts belong in tests/test_journey.py alone, where a person can read them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dialogs.content import Content, load_content
from dialogs.i18n import LOCALES_DIR, Languages
from tests.conftest import CONTENT_FILE

# Msgids that many tests look for.
WELCOME = "Welcome to the Mitmach-Bot! Please choose your language."
CITY_QUESTION = "Which city do you live in, or which one do you care about most?"
MENU_OUT_OF_DATE = "This menu is out of date. Here is the current one."
ASK_TITLE = "Please type a short title for your idea (at most {maximum} characters)."
ASK_DESCRIPTION = "Please describe your idea: what should change, and who would benefit? (at most {maximum} characters)"
IDEA_RECEIVED = "Thank you! Your idea has been received (no. {number})."
NEW_IDEA = "New idea no. {number} is waiting for a decision: {title}"
PUBLISHED = "Good news: your idea “{title}” has been published. Others can now support it."
IDEA_PAGE = "Page {page} of {pages}, sorted by support. Choose an idea to read it and support it."
DATA_DELETED = "Your data has been deleted. Thank you for taking part!"
NOT_ALLOWED = "Sorry, you are not allowed to do that."

locales_dir = LOCALES_DIR
"""The catalogs the texts are read from; a test that edits a copy of them points this there."""


@cache
def content() -> Content:
    return load_content(CONTENT_FILE)


def languages() -> Languages:
    return _languages(locales_dir)


@cache
def _languages(where: Path) -> Languages:
    return Languages(content().languages, where)


def de(msgid: str, **values: object) -> str:
    """The German text for `msgid`, with `values` filled in."""
    return in_language("de", msgid, **values)


def en(msgid: str, **values: object) -> str:
    return in_language("en", msgid, **values)


def in_language(code: str, msgid: str, **values: object) -> str:
    text = languages().get(code).gettext(msgid)
    return text.format(**values) if values else text


def de_start(msgid: str) -> str:
    """The German text for `msgid` up to its first placeholder: the part that reads the same whatever is filled in."""
    return de(msgid).split("{", 1)[0]


def de_plural(singular: str, plural: str, count: int, **values: object) -> str:
    """The German text for `count` things, with the count written as the bot writes it."""
    return plural_in_language("de", singular, plural, count, **values)


def plural_in_language(code: str, singular: str, plural: str, count: int, **values: object) -> str:
    language = languages().get(code)
    return language.ngettext(singular, plural, count).format(count=language.number(count), **values)


def in_every_language(msgid: str) -> frozenset[str]:
    """The text for `msgid` in each language of the bot: for checks that hold whatever the resident reads."""
    return frozenset(language.gettext(msgid) for language in languages().all())


def says(text: str, msgid: str) -> bool:
    """Whether `text` holds `msgid` in any language of the bot."""
    return any(variant in text for variant in in_every_language(msgid))


def city(city_id: str, code: str = "de") -> str:
    """A city's name as the content file gives it, e.g. ``city("aalen")``."""
    found = content().city(city_id)
    assert found is not None, f"no city {city_id!r} in the content file"
    return content().text(found.name, code)


def field(field_id: str, code: str = "de") -> str:
    """A Handlungsfeld's title as the content file gives it."""
    found = content().field(field_id)
    assert found is not None, f"no Handlungsfeld {field_id!r} in the content file"
    return content().text(found.title, code)


def field_button(field_id: str, code: str = "de") -> str:
    """The button that opens a Handlungsfeld: its title (the platform numbers the options itself)."""
    return field(field_id, code)
