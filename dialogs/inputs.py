"""Cleaning and checking what residents type, before anything is stored."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

TITLE_MIN, TITLE_MAX = 5, 100
DESCRIPTION_MIN, DESCRIPTION_MAX = 20, 1000
MIN_LETTERS = 3


class Problem(Enum):
    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NO_WORDS = "no_words"


@dataclass(frozen=True)
class Checked:
    value: str
    problem: Problem | None = None
    length: int = 0


DROPPED_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn")
"""Control, format (zero-width spaces and joiners, bidi embeddings and isolates, BOM),
surrogate, private-use and unassigned characters: invisible, or shown differently
from what is stored, so two titles that look alike could differ."""


def clean(text: str, *, single_line: bool) -> str:
    """Drop control and format characters, normalise Unicode, tidy whitespace.

    The zero-width joiner goes too: an emoji sequence joined by it falls apart into
    its emoji, which still reads well.
    """
    kept = []
    for char in text:
        if char in "\n\r":
            kept.append(" " if single_line else "\n")
        elif char == "\t":
            kept.append(" ")
        elif unicodedata.category(char) in DROPPED_CATEGORIES:
            continue
        else:
            kept.append(char)
    # normalised after dropping: a removed character may have stood between two that compose
    text = unicodedata.normalize("NFC", "".join(kept))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    result = "\n".join(lines).strip()
    while "\n\n\n" in result:
        result = result.replace("\n\n\n", "\n\n")
    return result


def _letters(text: str) -> int:
    return sum(1 for char in text if char.isalnum())


def check(text: str, *, minimum: int, maximum: int, single_line: bool) -> Checked:
    if len(text) > 4 * maximum:  # far too long: say so without cleaning it all first
        return Checked("", Problem.TOO_LONG, len(text))
    value = clean(text, single_line=single_line)
    length = len(value)
    if not value:
        return Checked(value, Problem.EMPTY, 0)
    if length > maximum:
        return Checked(value, Problem.TOO_LONG, length)
    if _letters(value) < MIN_LETTERS:
        return Checked(value, Problem.NO_WORDS, length)
    if length < minimum:
        return Checked(value, Problem.TOO_SHORT, length)
    return Checked(value, None, length)


def check_title(text: str) -> Checked:
    return check(text, minimum=TITLE_MIN, maximum=TITLE_MAX, single_line=True)


def check_description(text: str) -> Checked:
    return check(text, minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX, single_line=False)
