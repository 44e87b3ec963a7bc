"""50 residents answer one poll and change their answers at the same moment, on SQLite and PostgreSQL.

Every answer is one row per resident and poll, changed under the poll's row lock together with
the counts: whatever order the events run in, the counts equal the stored answers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity, Inbound, InboundKind
from storage import polls
from storage.store import Store
from storage.subscriptions import Audience

RESIDENTS = 50
WORKERS = 8


@pytest.fixture
def busy_engine(content: Content, languages: Languages, store_url: str) -> Iterator[Engine]:
    """An engine that really runs events in parallel threads, as several webhook workers would."""
    store = Store(store_url)
    engine = Engine(content, languages, store, workers=WORKERS)
    yield engine
    engine.close()
    store.dispose()


def open_poll(store: Store, multiple: bool) -> polls.PollRecord:
    now = store.now()

    def create(tx: polls.Tx) -> int:
        return polls.create_poll(
            tx,
            author=("test", "staff", "staff", "de"),
            question="Welches Projekt zuerst?",
            options=["Stadtpark", "Radweg", "Busanzeige"],
            multiple=multiple,
            audience=Audience(),
            in_menu=True,
            show_interim=True,
            tell_answerers=False,
            opens_at=now,
            closes_at=now + timedelta(days=1),
            now=now,
        )

    poll_id = store.run(create)
    poll = store.run(lambda tx: polls.get(tx, poll_id))
    assert poll is not None
    return poll


def onboarded_residents(store: Store) -> list[Identity]:
    people = [Identity("test", f"r{n}") for n in range(RESIDENTS)]
    cities = ["aalen", "heidenheim"]

    def create(tx: polls.Tx) -> None:
        for index, person in enumerate(people):
            record = tx.load_or_create_resident(person.platform, person.user_id, person.user_id, "menu", store.now())
            record.language, record.city = "de", cities[index % 2]
            tx.save_resident(record, store.now())

    store.run(create)
    return people


def tap(person: Identity, poll: int, option: int, n: int) -> Inbound:
    return Inbound(person, person.user_id, f"{person.user_id}-{n}", InboundKind.BUTTON, f"p.{poll}.{option}")


@pytest.mark.parametrize("multiple", [False, True], ids=["single", "multiple"])
def test_fifty_answer_and_change_at_once_and_the_counts_equal_the_answers(busy_engine: Engine, multiple: bool) -> None:
    store = busy_engine.store
    poll = open_poll(store, multiple)
    people = onboarded_residents(store)
    chance = random.Random(17)
    events = [tap(person, poll.id, chance.randrange(3), n) for person in people for n in range(3)]
    chance.shuffle(events)
    with ThreadPoolExecutor(WORKERS) as pool:
        replies = list(pool.map(busy_engine.handle_blocking, events))
    answered = [r[0].reply.plain_text for r in replies if r]
    assert len(answered) == len(events), "every tap is answered, none lost to a conflict"
    assert all("Danke!" in text or "zurückgenommen" in text for text in answered)

    counted = store.run(lambda tx: polls.totals(tx, poll))
    stored = store.run(lambda tx: polls.stored_answers(tx, poll))
    assert counted == stored
    if not multiple:
        assert counted.respondents == RESIDENTS and sum(counted.counts) == RESIDENTS, "one answer each"
    per_city = [store.run(lambda tx, c=c: polls.totals(tx, poll, city=c)).respondents for c in ("aalen", "heidenheim")]
    assert sum(per_city) == counted.respondents
