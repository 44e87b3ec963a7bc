"""Erasure leaves nothing that names the person, and the export holds everything erasure removes.

Both are built from one registry (storage/personal_data.py); the first test makes sure no
table or column that can hold an identity is missing from it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Table, Text, select

from bot.adapters.web.transport import WebTransport
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity, Outbound
from storage import outbox, personal_data, platform_state
from storage.models import BroadcastStatus, metadata, resident_table
from storage.store import Store
from tests.chat import Chat
from tests.helpers import start_broadcasts, subscribe_city_news
from tests.test_broadcast_delivery import web_resident
from tests.test_dashboard import link_from, sign_in
from tests.test_journey import _idea_number, submit_idea
from tests.texts import DATA_DELETED, de, de_plural
from tests.web_helpers import web_client

ADMIN = Identity("test", "admin")
ANNA = "@anna:example.org"
BAR_REASON = "Beleidigungen im Ideentext"
REJECT_REASON = "Gibt es schon im Stadtgarten"
NEWS = "Der Stadtgarten bekommt neue Bänke."
NEWS_IN_ENGLISH = "The town garden gets new benches."
POLL_IN_ENGLISH = "Which evening suits the workshop?"

IDENTITY_NAMES = {"user_id", "chat_id", "actor", "object", "decided_by", "granted_by"}


def can_hold_identity(column: Column[Any]) -> bool:
    """A resident id, a platform user or chat id, an actor string, or free text / JSON that may name someone."""
    refers_to_resident = any(
        isinstance(fk, ForeignKey) and fk.column.table.name == "resident" for fk in column.foreign_keys
    )
    named = column.name in IDENTITY_NAMES or column.name.endswith(("_user_id", "_chat_id"))
    return refers_to_resident or named or isinstance(column.type, Text) or column.name == "key"


def test_every_table_that_can_hold_a_person_has_a_rule() -> None:
    rules = {rule.table.name: rule for rule in personal_data.RULES}
    assert can_hold_identity(metadata.tables["audit_log"].c.object), "the walk recognises identity columns"
    assert can_hold_identity(metadata.tables["outbox"].c.resident_id)
    for table in metadata.sorted_tables:
        holding = sorted(c.name for c in table.columns if can_hold_identity(c))
        if table.name in personal_data.NOT_PERSONAL:
            assert not holding, f"{table.name} is registered as not personal but has {holding}"
            continue
        assert table.name in rules, f"table {table.name} can hold a person ({holding}) and has no rule"
        missing = set(holding) - set(rules[table.name].columns)
        assert not missing, f"{table.name}: no rule accounts for {sorted(missing)}"


@pytest.fixture
def any_engine(content: Content, languages: Languages, store_url: str) -> Iterator[Engine]:
    store = Store(store_url)
    engine = Engine(content, languages, store, admins=[ADMIN], web_base_url="http://bot.test")
    yield engine
    engine.close()
    store.dispose()


def snapshot(store: Store) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table, by primary key."""
    tables: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    with store.transaction() as tx:
        for table in metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            rows = tx.mappings(select(table))
            tables[table.name] = {tuple(row[k] for k in keys): row for row in rows}
    return tables


def touched(
    before: dict[tuple[Any, ...], dict[str, Any]], after: dict[tuple[Any, ...], dict[str, Any]], table: Table
) -> set[tuple[Any, ...]]:
    """Rows erasure deleted, or in which it changed a column that can name someone."""
    rule = next(r for r in personal_data.RULES if r.table.name == table.name)
    changed = set()
    for key, row in before.items():
        if key not in after or any(row[c] != after[key][c] for c in rule.columns):
            changed.add(key)
    return changed


def every_value(store: Store) -> str:
    rows = [row for table in snapshot(store).values() for row in table.values()]
    return json.dumps(rows, default=str, ensure_ascii=False)


