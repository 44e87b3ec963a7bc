"""Helpers for tests: store-side shortcuts, and the broadcast service at a test's pace."""

from __future__ import annotations

import asyncio
import time

from bot.broadcasting.service import BroadcastService
from bot.broadcasting.transport import Transport
from dialogs.engine import Engine
from dialogs.messages import Identity
from storage import outbox
from storage.models import BroadcastStatus, IdeaStatus
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


async def start_broadcasts(engine: Engine, transports: list[Transport]) -> BroadcastService:
    """The broadcast service on the engine's store, with every interval shortened for tests."""
    service = BroadcastService(
        engine.store,
        engine.languages,
        transports,
        database_url=str(engine.store.engine.url),
        concurrency=4,
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
