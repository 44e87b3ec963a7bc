"""The content file: cities, vision, Leitziele, Zielbilder and Handlungsfelder.

Another town runs the bot with its own file; the file is validated at start-up and
every mistake is reported with the file, the field and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from dialogs.colours import HEX_COLOUR, TEXT_CONTRAST, contrast

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]{2,8})?$")]

SHORT_MAX = 300
LONG_MAX = 2000
TITLE_MAX = 80
GLOSS_MAX = 200


class ContentError(Exception):
    """A content file that cannot be used; the message is meant for the operator."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Localized = dict[LanguageCode, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]]


class City(_Strict):
    id: Slug
    name: Localized


class Gloss(_Strict):
    """A term of the strategy or the Smart City Charta, explained in one plain line.

    Only the content's first language is required: a language without the term shows no gloss.
    """

    id: Slug
    term: Localized
    explanation: Localized


class Topic(_Strict):
    """A titled piece of content with a short and a longer text."""

    id: Slug
    title: Localized
    short: Localized
    long: Localized
    working_title: bool = False
    """The strategy does not name it yet: residents see the title marked as a working title."""
    glosses: list[Slug] = Field(default_factory=list)


class Leitziel(Topic):
    charta: list[Localized] = Field(min_length=1)


class Vision(_Strict):
    title: Localized
    short: Localized
    long: Localized
    glosses: list[Slug] = Field(default_factory=list)


LIGHT_BACKGROUNDS = {"the page": "#ffffff", "the bot's messages": "#eef3f8", "your messages": "#e6f4ea"}
DARK_BACKGROUNDS = {"the page": "#121212", "the bot's messages": "#1e2833", "your messages": "#1d2b22"}
"""What the town's colour is drawn on, as text and as the background of white (or dark) text (chat.css)."""
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg"}
LOGO_MAX_BYTES = 512 * 1024


class Colours(_Strict):
    """The town's colour for headings, links and buttons; `accent_dark` for a dark screen."""

    accent: str | None = None
    accent_dark: str | None = None

    @model_validator(mode="after")
    def _check_contrast(self) -> Colours:
        problems: list[str] = []
        for name, backgrounds, hint in (
            ("accent", LIGHT_BACKGROUNDS, "a darker colour, e.g. '#0b4f8a'"),
            ("accent_dark", DARK_BACKGROUNDS, "a lighter colour, e.g. '#8cc4ff'"),
        ):
            colour = getattr(self, name)
            if colour is None:
                continue
            if not HEX_COLOUR.fullmatch(colour):
                problems.append(f"site.colours.{name}: {colour!r} is not a colour (expected '#rrggbb', e.g. '#0b4f8a')")
                continue
            for where, background in backgrounds.items():
                ratio = contrast(colour, background)
                if ratio < TEXT_CONTRAST:
                    problems.append(
                        f"site.colours.{name}: {colour} has a contrast of only {ratio:.1f}:1 against {where} "
                        f"({background}), but text needs at least {TEXT_CONTRAST}:1 (WCAG 1.4.3): choose {hint}"
                    )
                    break
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Site(_Strict):
    """How the web chat looks for this town: a logo and its colours."""

    logo: str | None = None
    """An image file (svg, png, webp, jpg) beside the content file; the path after loading."""
    logo_alt: Localized | None = None
    colours: Colours = Colours()

    @model_validator(mode="after")
    def _logo_has_a_text(self) -> Site:
        if self.logo and not self.logo_alt:
            raise ValueError("site.logo_alt: a logo needs a text for screen readers (expected e.g. {de: Stadt Aalen})")
        if self.logo and Path(self.logo).suffix.lower() not in LOGO_TYPES:
            kinds = ", ".join(LOGO_TYPES)
            raise ValueError(f"site.logo: {self.logo!r} is not an image the page can show (expected {kinds})")
        return self


