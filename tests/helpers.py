"""Store-side helpers for tests: what moderation will do through commands later."""

from __future__ import annotations

from dialogs.messages import Identity
from storage.models import IdeaStatus
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
