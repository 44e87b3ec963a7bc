"""Migration 0011 moves conversations stored in the old shape; residents carry on where they were."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage.database import create_db_engine
from storage.migrate import downgrade, upgrade
from storage.models import conversation_table, resident_table
from storage.store import Store
from tests.chat import Chat
from tests.conftest import POSTGRES_URL, _postgres_reason

OLD_BROWSING = {
    "g": 7,
    "m": ["field:mobilitaet", "field:klima", "back"],
    "l": ["1. Mobilität", "2. Klima", "Zurück"],
    "pressed": ["6.1", 1_700_000_000.0],
    "news_asked": True,
    "draft": {"title": "Mehr Bänke im Park"},
    "editing": True,
}
OLD_BROADCAST = {
    "g": 3,
    "m": ["send"],
    "l": ["Senden"],
    "bc": {"text": "Der Park ist offen.", "audience": True, "at": None},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (or PostgreSQL schema), not migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.sqlite3"
        return
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    import psycopg

    schema = f"mitmach_migration_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _write_old(url: str, user_id: str, state: str, context: dict[str, object]) -> None:
    store = Store(url)
    now = store.now()
    record = store.run(lambda tx: tx.load_or_create_resident("test", user_id, f"chat-{user_id}", state, now))
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(update(resident_table).where(resident_table.c.id == record.id).values(language="de", city="aalen"))
        conn.execute(
            update(conversation_table)
            .where(conversation_table.c.resident_id == record.id)
            .values(context=json.dumps(context))
        )
    engine.dispose()
    store.dispose()


def _stored(url: str) -> dict[str, tuple[str, dict[str, object]]]:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(resident_table.c.user_id, conversation_table.c.state, conversation_table.c.context).join(
                conversation_table, conversation_table.c.resident_id == resident_table.c.id
            )
        ).all()
    engine.dispose()
    return {user_id: (state, json.loads(context)) for user_id, state, context in rows}


def test_old_contexts_move_to_the_named_shape_and_back(unmigrated_url: str) -> None:
    upgrade(unmigrated_url, "0010")
    _write_old(unmigrated_url, "erika", "fields", OLD_BROWSING)
    _write_old(unmigrated_url, "bea", "bc_preview", OLD_BROADCAST)
    upgrade(unmigrated_url)
    stored = _stored(unmigrated_url)
    assert stored["erika"] == (
        "fields",
        {
            "menu": {"generation": 7, "actions": OLD_BROWSING["m"], "labels": OLD_BROWSING["l"]},
            "last_press": {"payload": "6.1", "at": 1_700_000_000.0},
            "news_offered": True,
            "idea_draft": {"title": "Mehr Bänke im Park"},
            "editing_draft": True,
        },
    )
    state, context = stored["bea"]
    assert state == "broadcast_preview"
    assert context["broadcast_draft"] == {"text": "Der Park ist offen.", "audience_chosen": True, "send_at": None}
    downgrade(unmigrated_url, "0010")
    assert _stored(unmigrated_url) == {"erika": ("fields", OLD_BROWSING), "bea": ("bc_preview", OLD_BROADCAST)}


async def test_a_button_sent_before_the_migration_still_works(
    unmigrated_url: str, content: Content, languages: Languages
) -> None:
    upgrade(unmigrated_url, "0010")
    _write_old(unmigrated_url, "erika", "fields", OLD_BROWSING)
    upgrade(unmigrated_url)
    store = Store(unmigrated_url)
    engine = Engine(content, languages, store)
    try:
        erika = Chat(engine, "erika")
        await erika.press_payload("7.0")  # "1. Mobilität" on the menu shown before the update
        assert erika.sees("Mobilität") and erika.sees_button("Ideen anzeigen"), erika.reply.plain_text
        assert store.run(lambda tx: tx.load_resident("test", "erika")).state == "field"  # type: ignore[union-attr]
    finally:
        engine.close()
        store.dispose()