class Content(_Strict):
    languages: list[LanguageCode] = Field(min_length=1)
    name: Localized
    site: Site = Site()
    cities: list[City] = Field(min_length=1, max_length=10)
    vision: Vision
    leitziele: list[Leitziel] = Field(min_length=1, max_length=12)
    zielbilder: list[Topic] = Field(min_length=1, max_length=12)
    handlungsfelder: list[Topic] = Field(min_length=1, max_length=12)
    glossary: list[Gloss] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _check_texts_and_ids(self) -> Content:
        problems: list[str] = []
        for path, value in _localized_fields(self.model_dump()):
            problems.extend(_check_localized(path, value, self.languages))
        problems.extend(self._check_glossary())
        for section in ("cities", "leitziele", "zielbilder", "handlungsfelder", "glossary"):
            ids = [item.id for item in getattr(self, section)]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                problems.append(f"{section}: the id {duplicates[0]!r} is used twice (expected unique ids)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _check_glossary(self) -> list[str]:
        problems: list[str] = []
        first = self.languages[0]
        for index, gloss in enumerate(self.glossary):
            path = f"glossary.{index}"
            if first not in gloss.term or first not in gloss.explanation:
                problems.append(f"{path}: no text for language {first!r} (expected a term and an explanation)")
            if gloss.term.keys() != gloss.explanation.keys():
                problems.append(f"{path}: term and explanation are written in different languages (expected the same)")
            for field, limit in (("term", TITLE_MAX), ("explanation", GLOSS_MAX)):
                for lang, text in getattr(gloss, field).items():
                    if lang not in self.languages:
                        problems.append(f"{path}.{field}.{lang}: language {lang!r} is not listed under 'languages'")
                    elif len(text) > limit:
                        problems.append(f"{path}.{field}.{lang}: {len(text)} characters (expected at most {limit})")
        known = {gloss.id for gloss in self.glossary}
        items = [("vision", self.vision)] + [
            (f"{section}.{index}", item)
            for section in ("leitziele", "zielbilder", "handlungsfelder")
            for index, item in enumerate(getattr(self, section))
        ]
        for path, item in items:
            problems.extend(
                f"{path}.glosses: {name!r} is not in the glossary (expected one of {sorted(known)})"
                for name in item.glosses
                if name not in known
            )
        return problems

    def glosses(self, item: Topic | Vision, language: str) -> list[tuple[str, str]]:
        """The (term, explanation) pairs shown beneath `item` in `language`; none where a gloss lacks it."""
        by_id = {gloss.id: gloss for gloss in self.glossary}
        found = (by_id[name] for name in item.glosses if name in by_id)
        return [(g.term[language], g.explanation[language]) for g in found if language in g.term]

    def text(self, localized: dict[str, str], language: str) -> str:
        """A content text in `language`, or in the content's first language."""
        return localized.get(language) or localized[self.languages[0]]

    def city(self, city_id: str) -> City | None:
        return next((c for c in self.cities if c.id == city_id), None)

    def field(self, field_id: str) -> Topic | None:
        return next((f for f in self.handlungsfelder if f.id == field_id), None)

    def field_number(self, field_id: str) -> int:
        """1-based position of a Handlungsfeld, as used in deep links (``field_3``)."""
        ids = [f.id for f in self.handlungsfelder]
        return ids.index(field_id) + 1


def _localized_fields(data: object, path: str = "") -> list[tuple[str, dict[str, str]]]:
    found: list[tuple[str, dict[str, str]]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{key}" if path else str(key)
            if key in ("title", "short", "long", "name", "logo_alt") and value is not None:
                found.append((sub, value))
            elif key == "charta":
                found.extend((f"{sub}.{i}", v) for i, v in enumerate(value))
            else:
                found.extend(_localized_fields(value, sub))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_localized_fields(value, f"{path}.{index}"))
    return found


def _check_localized(path: str, value: dict[str, str], languages: list[str]) -> list[str]:
    problems = []
    limit = {"short": SHORT_MAX, "long": LONG_MAX}.get(path.rsplit(".", 1)[-1], TITLE_MAX)
    for lang in languages:
        if lang not in value:
            problems.append(f"{path}: no text for language {lang!r} (expected one text for each of {languages})")
    for lang, text in value.items():
        if lang not in languages:
            problems.append(f"{path}.{lang}: language {lang!r} is not listed under 'languages'")
        elif len(text) > limit:
            problems.append(f"{path}.{lang}: {len(text)} characters (expected at most {limit})")
    return problems


def load_content(path: Path) -> Content:
    """Read and validate a content file, or raise ContentError naming file, field and fix."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ContentError(f"{path}: file not found (set CONTENT_FILE to an existing YAML file)") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ContentError(f"{path}: cannot be read ({err})") from err
    except yaml.YAMLError as err:
        raise ContentError(f"{path}: not valid YAML ({err})") from err
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: expected a YAML mapping with the keys of the content file")
    try:
        content = Content.model_validate(raw)
    except ValidationError as err:
        raise ContentError(_describe(path, err)) from err
    return _with_logo_path(content, path)


def _with_logo_path(content: Content, path: Path) -> Content:
    """The logo is named relative to the content file; afterwards it is an absolute path that exists."""
    if not content.site.logo:
        return content
    logo = (path.parent / content.site.logo).resolve()
    if not logo.is_file():
        raise ContentError(
            f"{path}: field 'site.logo': {logo} not found (expected an image file beside the content file)"
        )
    if logo.stat().st_size > LOGO_MAX_BYTES:
        raise ContentError(f"{path}: field 'site.logo': {logo} is larger than {LOGO_MAX_BYTES // 1024} KiB")
    return content.model_copy(update={"site": content.site.model_copy(update={"logo": str(logo)})})


def _describe(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} problem(s) in the content file"]
    for problem in err.errors():
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"]
        if problem["type"] == "value_error":
            message = message.removeprefix("Value error, ")
            lines.extend(f"  - {part}" for part in message.split("; "))
            continue
        if problem["type"] == "missing":
            message = "this field is required"
        elif problem["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif problem["type"] == "string_pattern_mismatch":
            message = f"expected lowercase letters, digits and hyphens, like 'mobilitaet' (got {problem['input']!r})"
        lines.append(f"  - field '{location}': {message}")
    return "\n".join(lines)