async def test_erasure_leaves_nothing_and_the_export_held_all_of_it(any_engine: Engine) -> None:
    engine, store = any_engine, any_engine.store
    admin = Chat(engine, "admin")
    anna = Chat(engine, ANNA, platform="matrix")
    bob = Chat(engine, "bob")
    await admin.onboard()
    await bob.onboard()
    await anna.onboard()
    await subscribe_city_news(anna.presses)

    await submit_idea(anna, "Bänke für den Stadtgarten", "Im Stadtgarten fehlen Sitzplätze im Schatten.")
    own_idea = _idea_number(anna)
    await admin.says(f"/reject {own_idea} {REJECT_REASON}")
    for role in ("moderator", "staff", "admin"):
        await admin.says(f"/grant matrix:{ANNA} {role}")
    await submit_idea(bob, "Trinkbrunnen am Bahnhof", "Im Sommer fehlt am Bahnhof ein Trinkbrunnen.")
    bobs_idea = _idea_number(bob)  # anna is told, with buttons (an action token, a reply kept for her)
    await anna.says("/grant test:bob moderator aalen")
    await anna.says(f"/approve {bobs_idea}")
    await anna.says("/menu")
    await anna.presses("Ideen nach Thema")
    await anna.presses("Mobilität")
    await anna.presses("Ideen anzeigen")
    await anna.presses("Trinkbrunnen")
    await anna.presses(de("👍 Support this idea"))
    await anna.says("/broadcast")
    await anna.says(NEWS)
    await anna.presses(de("All subscribers"))
    await anna.presses(de("Add a text in another language"))
    await anna.presses("English")
    await anna.says(NEWS_IN_ENGLISH)
    await anna.presses("Jetzt an")
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    await anna.says("/umfrage")  # a poll she writes, only in the menu, and answers herself
    await anna.says("Welcher Abend passt für die Werkstatt?")
    await anna.says("Dienstag\nDonnerstag")
    await anna.presses("Eine Antwort")
    await anna.presses("Nur im Menü (Aalen und Heidenheim)")
    await anna.says("23:59")
    await anna.presses("Ja, anzeigen")
    await anna.presses(de("Add a text in another language"))  # and in English
    await anna.presses("English")
    for text in (POLL_IN_ENGLISH, "Tuesday", "Thursday"):
        await anna.says(text)
    await anna.presses("Umfrage jetzt öffnen")
    await anna.presses("Aktuelle Umfragen")
    await anna.presses("Welcher Abend")
    await anna.presses("Donnerstag")
    assert anna.sees("Danke!")
    await admin.says(f"/bar matrix:{ANNA} {BAR_REASON}")
    now = store.now()
    platform_state.keep_notice(store, "matrix", ANNA, {"blocks": []}, now)
    platform_state.remember_message(store, "matrix", "$reaction", {"undo": "r.withdraw.2", "sender": ANNA}, now)
    platform_state.set_value(store, f"options:chat-{ANNA}", '["1.0"]')

    async with web_client(engine) as client:
        await anna.says("/dashboard")
        await sign_in(client, link_from(anna))
        assert (await client.get("/dashboard")).status == 200

        await anna.says("/privacy")
        await anna.presses(de("Export my data"))
        assert anna.reply.attachment is not None
        exported = json.loads(anna.reply.attachment.content)
        before = snapshot(store)
        await anna.says("/privacy")
        await anna.presses(de("Delete my data"))
        await anna.presses(de("Yes, delete my data"))
        assert anna.sees(de(DATA_DELETED))
        after = snapshot(store)

        assert (await client.get("/dashboard")).status == 403, "her dashboard session ended with her data"

    # What the export holds that the issue found missing.
    assert [r["text"] for r in exported["outbox"]] == [NEWS], "the broadcasts she received"
    assert [r["text"] for r in exported["broadcast"]] == [NEWS], "the broadcast she wrote"
    assert [r["text"] for r in exported["broadcast_translation"]] == [NEWS_IN_ENGLISH], "and its English text"
    assert any(e["action"] == "bar" and e["reason"] == BAR_REASON for e in exported["audit_log"])
    assert {r["decision_reason"] for r in exported["idea"] if r["id"] == own_idea} == {REJECT_REASON}
    assert {(g["role"], g["user_id"]) for g in exported["role_grant"]} >= {("staff", ANNA), ("moderator", "bob")}
    assert {t["kind"] for t in exported["dashboard_token"]} == {"login", "session"}
    assert [a["chosen"] for a in exported["poll_answer"]] == [["Donnerstag"]], "her answer, in words"
    assert [(t["language"], t["question"]) for t in exported["poll_translation"]] == [("en", POLL_IN_ENGLISH)]

    # Everything erasure removed or changed was in the export.
    rules = {rule.table.name: rule for rule in personal_data.RULES}
    for table in metadata.sorted_tables:
        if table.name in personal_data.NOT_PERSONAL:
            continue
        keys = [c.name for c in table.primary_key.columns]
        in_export = {tuple(row[k] for k in keys) for row in exported[table.name]}
        removed = touched(before[table.name], after[table.name], table)
        if rules[table.name].kept:
            assert not removed, f"{table.name}: erasure leaves these rows as they are"
            continue
        assert removed, f"the scenario gives erasure something to do in {table.name}"
        assert removed <= in_export, f"{table.name}: erased but not exported: {removed - in_export}"

    # Nothing names her any more; the audit log and the decisions keep that something happened.
    remaining = every_value(store)
    for trace in (ANNA, "anna", BAR_REASON):
        assert trace not in remaining, f"{trace!r} is still stored"
    log = store.run(lambda tx: tx.mappings(select(metadata.tables["audit_log"])))
    assert any(e["action"] == "bar" and e["object"] == personal_data.ERASED and e["reason"] is None for e in log)
    assert any(e["action"] == "grant" and e["object"] == f"{personal_data.ERASED}:staff:all" for e in log)
    assert any(e["actor"] == personal_data.ERASED and e["action"] == "approve" for e in log)
    bobs = store.run(lambda tx: tx.get_idea(bobs_idea))
    assert bobs is not None and bobs.support_count == 0 and bobs.status == "approved"


