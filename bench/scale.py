"""Does a dialogue step cost the same in a city-sized store as in a small one?

The workload of ``bench/dialogue.py`` (menu, a Handlungsfeld, its ideas, one idea,
support or withdraw, back; every fifth cycle a new idea, which notifies the moderators)
runs on two stores that this script seeds itself with bulk inserts:

- small: 1,000 residents, 10 votes each, 10,000 processed event ids, 50 subscriptions;
- city:  100,000 residents (``--residents``), 10 votes each, 1,000,000 processed event ids,
  5,000 subscriptions.

Both have the same 2,000 approved ideas and the same few dozen role grants, so every
submission notifies the same moderators. The ratio small rate ÷ city rate is what a step
costs more in a city; the target is at most 1.2.

With ``--statements`` each SQL statement is timed on both stores as well, and the ones
whose cost grew most are listed: that is how a statement that scans residents or votes
shows up.

Usage:
    python bench/scale.py                                  # SQLite, 100,000 residents
    python bench/scale.py --database postgresql://postgres@127.0.0.1:5432/test
    python bench/scale.py --residents 1000000 --statements
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dialogue import CONTENT, LANGUAGES, Driver

from dialogs.engine import Engine
from storage.migrate import upgrade
from storage.store import Store

IDEAS = 2_000
VOTES_EACH = 10
SMALL = 1_000
CITIES = ("aalen", "heidenheim")
STATEMENT_TIMES: dict[str, list[float]] | None = None
"""While set, the time of every statement the engine runs, by its SQL text."""


# -- seeding -------------------------------------------------------------------------------


def grants() -> list[tuple[str, str, str, str]]:
    """A few dozen role grants: (user id, role, city, granted by), on telegram residents 0..35."""
    rows = []
    for n in range(36):
        role = ("moderator", "moderator", "staff")[n % 3]
        city = ("aalen", "heidenheim", "all")[n // 12]
        rows.append((f"{n}", role, city, "seed"))
    return rows


def seed_rows(residents: int, events: int, subscriptions: int) -> dict[str, Iterator[tuple[Any, ...]]]:
    """The rows of every table, generated; ids are given so that votes can name them."""
    now = datetime.now(UTC) - timedelta(days=1)
    fields = [f.id for f in CONTENT.handlungsfelder]
    titles = {f.id: f.title["de"] for f in CONTENT.handlungsfelder}

    def ideas() -> Iterator[tuple[Any, ...]]:
        per_idea = residents * VOTES_EACH // IDEAS
        for n in range(IDEAS):
            field = fields[n % len(fields)]
            city = "all" if n % 3 == 0 else CITIES[n % 2]
            yield (
                n + 1,
                f"{titles[field]}: Idee {n}",
                "Eine Idee aus dem Ideenspeicher, für den Benchmark erzeugt.",
                field,
                city,
                "approved",
                per_idea,
                now,
                now,
            )

    def people() -> Iterator[tuple[Any, ...]]:
        for n in range(residents):
            yield (n + 1, "telegram", str(n), str(n), "de", CITIES[n % 2], now)

    def conversations() -> Iterator[tuple[Any, ...]]:
        for n in range(residents):
            yield (n + 1, "menu", "{}", 1, now)

    def votes() -> Iterator[tuple[Any, ...]]:
        step = IDEAS // VOTES_EACH
        for n in range(residents):
            for k in range(VOTES_EACH):
                yield (n + 1, (n + k * step) % IDEAS + 1, now)

    def processed() -> Iterator[tuple[Any, ...]]:
        for n in range(events):
            yield ("telegram", str(n), now - timedelta(seconds=n % 600_000))

    def subscribed() -> Iterator[tuple[Any, ...]]:
        topics = ["city", *(f"field:{f}" for f in fields)]
        for n in range(subscriptions):
            yield (n * (residents // subscriptions) + 1, topics[n % len(topics)], now)

    def role_grants() -> Iterator[tuple[Any, ...]]:
        for n, (user_id, role, city, by) in enumerate(grants()):
            yield (n + 1, "telegram", user_id, role, city, by, now)

    return {
        "resident (id, platform, user_id, chat_id, language, city, created_at)": people(),
        "conversation (resident_id, state, context, version, updated_at)": conversations(),
        "idea (id, title, description, field_id, city, status, support_count, created_at, updated_at)": ideas(),
        "vote (resident_id, idea_id, created_at)": votes(),
        "processed_event (platform, event_id, processed_at)": processed(),
        "subscription (resident_id, topic, created_at)": subscribed(),
        "role_grant (id, platform, user_id, role, city, granted_by, granted_at)": role_grants(),
    }


def seed_sqlite(path: Path, residents: int, events: int, subscriptions: int) -> None:
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    for target, rows in seed_rows(residents, events, subscriptions).items():
        marks = ", ".join(["?"] * (target.count(",") + 1))
        conn.executemany(f"INSERT INTO {target} VALUES ({marks})", (tuple(map(_sqlite_value, r)) for r in rows))
    conn.execute("COMMIT")
    conn.close()


def _sqlite_value(value: Any) -> Any:
    """Datetimes as SQLAlchemy writes them to SQLite (UTC, no offset)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def seed_postgres(url: str, residents: int, events: int, subscriptions: int) -> None:
    import psycopg

    upgrade(url)
    with psycopg.connect(_plain_url(url)) as conn:
        for target, rows in seed_rows(residents, events, subscriptions).items():
            with conn.cursor().copy(f"COPY {target} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table, column in (("resident", "id"), ("idea", "id"), ("role_grant", "id")):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT max(id) FROM {table}))")
        conn.commit()
    autoanalyze(url)


