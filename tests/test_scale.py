"""A dialogue step costs the same in a city as in a village: no statement reads a growing table in full.

Every statement the engine sends to SQLite during a resident's whole journey (first contact,
browsing, supporting, submitting an idea that notifies the moderators and admins) is recorded
and then explained with SQLite's EXPLAIN QUERY PLAN. A full scan of a table that grows with
residents, votes, events or notifications would make each step slower as the city joins in
(bench/scale.py measures it; this test keeps it from coming back).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage import moderation
from storage.models import Role
from storage.store import Store
from tests.chat import Chat
from tests.helpers import seed_idea
from tests.texts import city, de

GROWING = (
    "resident",
    "conversation",
    "vote",
    "processed_event",
    "action_token",
    "pending_reply",
    "pending_notice",
    "subscription",
    "audit_log",
    "outbox",
)
"""Tables whose size grows with the residents and what they do (ideas and role grants stay small)."""

SENT: list[tuple[str, Any]] = []


class RecordingCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        SENT.append((sql, parameters))
        return super().execute(sql, parameters)


class RecordingConnection(sqlite3.Connection):
    def cursor(self, factory: Any = RecordingCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)


@pytest.fixture
def recorded(sqlite_url: str, content: Content, languages: Languages) -> Iterator[tuple[Engine, str]]:
    store = Store(sqlite_url, factory=RecordingConnection)
    engine = Engine(content, languages, store, admins=[Identity("test", "chefin")])
    yield engine, sqlite_url
    engine.close()
    store.dispose()


def _full_scans(database: str, statements: list[tuple[str, Any]]) -> dict[str, list[str]]:
    scans: dict[str, list[str]] = {}
    with sqlite3.connect(database) as conn:
        for sql, parameters in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                continue
            for *_ids, detail in conn.execute(f"EXPLAIN QUERY PLAN {sql}", parameters):
                words = str(detail).split()
                if words[:1] == ["SCAN"] and words[1] in GROWING:
                    scans.setdefault(" ".join(sql.split())[:160], []).append(str(detail))
    return scans


async def test_no_step_of_a_journey_reads_a_growing_table_in_full(recorded: tuple[Engine, str]) -> None:
    engine, url = recorded
    store = engine.store
    for place, name in (("aalen", "mo"), ("all", "mia")):
        store.run(lambda tx, c=place, n=name: moderation.grant(tx, "test", n, Role.MODERATOR, c, "test", store.now()))
    for name in ("mo", "mia", "chefin"):
        await Chat(engine, name).onboard()
    idea_id = seed_idea(store, "Mehr Bänke am Kocher")
    erika = Chat(engine, "erika")
    SENT.clear()
    await erika.onboard()
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.presses("Ideen anzeigen")
    await erika.presses("Mehr Bänke am Kocher")
    await erika.presses(de("👍 Support this idea"))
    await erika.says(f"/start idea_{idea_id}")
    await erika.presses(de("Withdraw my support"))
    await erika.says("/menu")
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.presses("Idee zu diesem Thema einreichen")
    await erika.presses("Einverstanden")
    await erika.says("Trinkbrunnen am Marktplatz")
    await erika.says("Im Sommer fehlt in der Innenstadt frisches Wasser für alle.")
    await erika.presses(city("aalen"))
    await erika.presses(de("✅ Submit"))
    notified = {o.recipient.user_id for o in erika.last_outbounds if o.recipient != erika.identity}
    assert notified == {"mo", "mia", "chefin"}, "the journey reached the moderators' notification"
    statements = list(SENT)
    assert len(statements) > 50
    assert _full_scans(url.removeprefix("sqlite:///"), statements) == {}
