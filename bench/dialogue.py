"""Persisted dialogue steps per second on SQLite, beside a plain sqlite3 loop.

The workload is a realistic mix for many residents: open the menu, browse a
Handlungsfeld, open an idea, support or withdraw, and now and then submit an idea.
Each step goes through the engine's public entry (`Engine.handle`), which loads the
conversation, fires the trigger, renders, and saves in one transaction (the reply is kept
with it); then, as an adapter does once the reply is shown, the kept reply is settled in a
second, small transaction.

The baseline replays, with the plain `sqlite3` module, exactly the SQL statements and
parameters the engine sent (recorded in a separate run), transaction by transaction, on
a copy of the same database. The ratio engine ÷ plain therefore measures what the
engine adds on top of the database work itself: the ORM layer, the state machine,
rendering, translations and the thread hop.

Usage:  python bench/dialogue.py [--residents 200] [--cycles 15] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from dialogs.content import load_content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity, Inbound, InboundKind, Reply
from storage import replies
from storage.migrate import upgrade
from storage.models import IdeaStatus
from storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
CONTENT = load_content(ROOT / "content" / "aalen-heidenheim.yaml")
LANGUAGES = Languages(CONTENT.languages)
IDEAS_PER_FIELD = 20
Step = tuple[InboundKind, str]


def seed(path: Path) -> None:
    url = f"sqlite:///{path}"
    upgrade(url)
    store = Store(url)
    now = store.now()
    with store.transaction() as tx:
        for field in CONTENT.handlungsfelder:
            for n in range(IDEAS_PER_FIELD):
                tx.create_idea(
                    title=f"{field.title['de']}: Idee {n}",
                    description="Eine Idee aus dem Ideenspeicher, für den Benchmark erzeugt.",
                    field_id=field.id,
                    city="aalen" if n % 3 else "all",
                    author_id=None,
                    now=now,
                    status=IdeaStatus.APPROVED,
                )
    store.dispose()


class Driver:
    """Plays residents through the workload; the same choices in every run."""

    def __init__(self, engine: Engine, residents: int) -> None:
        self.engine = engine
        self.names = [f"r{i:04d}" for i in range(residents)]
        self.last: dict[str, Reply] = {}
        self.ids = itertools.count()
        self.steps = 0

    async def send(self, name: str, kind: InboundKind, text: str) -> None:
        if kind is InboundKind.BUTTON:
            optional = text.startswith("?")  # a screen that comes only sometimes (consent once, similar ideas)
            text = text.removeprefix("?")
            prefixes = ("👍", "Unterstützung zurückziehen") if text == "toggle" else (text,)
            found = [b.payload for b in self.last[name].all_buttons() if b.label.startswith(prefixes)]
            if not found and optional:
                return
            text = found[0]
        inbound = Inbound(Identity("bench", name), name, f"e{next(self.ids)}", kind, text)
        out = await self.engine.handle(inbound)
        self.last[name] = out[0].reply
        receipt = out[0].receipt
        if receipt is not None:  # shown: the adapter's part of a step, in a transaction of its own
            self.engine.store.run(lambda tx: replies.settle(tx, receipt.id))
        if RECORDING is not None:
            RECORDING.append(("step",))
        self.steps += 1

    async def onboard(self) -> None:
        for name in self.names:
            await self.send(name, InboundKind.COMMAND, "/start")
            await self.send(name, InboundKind.BUTTON, "Deutsch")
            await self.send(name, InboundKind.BUTTON, "Aalen")

    def cycle(self, number: int, resident: int) -> list[Step]:
        field = CONTENT.handlungsfelder[(number + resident) % len(CONTENT.handlungsfelder)]
        steps: list[Step] = [
            (InboundKind.COMMAND, "/menu"),
            (InboundKind.BUTTON, "Ideen nach Thema"),
            (InboundKind.BUTTON, field.title["de"]),
            (InboundKind.BUTTON, "Ideen anzeigen"),
            (InboundKind.BUTTON, field.title["de"]),
            (InboundKind.BUTTON, "toggle"),  # support, or withdraw where already supported
            (InboundKind.BUTTON, "?Zurück"),  # after a first support, the bot offers news instead
        ]
        if (number + resident) % 5 == 0:
            steps += [
                (InboundKind.COMMAND, "/menu"),
                (InboundKind.BUTTON, "Idee einreichen"),
                (InboundKind.BUTTON, "?Einverstanden"),
                (InboundKind.TEXT, f"Neue Idee {number}-{resident}"),
                (InboundKind.TEXT, "Eine Beschreibung, die lang genug ist, um zu passen."),
                (InboundKind.BUTTON, "?Meine Idee ist anders"),
                (InboundKind.BUTTON, "?Mobilität"),
                (InboundKind.BUTTON, "?Aalen"),
                (InboundKind.BUTTON, "?✅"),
            ]
        return steps

    async def workload(self, cycles: int) -> None:
        for number in range(cycles):
            for resident, name in enumerate(self.names):
                for kind, text in self.cycle(number, resident):
                    await self.send(name, kind, text)


RECORDING: list[Any] | None = None
"""While set, every statement and commit the engine sends to SQLite is appended here."""


class RecordingCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        if RECORDING is not None and sql != "BEGIN IMMEDIATE":
            RECORDING.append(("sql", sql, parameters))
        return super().execute(sql, parameters)


class RecordingConnection(sqlite3.Connection):
    def cursor(self, factory: Any = RecordingCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def commit(self) -> None:
        if RECORDING is not None:
            RECORDING.append(("commit",))
        super().commit()


def run_engine(path: Path, residents: int, cycles: int, record: list[Any] | None) -> tuple[int, float]:
    global RECORDING
    store = (
        Store(f"sqlite:///{path}", factory=RecordingConnection) if record is not None else Store(f"sqlite:///{path}")
    )
    engine = Engine(CONTENT, LANGUAGES, store)
    driver = Driver(engine, residents)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(driver.onboard())
    RECORDING = record
    driver.steps = 0
    started = time.perf_counter()
    loop.run_until_complete(driver.workload(cycles))
    elapsed = time.perf_counter() - started
    RECORDING = None
    loop.close()
    engine.close()
    store.dispose()
    return driver.steps, elapsed


def run_plain(path: Path, log: list[Any]) -> tuple[int, float]:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    steps = 0
    started = time.perf_counter()
    in_tx = False
    for entry in log:
        if entry[0] == "step":
            steps += 1
            continue
        if entry[0] == "commit":
            conn.execute("COMMIT")
            in_tx = False
            continue
        if not in_tx:
            conn.execute("BEGIN IMMEDIATE")
            in_tx = True
        conn.execute(entry[1], entry[2]).fetchall()
    if in_tx:
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return steps, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mitmach-bench-"))
    template = work / "template.sqlite3"
    seed(template)

    def fresh(name: str) -> Path:
        path = work / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, path)
        return path

    log: list[Any] = []
    run_engine(fresh("record"), args.residents, args.cycles, log)
    # The plain loop must start from the database state the recording started from.
    statements = [e for e in log if e[0] == "sql"]
    engine_rates, plain_rates = [], []
    for _ in range(args.repeat):
        steps, elapsed = run_engine(fresh("engine"), args.residents, args.cycles, None)
        engine_rates.append(steps / elapsed)
        snapshot = fresh("plain")
        _onboard_plain(snapshot, args.residents)
        transactions, plain_elapsed = run_plain(snapshot, log)
        plain_rates.append(transactions / plain_elapsed)
    shutil.rmtree(work, ignore_errors=True)

    engine_rate, plain_rate = max(engine_rates), max(plain_rates)
    print(f"workload: {args.residents} residents x {args.cycles} cycles = {steps} dialogue steps")
    print(f"statements per step (mean): {len(statements) / transactions:.1f}")
    print(f"engine (Engine.handle, SQLite WAL):  {engine_rate:8.0f} steps/s  (best of {args.repeat})")
    print(f"plain sqlite3, same SQL:             {plain_rate:8.0f} steps/s  (best of {args.repeat})")
    print(f"ratio engine / plain:                {engine_rate / plain_rate:8.2f}  (target >= 0.30)")


def _onboard_plain(path: Path, residents: int) -> None:
    """Bring the snapshot to the state the recording began in: residents onboarded."""
    store = Store(f"sqlite:///{path}")
    engine = Engine(CONTENT, LANGUAGES, store)
    driver = Driver(engine, residents)
    asyncio.run(driver.onboard())
    engine.close()
    store.dispose()


if __name__ == "__main__":
    main()
