"""Similar ideas: which published or pending ideas say much the same as a draft.

A resident who is about to submit "Mehr Sitzbänke am Kocher" should see the existing
"Sitzbänke mit Solarstrom" and may rather support it; a moderator sees the same list
beside a new idea and can merge it. The method is lexical and German-aware, runs offline
and answers in about a millisecond for thousands of ideas (see BENCHMARKS.md):

- words are lower-cased (ß as ss), stop words dropped and the rest reduced to their
  Snowball stem, which also folds the umlauts ("Sitzbänke" -> "sitzbank");
- each stem also contributes its character 4-grams, so the parts of a compound meet
  ("Fahrradwege" shares "radw", "adwe", "dweg" with "Radweg");
- a draft and an idea are compared by the cosine of their TF-IDF vectors; an idea is
  suggested above a threshold measured on the evaluation set in bench/similar.py, and
  only if it scores at least half as well as the best one.

The index never holds an author, and what it hands out (`SimilarIdea`) carries only id,
title, status, city and support: a pending idea never reveals who wrote it or what it says
beyond its title. `SimilarIdeas` keeps one index per process in step with the store.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import snowballstemmer  # type: ignore[import-untyped]

from storage import similarity
from storage.store import Tx

THRESHOLD = 0.25
"""Least cosine similarity at which an idea is suggested (chosen in bench/similar.py)."""
RELATIVE = 0.5
"""An idea is suggested only if it scores at least this share of the best one: a strong
match is not padded with weak ones."""

LIMIT = 3
GRAM_WEIGHT = 1.0
"""Weight of one character 4-gram against one whole stem."""
GRAM = 4
COMMON_SHARE = 0.05
COMMON_MIN = 100
"""A term is common when more than this share of the ideas, and more than this many, hold it."""
RESCORED = 100
"""How many of the best ideas by rare terms get the common terms' share added."""
REBUILD_SHARE = 0.1
"""Document frequencies are recounted once this share of the ideas changed since the last count."""

# Words that say nothing about what an idea is about: articles, pronouns, auxiliaries,
# prepositions, the filler of idea texts ("Idee", "bitte", "sollte") and of a message typed
# into the chat ("Hallo, ich möchte … vorschlagen").
_STOP_WORDS = """
    a aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei beim
    bin bis bitte bzw da dabei dadurch dafür damit dann das dass dein deine dem den denn der des
    dessen deshalb die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem
    einen einer eines einfach einige etwa etwas euch euer für gibt gern gerne ganz gar hat hatte
    haben hier hin ich ihm ihn ihr ihre im immer in ins ist ja jede jedem jeden jeder jedes jetzt
    kann kein keine können könnte man manche mehr mein meine meinem meiner mich mir mit möchte
    muss müssen nach nicht nichts noch nur ob oder ohne schon sehr sein seine sich sie sind so
    soll sollen sollte sollten sowie statt über um und uns unser unsere unter viel viele vom von
    vor wäre wären war was weil welche wenn wer werden wie wieder will wir wird wo würde würden
    z zb zu zum zur zwischen
    idee ideen vorschlag vorschlagen vorschlage schlage einreichen beispiel beispielidee
    hallo hi moin servus grüß gott guten tag danke
    the of and to for with on at is are be this that it we our
    """
STOP_WORDS = frozenset(_STOP_WORDS.split())

K = TypeVar("K")
_WORD = re.compile(r"[^\W\d_]+|\d+")
_stemmer = snowballstemmer.stemmer("german")


@dataclass(frozen=True, slots=True)
class Candidate:
    """An idea that can be suggested, as read from the store."""

    id: int
    title: str
    description: str
    status: str
    city: str
    support_count: int = 0


@dataclass(frozen=True, slots=True)
class SimilarIdea:
    """One suggestion: enough to label a button, nothing about the author."""

    id: int
    title: str
    status: str
    city: str
    support_count: int
    score: float


