"""Translations from the Babel catalogs in ``locales/``.

The catalogs (``.po``) are compiled in memory when the bot starts, so what runs is
always what the catalog says: there is no compiled file that could go stale.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

EASY_GERMAN = "de@ls"
"""Leichte Sprache: German with its own catalog; the modifier keeps Babel's German rules."""
OWN_NAMES = {EASY_GERMAN: "Leichte Sprache"}
"""Names Babel cannot give: a variant of a language is offered under its own name."""
WEB_TAGS = {EASY_GERMAN: "de-x-ls"}
"""BCP 47 tags for HTML ``lang`` where the catalog's code is a POSIX one."""


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


@dataclass(frozen=True)
class Language:
    """One language the bot speaks, with its gettext catalog and Babel locale."""

    code: str
    translations: Translations
    locale: Locale

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    @property
    def name(self) -> str:
        """The language's own name, e.g. "Deutsch", "Türkçe", "Leichte Sprache"."""
        own = OWN_NAMES.get(self.code)
        return own or (self.locale.get_display_name(self.code) or self.code).capitalize()

    @property
    def tag(self) -> str:
        """The language as HTML's ``lang`` attribute wants it (BCP 47)."""
        return WEB_TAGS.get(self.code, self.code.replace("_", "-"))

    @property
    def rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``, for HTML's ``dir`` attribute."""
        return "rtl" if self.rtl else "ltr"

    def number(self, value: int) -> str:
        return _format_number(value, self.code)

    def percent(self, share: float) -> str:
        """A share as people write it in this language ("40 %", "40%")."""
        return format_percent(share, locale=self.locale)

    def date(self, value: datetime) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime, zone: tzinfo) -> str:
        """A point in time as people in `zone` read it, e.g. "28.11.26, 18:00"."""
        return format_datetime(value, format="short", tzinfo=zone, locale=self.locale)


@functools.lru_cache(maxsize=4096)
def _format_number(value: int, code: str) -> str:
    """Babel's formatting is exact but slow; every screen shows a few small counts."""
    return format_decimal(value, locale=code)


class CatalogError(Exception):
    """A catalog is missing or broken; the message names the file."""


def load_catalog(code: str, locales_dir: Path = LOCALES_DIR) -> Translations:
    path = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=code, domain=DOMAIN)
    except FileNotFoundError as err:
        raise CatalogError(f"{path}: no catalog for language {code!r}") from err
    except Exception as err:  # babel raises several error types for malformed catalogs
        raise CatalogError(f"{path}: cannot be read ({err})") from err
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def available_languages(locales_dir: Path = LOCALES_DIR) -> list[str]:
    return sorted(p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


class Languages:
    """The languages of one bot instance: those the content file and the catalogs share."""

    def __init__(self, codes: list[str], locales_dir: Path = LOCALES_DIR) -> None:
        if not codes:
            raise CatalogError("no language to speak: the content file and locales/ share none")
        self.codes = list(codes)
        self.default = codes[0]
        self._by_code = {code: Language(code, load_catalog(code, locales_dir), Locale.parse(code)) for code in codes}

    def get(self, code: str | None) -> Language:
        return self._by_code.get(code or self.default) or self._by_code[self.default]

    def supports(self, code: str | None) -> bool:
        return code in self._by_code

    def match(self, hint: str | None) -> Language | None:
        """The language a platform's hint names (``tr``, ``uk-UA``, ``ar_SY``), if the bot speaks it."""
        if not hint:
            return None
        if hint in self._by_code:
            return self._by_code[hint]
        primary = hint.replace("_", "-").split("-", 1)[0].strip().lower()
        return self._by_code.get(primary)

    def all(self) -> list[Language]:
        return [self._by_code[c] for c in self.codes]
