"""``python -m bot polls export``: poll results as open data, counts only, never who answered.

One row per poll, option, city and platform, and one per poll and option over all of them
(city and platform ``all``). A count below `SMALLEST` is written as „< 5": a small cell could
point to a person. CSV cells go through bot/spreadsheet.py like every CSV the bot writes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from bot.config import Settings
from bot.spreadsheet import safe_record
from storage import polls
from storage.migrate import upgrade
from storage.store import Store, Tx

SMALLEST = 5
SMALL = "< 5"
ALL = "all"
COLUMNS = ["poll", "question", "status", "closes_at", "option", "city", "platform", "count"]


def _count(value: int) -> int | str:
    return value if value >= SMALLEST else SMALL


def export_rows(tx: Tx) -> list[dict[str, Any]]:
    """Every poll's counts per option, city and platform, and per option overall."""
    rows: list[dict[str, Any]] = []
    for poll in sorted(polls.recent(tx, limit=100_000), key=lambda p: p.id):
        head = {
            "poll": poll.id,
            "question": poll.question,
            "status": poll.status,
            "closes_at": poll.closes_at.isoformat(),
        }
        overall = polls.totals(tx, poll)
        for option, city, platform, count in polls.cells(tx, poll.id):
            if 0 <= option < len(poll.options):
                cell = {"option": poll.options[option], "city": city, "platform": platform, "count": _count(count)}
                rows.append(head | cell)
        for index, label in enumerate(poll.options):
            rows.append(head | {"option": label, "city": ALL, "platform": ALL, "count": _count(overall.counts[index])})
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_record(row) for row in rows)
    return buffer.getvalue()


def to_json(rows: list[dict[str, Any]], license_text: str) -> str:
    return json.dumps({"license": license_text, "polls": rows}, ensure_ascii=False, indent=2) + "\n"


def polls_command(args: argparse.Namespace, settings: Settings) -> int:
    if settings.db_auto_upgrade:
        upgrade(settings.database_url)
    store = Store(settings.database_url)
    try:
        rows = store.read(export_rows)
    finally:
        store.dispose()
    text = to_csv(rows) if args.format == "csv" else to_json(rows, settings.open_data_license)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"{len(rows)} rows written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