def fold(text: str) -> str:
    """Lower case, ß as ss, and compatibility forms unfolded (ligatures, full-width letters)."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def stems(text: str) -> list[str]:
    """The Snowball stems of the words of `text` that carry meaning."""
    words = (w for w in _WORD.findall(fold(text)) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit()))
    return [_stem(word) for word in words]


def features(text: str, *, gram_weight: float = GRAM_WEIGHT) -> dict[str, float]:
    """Weighted terms of a text: its stems and their character 4-grams."""
    weights: dict[str, float] = {}
    get = weights.get
    for stem in stems(text):
        weights[stem] = get(stem, 0.0) + 1.0
        if gram_weight:
            for gram in _grams(stem):
                weights[gram] = get(gram, 0.0) + gram_weight
    return weights


@lru_cache(maxsize=65536)
def _grams(stem: str) -> tuple[str, ...]:
    """The character 4-grams of a stem between boundary marks, as terms ("#<rad", "#radw" …)."""
    if len(stem) <= GRAM:
        return ()
    padded = f"<{stem}>"
    return tuple("#" + padded[start : start + GRAM] for start in range(len(padded) - GRAM + 1))


class SimilarityIndex:
    """An inverted index of ideas, kept in memory and updated as ideas come and go.

    Document frequencies and vector lengths are recounted when a tenth of the ideas
    changed since the last count; in between, a new idea is weighted with the counts it
    found, which moves scores by far less than the threshold.
    """

    def __init__(self, candidates: Iterable[Candidate] = (), *, gram_weight: float = GRAM_WEIGHT) -> None:
        self._gram_weight = gram_weight
        self._ideas: dict[int, Candidate] = {}
        self._terms: dict[int, dict[str, float]] = {}
        self._postings: dict[str, dict[int, float]] = {}
        self._norms: dict[int, float] = {}
        self._idf: dict[str, float] = {}
        self._changes = 0
        for candidate in candidates:
            self._insert(candidate)
        self._recount()

    def __len__(self) -> int:
        return len(self._ideas)

    def __contains__(self, idea_id: object) -> bool:
        return idea_id in self._ideas

    def get(self, idea_id: int) -> Candidate | None:
        return self._ideas.get(idea_id)

    def put(self, candidate: Candidate) -> None:
        """Add an idea, or replace the one with its id (its text or status changed)."""
        old = self._ideas.get(candidate.id)
        if old is not None and (old.title, old.description) == (candidate.title, candidate.description):
            self._ideas[candidate.id] = candidate
            return
        self.remove(candidate.id)
        self._insert(candidate)
        self._norms[candidate.id] = self._norm(self._terms[candidate.id])
        self._note_change()

    def remove(self, idea_id: int) -> None:
        if self._ideas.pop(idea_id, None) is None:
            return
        for term in self._terms.pop(idea_id):
            posting = self._postings[term]
            del posting[idea_id]
            if not posting:
                del self._postings[term]
        self._norms.pop(idea_id, None)
        self._note_change()

    def search(self, title: str, description: str = "", *, limit: int = LIMIT) -> list[SimilarIdea]:
        """Up to `limit` ideas most like the draft, most similar first (see THRESHOLD and RELATIVE)."""
        return [
            _suggestion(self._ideas[idea_id], score)
            for idea_id, score in suggest(self.scores(title, description), limit)
        ]

    def scores(self, title: str, description: str = "") -> list[tuple[int, float]]:
        """Ideas that share a term with the draft, with their cosine similarity, best first.

        Terms found in many ideas (most 4-grams) weigh little but have long postings; the
        ideas are gathered by the rarer terms, and only the best of them get the common
        terms' share added, exactly. With few ideas every term counts as rare.
        """
        query = features(f"{title}\n{description}", gram_weight=self._gram_weight)
        if not query or not self._ideas:
            return []
        default_idf = math.log(1 + len(self._ideas))
        idf = {term: self._idf.get(term, default_idf) for term in query}
        weighted = {term: weight * idf[term] for term, weight in query.items()}
        query_norm = math.sqrt(sum(w * w for w in weighted.values()))
        cutoff = max(COMMON_SHARE * len(self._ideas), COMMON_MIN)
        rare = [t for t in weighted if len(self._postings.get(t, ())) <= cutoff]
        common = [t for t in weighted if t not in rare and t in self._postings]
        if not rare:
            rare, common = common, []
        totals: dict[int, float] = {}
        for term in rare:
            posting = self._postings.get(term)
            if posting is None:
                continue
            factor = weighted[term] * idf[term]
            for idea_id, weight in posting.items():
                totals[idea_id] = totals.get(idea_id, 0.0) + factor * weight
        if common:
            best = sorted(totals, key=totals.__getitem__, reverse=True)[:RESCORED]
            totals = {idea_id: totals[idea_id] + self._dot(idea_id, common, weighted, idf) for idea_id in best}
        ranked = [(idea_id, total / (query_norm * self._norms[idea_id])) for idea_id, total in totals.items()]
        ranked.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranked

    def _dot(self, idea_id: int, terms: list[str], weighted: dict[str, float], idf: dict[str, float]) -> float:
        own = self._terms[idea_id]
        return sum(weighted[term] * idf[term] * own.get(term, 0.0) for term in terms)

    # -- bookkeeping ----------------------------------------------------------------

    def _insert(self, candidate: Candidate) -> None:
        terms = features(f"{candidate.title}\n{candidate.description}", gram_weight=self._gram_weight)
        self._ideas[candidate.id] = candidate
        self._terms[candidate.id] = terms
        for term, weight in terms.items():
            self._postings.setdefault(term, {})[candidate.id] = weight

    def _note_change(self) -> None:
        self._changes += 1
        if self._changes > REBUILD_SHARE * max(len(self._ideas), 10):
            self._recount()

    def _recount(self) -> None:
        total = len(self._ideas)
        self._idf = {term: math.log(1 + total / len(posting)) for term, posting in self._postings.items()}
        self._norms = {idea_id: self._norm(terms) for idea_id, terms in self._terms.items()}
        self._changes = 0

    def _norm(self, terms: dict[str, float]) -> float:
        default_idf = math.log(1 + len(self._ideas))
        return math.sqrt(sum((w * self._idf.get(t, default_idf)) ** 2 for t, w in terms.items())) or 1.0


def suggest(
    ranked: Sequence[tuple[K, float]], limit: int = LIMIT, threshold: float = THRESHOLD, relative: float = RELATIVE
) -> list[tuple[K, float]]:
    """The head of a ranking worth showing: at most `limit`, above `threshold` and near the best."""
    if not ranked:
        return []
    floor = max(threshold, relative * ranked[0][1])
    return [(key, score) for key, score in ranked[:limit] if score >= floor]


def _suggestion(candidate: Candidate, score: float) -> SimilarIdea:
    return SimilarIdea(
        id=candidate.id,
        title=candidate.title,
        status=candidate.status,
        city=candidate.city,
        support_count=candidate.support_count,
        score=round(score, 4),
    )


class SimilarIdeas:
    """The index of one process, brought up to date from the store before each search.

    A cheap fingerprint (count, highest id, latest write) tells whether any idea changed;
    only then are the versions compared and the changed ideas read again. The hits are
    read once more as they are now, so a search never offers an idea that was rejected,
    merged or erased a moment ago.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        """Events may be handled on worker threads; the index is changed under this lock."""
        self._index = SimilarityIndex()
        self._fingerprint: similarity.Fingerprint | None = None
        self._versions: dict[int, Any] = {}

    @property
    def index(self) -> SimilarityIndex:
        """The index as of the last refresh (for measurements: searching it reads nothing)."""
        return self._index

    def find(
        self, tx: Tx, title: str, description: str = "", *, exclude: Collection[int] = (), limit: int = LIMIT
    ) -> list[SimilarIdea]:
        """Up to `limit` published or pending ideas of any city like the draft, none of `exclude`.

        The excluded ideas (the one a moderator decides on, a resident's own) are left out before
        the ranking is cut, so they do not push the others below "half the best"."""
        with self._lock:
            self._refresh(tx)
            ranked = [pair for pair in self._index.scores(title, description) if pair[0] not in exclude]
            hits = suggest(ranked, limit)
        current = {row[0]: row for row in similarity.ideas(tx, [idea_id for idea_id, _ in hits])}
        found = []
        for idea_id, score in hits:
            row = current.get(idea_id)
            if row is None or row[3] not in similarity.SUGGESTED:
                continue
            _, title_now, _, status, city, support = row
            found.append(SimilarIdea(idea_id, title_now, status, city, support, round(score, 4)))
        return found

    def refresh(self, tx: Tx) -> None:
        """Bring the index up to date (a process may call it at start-up, to build it early)."""
        with self._lock:
            self._refresh(tx)

    def _refresh(self, tx: Tx) -> None:
        fingerprint = similarity.fingerprint(tx)
        if fingerprint == self._fingerprint:
            return
        versions = similarity.versions(tx)
        changed = [idea_id for idea_id, written in versions.items() if self._versions.get(idea_id) != written]
        for idea_id in self._versions.keys() - versions.keys():
            self._index.remove(idea_id)
        if len(changed) > REBUILD_SHARE * max(len(versions), 10):
            self._index = SimilarityIndex(_candidate(row) for row in similarity.suggestable(tx))
        else:
            for row in similarity.ideas(tx, changed):
                self._index.put(_candidate(row))
        self._versions = versions
        self._fingerprint = fingerprint


def _candidate(row: similarity.Row) -> Candidate:
    idea_id, title, description, status, city, support = row
    return Candidate(idea_id, title, description, status, city, support)
