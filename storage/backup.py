"""A consistent copy of a SQLite store, taken while the bot keeps running.

SQLite's online backup API copies the database page by page inside one read transaction:
in WAL mode writers carry on meanwhile, and the copy is the store as it was at one commit.
The copy is written beside the target and renamed into place only once it is complete and
has passed SQLite's integrity check, so a half-written file never carries the target's name.

PostgreSQL has its own tool for this (`pg_dump`); `postgres_advice` explains it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.database import normalise_url


class BackupError(Exception):
    """The copy could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    size: int
    ideas: int
    votes: int
    residents: int


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite DATABASE_URL, or None for any other database."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("DATABASE_URL names an in-memory SQLite database: there is nothing to back up")
    return Path(parsed.database)


def backup_sqlite(source: Path, target: Path) -> BackupSummary:
    """Copy the store at `source` to the new file `target` (which must not exist yet)."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist: check DATABASE_URL")
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name (a backup never overwrites)")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(_connect(source)) as src, closing(_connect(partial)) as dst:
            src.execute("PRAGMA busy_timeout=30000")
            src.backup(dst)  # all pages in one step: one read transaction, one consistent state
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            problems = dst.execute("PRAGMA integrity_check").fetchall()
            if problems != [("ok",)]:
                raise BackupError(f"the copy failed SQLite's integrity check: {problems[:3]}")
            ideas, votes, residents = (
                int(dst.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("idea", "vote", "resident")
            )
        _fsync(partial)
        os.replace(partial, target)
    except sqlite3.Error as err:
        raise BackupError(f"SQLite could not copy {source}: {err}") from err
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(target, target.stat().st_size, ideas, votes, residents)


def postgres_advice(url: str) -> str:
    """How to back up and restore a PostgreSQL store, with the password left out of the URL."""
    parsed = make_url(normalise_url(url))
    shown = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    ).render_as_string(hide_password=False)
    return (
        "DATABASE_URL is PostgreSQL: make backups with PostgreSQL's own tool, pg_dump, which takes a "
        "consistent snapshot while the bot runs (the password from ~/.pgpass or PGPASSWORD):\n"
        f"  pg_dump --format=custom --file=mitmach-$(date +%F).dump '{shown}'\n"
        "and restore one into an empty database (stop the bot first) with:\n"
        "  pg_restore --clean --if-exists --no-owner --dbname='<DATABASE_URL>' mitmach-YYYY-MM-DD.dump\n"
        "See the README, section 'Backups and restore'."
    )


def _connect(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(database, isolation_level=None)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
