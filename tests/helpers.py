"""Helpers for tests: store-side shortcuts, and the broadcast service at a test's pace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from bot.broadcasting.service import BroadcastService
from bot.broadcasting.transport import Transport
from dialogs.engine import Engine
from dialogs.messages import Identity
from storage import outbox
from storage.models import BroadcastStatus, IdeaStatus, idea_table, resident_table, vote_table
from storage.store import ResidentRecord, Store


def seed_idea(
    store: Store,
    title: str = "Echtzeit-Anzeigen an Bushaltestellen",
    *,
    field_id: str = "mobilitaet",
    city: str = "aalen",
    status: IdeaStatus = IdeaStatus.APPROVED,
) -> int:
    return store.run(
        lambda tx: tx.create_idea(
            title=title,
            description="Anzeigen mit Abfahrtszeiten in Echtzeit an jeder Haltestelle.",
            field_id=field_id,
            city=city,
            author_id=None,
            now=store.now(),
            status=status,
        )
    )


def approve(store: Store, idea_id: int) -> None:
    assert store.run(lambda tx: tx.set_idea_status(idea_id, IdeaStatus.APPROVED, store.now()))


def resident(store: Store, identity: Identity) -> ResidentRecord | None:
    return store.run(lambda tx: tx.load_resident(identity.platform, identity.user_id))


def state_of(store: Store, identity: Identity) -> str | None:
    record = resident(store, identity)
    return record.state if record else None


def support_count(store: Store, idea_id: int) -> int:
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None
    return idea.support_count


async def start_broadcasts(engine: Engine, transports: list[Transport], concurrency: int = 4) -> BroadcastService:
    """The broadcast service on the engine's store, with every interval shortened for tests."""
    service = BroadcastService(
        engine.store,
        engine.languages,
        transports,
        database_url=str(engine.store.engine.url),
        concurrency=concurrency,
        retry_delay=0.2,
        schedule_interval=0.1,
        election_interval=0.2,
        progress_interval=0.2,
        takeover_pause=0,
    )
    await service.start()
    return service


async def wait_until_finished(store: Store, broadcast_id: int, timeout: float = 20) -> outbox.BroadcastRecord:
    """Until the broadcast is done and its author's progress message shows the final figures."""
    deadline = time.monotonic() + timeout
    while True:
        found = store.run(lambda tx: outbox.get(tx, broadcast_id))
        if found is not None and found.status == BroadcastStatus.DONE.value and found.progress_final:
            return found
        assert time.monotonic() < deadline, f"broadcast not finished: {found}"
        await asyncio.sleep(0.05)


def seed_many_votes(store: Store, field_ids: Sequence[str], votes: int, votes_per_resident: int = 10) -> None:
    """`votes` supports in bulk: 20 approved ideas per Handlungsfeld and residents on three
    platforms, who joined (and voted) over the last 12 weeks; a few INSERT … SELECT statements."""
    now = store.now()
    platforms = ("telegram", "matrix", "web")
    ideas = [
        {
            "title": f"Idee {n} in {field_id}",
            "description": "",
            "field_id": field_id,
            "city": "aalen" if n % 2 else "heidenheim",
            "status": IdeaStatus.APPROVED.value,
            "support_count": 0,
            "created_at": now - timedelta(days=n % 84),
            "updated_at": now,
        }
        for field_id in field_ids
        for n in range(20)
    ]
    residents = [
        {
            "platform": platforms[n % 3],
            "user_id": f"many-{n}",
            "chat_id": f"many-{n}",
            "created_at": now - timedelta(days=n % 84, minutes=n % 1440),
        }
        for n in range(max(1, votes // votes_per_resident))
    ]
    R = resident_table.c
    with store.engine.begin() as conn:
        first_idea = conn.execute(insert(idea_table).returning(idea_table.c.id), ideas[:1]).scalar_one()
        conn.execute(insert(idea_table), ideas[1:])
        conn.execute(insert(resident_table), residents)
        ours = R.user_id.like("many-%")
        for k in range(votes_per_resident):
            idea = (R.id * 7 + k) % len(ideas) + first_idea
            conn.execute(
                insert(vote_table).from_select(
                    ["resident_id", "idea_id", "created_at"], select(R.id, idea, R.created_at).where(ours)
                )
            )
        V = vote_table.c
        tally = select(func.count()).where(V.idea_id == idea_table.c.id).scalar_subquery()
        conn.execute(update(idea_table).where(idea_table.c.id >= first_idea).values(support_count=tally))


def assert_supports_consistent(store: Store) -> None:
    """Every idea's tally equals its vote rows, and no vote sits on a merged idea.

    Hidden ideas keep their votes (hiding takes an idea out of view, it does not erase
    who supported it), so only merged ones must be empty.
    """
    mismatches = store.run(lambda tx: tx.support_mismatches())
    assert mismatches == [], f"(idea, tally, vote rows) that disagree: {mismatches}"


def arbitrary_texts(count: int = 30) -> list[str]:
    """Texts hypothesis makes up: any Unicode, shapes of numbers in every script, very long digits."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    numberish = st.from_regex(r"\s*(Nr\.?|#)?\s*[0-9²³¹٠-٩０-９߀-߉]{1,8}[.)]?\s*", fullmatch=True)
    strategy = st.one_of(st.text(max_size=300), numberish)
    found: list[str] = []

    @settings(max_examples=count, database=None, deadline=None)
    @given(strategy)
    def collect(text: str) -> None:
        found.append(text)

    collect()
    return ["²", "1" * 5000, "Nr. ²", *found]


async def subscribe_city_news(press: Callable[[str], Awaitable[object]], city: str = "Aalen") -> None:
    """From the main menu, subscribe to the city's news in the settings and go back to the menu.

    `press` presses a button by its label, on whatever platform the resident uses."""
    for label in ("Einstellungen", "Neuigkeiten abonnieren", f"☐ Neuigkeiten aus {city}", "Fertig", "Zurück"):
        await press(label)
