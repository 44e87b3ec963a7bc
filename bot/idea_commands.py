"""`python -m bot ideas import | export` and `run --demo`: the Ideenspeicher on the command line."""

from __future__ import annotations

import argparse
import sys

from bot.app import load_checked_content
from bot.config import PROJECT_ROOT, Settings
from bot.ideas import ImportLimits, export_records, import_rows, read_table, to_csv, to_json, validate
from storage.migrate import upgrade
from storage.store import Store

DEMO_FILE = PROJECT_ROOT / "content" / "ideenspeicher-beispiele.csv"


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def ideas_command(args: argparse.Namespace, settings: Settings) -> int:
    content = load_checked_content(settings)
    if settings.db_auto_upgrade:
        upgrade(settings.database_url)
    store = Store(settings.database_url)
    try:
        if args.ideas_command == "export":
            records = export_records(store, content, settings.open_data_license)
            text = to_csv(records) if args.format == "csv" else to_json(records, settings.open_data_license)
            if args.output:
                args.output.write_text(text, encoding="utf-8")
                print(f"{len(records)} ideas written to {args.output}", file=sys.stderr)
            else:
                sys.stdout.write(text)
            return 0
        limits = ImportLimits(settings.import_max_file_mb, settings.import_max_unpacked_mb, settings.import_max_rows)
        rows, errors = validate(read_table(args.file, limits), content)
        if errors:
            print(f"{args.file}: {len(errors)} problem(s); nothing was imported:", file=sys.stderr)
            for error in errors:
                print(f"  {error}", file=sys.stderr)
            return 2
        result = import_rows(store, rows, dry_run=args.dry_run, progress=_progress if len(rows) > 50 else None)
        verb = "would be" if args.dry_run else "were"
        print(
            f"{args.file}: {len(rows)} rows checked; {result.created} ideas {verb} created, "
            f"{result.updated} updated, {result.unchanged} unchanged"
        )
        return 0
    finally:
        store.dispose()


def load_demo(settings: Settings) -> None:
    """Fill an empty store with the example ideas, so a first look shows a living bot."""
    content = load_checked_content(settings)
    upgrade(settings.database_url)
    store = Store(settings.database_url)
    try:
        if store.run(lambda tx: tx.has_ideas()):
            print("--demo: the store already holds ideas; the examples were not loaded", file=sys.stderr)
            return
        rows, errors = validate(read_table(DEMO_FILE), content)
        if errors:
            raise RuntimeError(f"{DEMO_FILE}: {errors[0]}")
        result = import_rows(store, rows, dry_run=False)
        print(f"--demo: {result.created} example ideas loaded", file=sys.stderr)
    finally:
        store.dispose()
