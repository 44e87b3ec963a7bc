"""Leichte Sprache (``de@ls``): the rules of the Netzwerk Leichte Sprache that a program can check.

Checked here, in every text of the catalog and the content file: sentences of at most 12 words,
no abbreviations, none of the characters the rules exclude, long words split with a Mediopunkt
(Bürger·meister), numbers as digits, no Konjunktiv and no Genitiv article. What a program cannot
check (active voice, one statement per sentence, hard words explained where they first appear,
foreign words explained) is a review item in the README, "Languages".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from babel.messages.pofile import read_po

from dialogs.content import Content
from dialogs.i18n import EASY_GERMAN, LOCALES_DIR

MAX_WORDS = 12
MAX_LETTERS = 15
LONG_WORDS_ALLOWED = frozenset({"Unterstützungen"})
"""Words over the limit that readers know well enough whole (keep this list short)."""
ACRONYMS_ALLOWED = frozenset({"CSV", "JSON"})
"""Only in texts for the offices' staff, never in what residents read."""
STAFF_ONLY = re.compile(r"^(Download as CSV|Here is everything we have stored about you, as a JSON file\.)$")

SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")
PLACEHOLDER = re.compile(r"\{\w+\}")
COMMAND = re.compile(r"(?<!\w)/\w+(?:\s+\S+:\d+)?")
ABBREVIATION = re.compile(
    r"\b(?:Nr|bzw|usw|etc|ca|ggf|evtl|inkl|vgl|bspw|zzgl|Str|Tel|max|min|z\.\s?B|d\.\s?h|u\.\s?a|o\.\s?ä|s\.\s?o)\.",
)
ACRONYM = re.compile(r"\b[A-ZÄÖÜ]{2,}\b")
EXCLUDED_CHARACTERS = re.compile(r"[;%&§()\[\]]")
KONJUNKTIV = re.compile(
    r"\b(?:würde|würden|würdest|könnte|könnten|hätte|hätten|wäre|wären|sollte|sollten|müsste|müssten|"
    r"dürfte|dürften|möchte|möchten)\b",
    re.IGNORECASE,
)
GENITIVE_ARTICLE = re.compile(r"\b(?:des|eines|meines|Ihres|seines|ihres|unseres)\b")
NUMBER_WORDS = re.compile(
    r"\b(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|hundert|tausend)\b",
    re.IGNORECASE,
)
WORD = re.compile(r"[A-Za-zÄÖÜäöüß·]+")


def problems(text: str) -> Iterator[str]:
    """Each rule `text` breaks, as a sentence a translator can act on."""
    plain = COMMAND.sub("Befehl", PLACEHOLDER.sub("X", text))
    for sentence in SENTENCE_END.split(plain):
        words = [w for w in sentence.split() if re.search(r"\w", w)]
        if len(words) > MAX_WORDS:
            yield f"{len(words)} words in one sentence (at most {MAX_WORDS}): {sentence!r}"
    for word in WORD.findall(plain):
        letters = word.replace("·", "")
        if len(letters) > MAX_LETTERS and "·" not in word and word not in LONG_WORDS_ALLOWED:
            yield f"long word without Mediopunkt: {word!r} (split it, e.g. Bürger·meister)"
    for pattern, rule in (
        (ABBREVIATION, "abbreviation"),
        (EXCLUDED_CHARACTERS, "character the rules exclude"),
        (KONJUNKTIV, "Konjunktiv"),
        (GENITIVE_ARTICLE, "Genitiv"),
        (NUMBER_WORDS, "number as a word (write digits)"),
    ):
        for found in pattern.finditer(plain):
            yield f"{rule}: {found.group(0)!r} in {text!r}"
    for found in ACRONYM.finditer(plain):
        if found.group(0) not in ACRONYMS_ALLOWED:
            yield f"abbreviation: {found.group(0)!r} in {text!r}"


def catalog_texts() -> list[tuple[str, str]]:
    with (LOCALES_DIR / EASY_GERMAN / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=EASY_GERMAN)
    texts = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts.extend((msgid, text) for text in strings)
    return texts


def content_texts(content: Content) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            if EASY_GERMAN in value and isinstance(value[EASY_GERMAN], str):
                found.append((path, value[EASY_GERMAN]))
            for key, inner in value.items():
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, f"{path}.{index}")

    walk(content.model_dump(), "content")
    return found


def test_the_checker_finds_what_it_promises() -> None:
    assert list(problems("Bitte wählen Sie ein Thema.")) == []
    assert list(problems("Das Bürger·meister·amt hilft Ihnen.")) == []
    assert any(
        "words" in p for p in problems("Sie können hier Ideen lesen und auch selbst eine eigene neue Idee schicken.")
    )
    assert any("Mediopunkt" in p for p in problems("Das Bürgermeisteramtsgebäude ist offen."))
    assert any("abbreviation" in p for p in problems("Idee Nr. 4 ist fertig."))
    assert any("abbreviation" in p for p in problems("Das Amt hat z. B. auch samstags offen."))
    assert any("abbreviation" in p for p in problems("Wir nutzen WLAN."))
    assert any("character" in p for p in problems("Das kostet 5 % mehr."))
    assert any("Konjunktiv" in p for p in problems("Das würde helfen."))
    assert any("Genitiv" in p for p in problems("Das Haus des Bürgers."))
    assert any("digits" in p for p in problems("Es gibt drei Ziele."))


def test_the_catalog_follows_the_rules() -> None:
    found = [
        f"{msgid!r}: {problem}"
        for msgid, text in catalog_texts()
        for problem in problems(text)
        if not (STAFF_ONLY.match(msgid) and problem.startswith("abbreviation"))
    ]
    assert found == [], "\n".join(found)


def test_the_content_follows_the_rules(content: Content) -> None:
    texts = content_texts(content)
    assert len(texts) > 50, "the content file has Leichte Sprache texts"
    found = [f"{path}: {problem}" for path, text in texts for problem in problems(text)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("word", ["Leit·ziel", "Smart City", "Charta", "Handlungs·feld"])
def test_hard_words_are_explained_where_they_first_appear(content: Content, word: str) -> None:
    """The checker cannot judge an explanation; it can see that one is there, right after the word."""
    explained = re.compile(
        rf"{re.escape(word)}\S* (?:ist|bedeutet|heißt|nennen)|(?:Es bedeutet|auch) {re.escape(word)}"
    )
    everything = [text for _path, text in content_texts(content)] + [text for _id, text in catalog_texts()]
    first = next(text for text in everything if word in text)
    assert explained.search(first), f"{word!r} first appears without an explanation: {first!r}"