class HeldTransport(WebTransport):
    """The web chat's broadcasts, held at the first send until the test lets them go."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.sending = asyncio.Event()
        self.go_on = asyncio.Event()

    async def post(self, outbound: Outbound) -> str | None:
        self.sending.set()
        await self.go_on.wait()
        return await super().post(outbound)


async def test_a_broadcast_claimed_before_the_erasure_leaves_no_notice(any_engine: Engine) -> None:
    engine, store = any_engine, any_engine.store
    staff = Chat(engine, "stefanie")
    await staff.onboard()
    await Chat(engine, "admin").says("/grant test:stefanie staff")
    async with web_client(engine) as client:
        transport = HeldTransport(client.server.app, 50.0)
        service = await start_broadcasts(engine, [transport])
        person = await web_resident(client, subscribe=True)
        try:
            await staff.says("/broadcast")
            await staff.says(NEWS)
            await staff.presses(de("All subscribers"))
            await staff.presses(de_plural("Send now to {count} person", "Send now to {count} people", 1))
            await asyncio.wait_for(transport.sending.wait(), 20)  # claimed, on its way

            await person.says("/privacy")
            await person.presses(de("Delete my data"))
            await person.presses(de("Yes, delete my data"))
            await person.close_page()
            transport.go_on.set()
            deadline = time.monotonic() + 20
            while store.run(lambda tx: outbox.get(tx, 1)).status != BroadcastStatus.DONE.value:  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the broadcast did not finish"
                await asyncio.sleep(0.05)
        finally:
            await service.stop()
            await person.close()
    assert store.run(lambda tx: tx.rows(select(resident_table.c.id).where(resident_table.c.platform == "web"))) == []
    assert not snapshot(store)["pending_notice"], "no notice kept for someone who no longer exists"
