"""The catalogs are complete and current, and no resident-facing sentence escapes gettext."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from dialogs.i18n import EASY_GERMAN, LOCALES_DIR, available_languages, load_catalog

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = available_languages()
"""Every catalog in locales/: a town that adds a language is checked as soon as its file exists."""
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
RESIDENT_FACING = [
    *(ROOT / "dialogs" / name for name in ("engine.py", "turn.py", "commands.py", "names.py", "roles.py")),
    *sorted((ROOT / "dialogs" / "flows").glob("*.py")),
    ROOT / "bot" / "web" / "page.py",
    ROOT / "bot" / "web" / "dashboard.py",
    ROOT / "bot" / "adapters" / "matrix" / "adapter.py",
    ROOT / "bot" / "receive.py",
]


def catalog(code: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


@functools.cache
def extracted_ids() -> frozenset[object]:
    ids: set[object] = set()
    for folder in ("dialogs", "bot"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            ids.add(message)
    return frozenset(ids)


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalog_translates_every_string_in_the_code(code: str) -> None:
    po = catalog(code)
    translated = {m.id: m for m in po if m.id}
    missing = [m for m in extracted_ids() if m not in translated]
    assert missing == [], f"strings not in locales/{code}: run scripts/update-catalogs"
    for message in translated.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{code}: no translation for {message.id!r}"
        assert not message.fuzzy, f"{code}: fuzzy translation for {message.id!r}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalog_has_no_stale_entries(code: str) -> None:
    stale = [m.id for m in catalog(code) if m.id and m.id not in extracted_ids()]
    assert stale == [], f"locales/{code} holds strings the code no longer uses"


@pytest.mark.parametrize("code", LANGUAGES)
def test_placeholders_survive_translation(code: str) -> None:
    for message in catalog(code):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"\{(\w+)\}", sources[-1]))
        for target in targets:
            assert set(re.findall(r"\{(\w+)\}", target)) <= wanted | {"count"}, message.id
            assert wanted - {"count"} <= set(re.findall(r"\{(\w+)\}", target)), message.id


def test_the_six_languages_have_catalogs() -> None:
    assert {"de", "en", "tr", "uk", "ar", EASY_GERMAN} <= set(LANGUAGES)


FORMAL_ADDRESS = {
    "de": r"\b(du|dich|dir|dein|deine|deinen|deiner|euch|euer)\b",
    EASY_GERMAN: r"\b(du|dich|dir|dein|deine|deinen|deiner|euch|euer)\b",
    "tr": r"\b(sen|seni|sana|senin|sende|senden)\b",
    "uk": r"(?<!\w)(ти|тебе|тобі|тобою|твій|твоя|твоє|твої|твого|твоєї)(?!\w)",
}


@pytest.mark.parametrize("code", sorted(FORMAL_ADDRESS))
def test_residents_are_addressed_formally(code: str) -> None:
    """Sie, siz, Ви: no informal pronoun in any text (Arabic has no formal pronoun to check)."""
    informal = re.compile(FORMAL_ADDRESS[code], re.IGNORECASE)
    for message in catalog(code):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert not informal.search(text or ""), f"{code}: informal address in {text!r}"


def test_ukrainian_writes_the_polite_you_with_a_capital() -> None:
    lowercase_polite = re.compile(r"(?<![.!?:] )(?<!^)\b(ви|вас|вам|ваш|ваша|ваше|ваші|вашу|вашої)\b")
    for message in catalog("uk"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert not lowercase_polite.search(text or ""), f"uk: lowercase polite form in {text!r}"


def test_german_is_formal() -> None:
    informal = re.compile(r"\b(du|dich|dir|dein|deine|deinen|deiner|euch|euer)\b", re.IGNORECASE)
    for message in catalog("de"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert not informal.search(text or ""), f"informal German in {text!r}"


def test_plural_forms_come_from_the_catalog() -> None:
    german = load_catalog("de")
    assert german.ngettext("{count} person supports it.", "{count} people support it.", 1) == (
        "{count} Person unterstützt sie."
    )
    assert german.ngettext("{count} person supports it.", "{count} people support it.", 3) == (
        "{count} Personen unterstützen sie."
    )


def _gettext_calls(tree: ast.AST) -> set[int]:
    """ids of string constants passed to a gettext function."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            logged = ("debug", "info", "warning", "exception", "retrying", "until_stored")  # `what` names it in logs
            if name in ("_", "N_", "gettext", "ngettext") or name in logged:
                for arg in ast.walk(node):
                    if isinstance(arg, ast.Constant):
                        inside.add(id(arg))
    return inside


def _operator_errors(tree: ast.AST) -> set[int]:
    """Exceptions are for operators and logs (they name the setting to fix), not for residents."""
    return {id(c) for node in ast.walk(tree) if isinstance(node, ast.Raise) for c in ast.walk(node)}


def _markup(tree: ast.AST) -> set[int]:
    """Literal HTML in the page template: tags and attributes, not sentences."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.update(id(part) for part in node.values if isinstance(part, ast.Constant) and "<" in part.value)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """Strings standing alone as statements: docstrings, of modules, classes, functions, attributes."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


@pytest.mark.parametrize("path", RESIDENT_FACING, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sentence_escapes_gettext(path: Path) -> None:
    """Any literal that reads like words for people must sit inside a gettext call."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = _gettext_calls(tree) | _docstrings(tree) | _markup(tree) | _operator_errors(tree)
    escaped = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in allowed
        and re.search(r"[A-Za-zÄÖÜäöüß]{2,}\s+[A-Za-zÄÖÜäöüß]{2,}", node.value)
    ]
    assert escaped == [], f"{path.name}: strings outside gettext: {escaped}"
