"""`python -m bot db backup FILE`, and the README's restore procedure, as an operator runs them."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage.store import Store
from tests.chat import Chat
from tests.cli import run_cli
from tests.helpers import seed_idea
from tests.texts import de


def _ideas_and_votes(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        ideas = conn.execute("SELECT id, title, status, support_count FROM idea ORDER BY id").fetchall()
        votes = conn.execute("SELECT resident_id, idea_id FROM vote ORDER BY 1, 2").fetchall()
    return ideas, votes


async def test_a_backup_taken_while_the_store_is_written_restores_every_idea_and_vote(
    tmp_path: Path, sqlite_url: str, content: Content, languages: Languages
) -> None:
    store = Store(sqlite_url)
    engine = Engine(content, languages, store)
    ideas = [seed_idea(store, f"Idee Nummer {n}") for n in range(4)]
    voters = [Chat(engine, name) for name in ("anna", "ben", "cem")]
    for number, voter in enumerate(voters):
        await voter.onboard()
        for idea_id in ideas[: number + 2]:
            await voter.says(f"/start idea_{idea_id}")
            await voter.presses(de("👍 Support this idea"))
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    expected_ideas, expected_votes = _ideas_and_votes(database)
    assert len(expected_votes) == 2 + 3 + 4

    # Another process is in the middle of writing: the backup neither waits for it nor copies it.
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE idea SET title = 'half-written' WHERE id = ?", (ideas[0],))
    target = tmp_path / "backups" / "mitmach-2026-12-01.sqlite3"
    target.parent.mkdir()
    try:
        done = run_cli("db", "backup", str(target), env={"DATABASE_URL": sqlite_url})
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert done.returncode == 0, done.stderr
    assert "4 ideas, 9 votes, 3 residents" in done.stdout
    assert list(target.parent.iterdir()) == [target], "one complete file, nothing half-written beside it"
    engine.close()
    store.dispose()

    # The README's restore: the bot stopped, the backup copied to the database's path, the bot started.
    restored = tmp_path / "restored" / "mitmach.sqlite3"
    restored.parent.mkdir()
    shutil.copy(target, restored)
    assert _ideas_and_votes(restored) == (expected_ideas, expected_votes)
    upgraded = run_cli("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{restored}"})
    assert upgraded.returncode == 0, upgraded.stderr
    store = Store(f"sqlite:///{restored}")
    engine = Engine(content, languages, store)
    try:
        cem = Chat(engine, "cem")
        for idea_id in ideas:
            await cem.says(f"/start idea_{idea_id}")
            assert cem.sees("Idee Nummer"), "every idea is there"
            assert cem.sees_button(de("Withdraw my support")), "and cem's support for it"
    finally:
        engine.close()
        store.dispose()


def test_a_backup_never_overwrites_a_file(tmp_path: Path, sqlite_url: str) -> None:
    target = tmp_path / "earlier-backup.sqlite3"
    target.write_bytes(b"an older backup")
    done = run_cli("db", "backup", str(target), env={"DATABASE_URL": sqlite_url})
    assert done.returncode == 2
    assert "exists already" in done.stderr
    assert target.read_bytes() == b"an older backup"


def test_on_postgresql_the_backup_command_explains_pg_dump_without_the_password() -> None:
    url = "postgresql://mitmach:very-secret-password@db.example.org:5432/mitmach"
    done = run_cli("db", "backup", "/tmp/never-written.sqlite3", env={"DATABASE_URL": url})
    assert done.returncode == 2
    assert "pg_dump --format=custom" in done.stderr
    assert "pg_restore" in done.stderr
    assert "mitmach@db.example.org:5432/mitmach" in done.stderr
    assert "very-secret-password" not in done.stdout + done.stderr
    assert not Path("/tmp/never-written.sqlite3").exists()