def autoanalyze(url: str) -> None:
    """Do now what autovacuum does within a minute: analyse every table in which more than
    50 rows (autovacuum_analyze_threshold) plus a tenth changed since it was last analysed,
    so never the few dozen role grants. Done after seeding and between runs, because a test
    server may run with autovacuum off (this one does); a production server should not."""
    import psycopg

    with psycopg.connect(_plain_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
            "AND n_mod_since_analyze > 50 + 0.1 * n_live_tup"
        ).fetchall()
        for (table,) in rows:
            conn.execute(f'ANALYZE "{table}"')


def _plain_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (psycopg reads ?options=-csearch_path itself)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


# -- timing statements ---------------------------------------------------------------------


def _note(sql: str, started: float) -> None:
    if STATEMENT_TIMES is not None:
        STATEMENT_TIMES[sql].append(time.perf_counter() - started)


class TimedSqliteCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        started = time.perf_counter()
        result = super().execute(sql, parameters)
        _note(sql, started)
        return result


class TimedSqliteConnection(sqlite3.Connection):
    def cursor(self, factory: Any = TimedSqliteCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)


def timed_postgres_cursor() -> Any:
    import psycopg

    class TimedCursor(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = super().execute(query, params, **kwargs)
            _note(str(query), started)
            return result

    return TimedCursor


# -- running ---------------------------------------------------------------------------------


def run(url: str, prefix: str, residents: int, cycles: int, timed: bool) -> tuple[int, float]:
    """Steps, and steps per second, of the dialogue workload for `residents` new bench residents."""
    global STATEMENT_TIMES
    if timed:
        extra = (
            {"factory": TimedSqliteConnection}
            if url.startswith("sqlite")
            else {"cursor_factory": timed_postgres_cursor()}
        )
        store = Store(url, **extra)
    else:
        store = Store(url)
    engine = Engine(CONTENT, LANGUAGES, store)
    driver = Driver(engine, residents)
    driver.names = [f"{prefix}{n:04d}" for n in range(residents)]
    driver.ids = (f"{prefix}{n}" for n in itertools.count())  # event ids unique across runs
    loop = asyncio.new_event_loop()
    loop.run_until_complete(driver.onboard())
    driver.steps = 0
    if timed:
        STATEMENT_TIMES = defaultdict(list)
    started = time.perf_counter()
    loop.run_until_complete(driver.workload(cycles))
    elapsed = time.perf_counter() - started
    loop.close()
    engine.close()
    store.dispose()
    return driver.steps, driver.steps / elapsed


def statement_report(small: dict[str, list[float]], big: dict[str, list[float]]) -> None:
    rows = []
    for sql, times in big.items():
        before = small.get(sql)
        if not before:
            continue
        small_us, big_us = statistics.median(before) * 1e6, statistics.median(times) * 1e6
        rows.append((big_us / small_us, small_us, big_us, len(times), " ".join(sql.split())))
    rows.sort(reverse=True)
    print("\nstatements, median µs (small -> city), largest growth first:")
    for growth, small_us, big_us, count, sql in rows[:12]:
        print(f"  {growth:5.2f}x  {small_us:8.1f} -> {big_us:8.1f}  n={count:<6} {sql[:150]}")
    print("\nthe most expensive statements in the city store, median µs (small -> city):")
    for growth, small_us, big_us, count, sql in sorted(rows, key=lambda row: -row[2])[:6]:
        print(f"  {growth:5.2f}x  {small_us:8.1f} -> {big_us:8.1f}  n={count:<6} {sql[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database", default="sqlite", help="sqlite, or a PostgreSQL URL (a schema of its own is used)"
    )
    parser.add_argument("--residents", type=int, default=100_000, help="residents of the city-sized store")
    parser.add_argument("--players", type=int, default=200, help="bench residents playing the workload")
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--statements", action="store_true", help="also time every statement on both stores")
    args = parser.parse_args()

    sizes = {"small": SMALL, "city": args.residents}
    urls: dict[str, str] = {}
    cleanup: list[Any] = []
    work = Path(tempfile.mkdtemp(prefix="mitmach-scale-"))
    try:
        for name, residents in sizes.items():
            events, subscriptions = residents * 10, residents // 20
            started = time.perf_counter()
            if args.database == "sqlite":
                path = work / f"{name}.sqlite3"
                seed_sqlite(path, residents, events, subscriptions)
                urls[name] = f"sqlite:///{path}"
            else:
                urls[name] = _postgres_schema(args.database, cleanup)
                seed_postgres(urls[name], residents, events, subscriptions)
            print(
                f"seeded {name}: {residents:,} residents, {residents * VOTES_EACH:,} votes, {events:,} event ids, "
                f"{subscriptions:,} subscriptions, {IDEAS:,} ideas, {len(grants())} role grants "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        rates: dict[str, list[float]] = {name: [] for name in sizes}
        steps = 0
        times: dict[str, dict[str, list[float]]] = {}
        for attempt in range(args.repeat):
            for name in sizes:  # alternate, so that a noisy moment hits both
                steps, rate = run(urls[name], f"b{attempt}-", args.players, args.cycles, False)
                rates[name].append(rate)
                if args.database != "sqlite":
                    autoanalyze(urls[name])
        if args.statements:
            global STATEMENT_TIMES
            for name in sizes:
                run(urls[name], "t-", args.players, args.cycles, True)
                times[name], STATEMENT_TIMES = STATEMENT_TIMES or {}, None
    finally:
        for drop in cleanup:
            drop()
        for path in work.iterdir():
            path.unlink()
        work.rmdir()

    small, city = max(rates["small"]), max(rates["city"])
    print(f"workload: {args.players} residents x {args.cycles} cycles = {steps:,} dialogue steps per run")
    print(f"database: {'SQLite (WAL)' if args.database == 'sqlite' else 'PostgreSQL'}")
    print(f"small store ({SMALL:,} residents):        {small:8.0f} steps/s  (best of {args.repeat})")
    print(f"city store ({args.residents:,} residents):    {city:8.0f} steps/s  (best of {args.repeat})")
    print(f"ratio city cost / small cost:              {small / city:8.2f}  (target <= 1.2)")
    if times:
        statement_report(times["small"], times["city"])


def _postgres_schema(url: str, cleanup: list[Any]) -> str:
    import psycopg

    schema = f"scale_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    cleanup.append(drop)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


if __name__ == "__main__":
    main()
