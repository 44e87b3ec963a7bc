"""The Ideenspeicher: import the cities' existing ideas, export all published ideas as open data.

Import is all or nothing: every row is checked first, and one mistake anywhere means
nothing is written; each mistake is reported with its line, its column and what was
expected. Re-importing a file updates the ideas it imported before (by external id).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update

from bot.spreadsheet import safe_record
from dialogs.content import Content
from storage.models import ALL_CITIES, IdeaStatus, Progress, idea_table
from storage.store import Store, Tx

I = idea_table.c  # noqa: E741 - reads like the table it stands for

COLUMNS = ("external_id", "title", "description", "handlungsfeld", "city", "status", "source")
REQUIRED = ("external_id", "title", "handlungsfeld", "city")
TITLE_MAX, DESCRIPTION_MAX, SOURCE_MAX, EXTERNAL_ID_MAX = 200, 4000, 120, 120
ALL_WORDS = {"both", "beide", "all", "alle", ALL_CITIES}
PROGRESS_WORDS = {
    "": None,
    "offen": None,
    "open": None,
    "geprüft": Progress.REVIEWED,
    "reviewed": Progress.REVIEWED,
    "in umsetzung": Progress.IN_PROGRESS,
    "in_progress": Progress.IN_PROGRESS,
    "umgesetzt": Progress.DONE,
    "done": Progress.DONE,
    "nicht umsetzbar": Progress.NOT_FEASIBLE,
    "not_feasible": Progress.NOT_FEASIBLE,
}
DEFAULT_LICENSE = "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)"
EXPORT_COLUMNS = (
    "external_id",
    "title",
    "description",
    "handlungsfeld",
    "handlungsfeld_title",
    "city",
    "status",
    "source",
    "support_count",
    "created_at",
    "updated_at",
    "license",
)
"""Open data: what an idea is, never who wrote or decided it."""


class ImportFileError(Exception):
    """The file cannot be read at all (missing, wrong format, no header)."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column '{self.column}': {self.message}"


@dataclass(frozen=True)
class ImportRow:
    line: int
    external_id: str
    title: str
    description: str
    field_id: str
    city: str
    progress: Progress | None
    source: str | None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


# -- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLimits:
    """How much an import file may hold; a file over a limit is refused before it is read.

    Each limit names the setting that raises it, so the message can tell an operator what to change.
    """

    max_file_mb: int = 20
    max_unpacked_mb: int = 200
    max_rows: int = 50_000


MB = 1024 * 1024
XLSX_MAX_MEMBERS = 10_000
"""A workbook holds a few dozen parts; thousands are a crafted file."""


def read_table(path: Path, limits: ImportLimits | None = None) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, column -> text), from CSV (comma or semicolon) or XLSX.

    The file is streamed row by row, so only the rows themselves (at most `max_rows`) are held.
    """
    limits = limits or ImportLimits()
    if not path.is_file():
        raise ImportFileError(f"{path}: file not found")
    size = path.stat().st_size
    if size > limits.max_file_mb * MB:
        raise ImportFileError(
            f"{path}: the file has {_megabytes(size)} MB; at most {limits.max_file_mb} MB are imported "
            f"(setting IMPORT_MAX_FILE_MB)"
        )
    rows = _xlsx_rows(path, limits) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    table: list[tuple[int, dict[str, str]]] = []
    for line, row in rows:
        if len(table) == limits.max_rows:
            raise ImportFileError(
                f"{path}: more than {limits.max_rows} rows (line {line}); import at most {limits.max_rows} rows "
                f"at a time (setting IMPORT_MAX_ROWS)"
            )
        table.append((line, row))
    return table


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}"


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        line = 0
        try:
            first = file.readline()
            try:
                dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            file.seek(0)
            reader = csv.DictReader(file, dialect=dialect)
            line = 1
            _check_header(path, reader.fieldnames or [])
            for row in reader:
                line += 1
                yield line, _clean(row)
        except UnicodeDecodeError as err:
            raise ImportFileError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from err
        except csv.Error as err:
            raise ImportFileError(f"{path}: line {line + 1}: not readable as CSV ({err})") from err


def _check_unpacked(path: Path, limits: ImportLimits) -> None:
    """An XLSX is a zip archive: add up what its parts unpack to before anything is unpacked.

    The sizes come from the archive's directory; the zip reader never unpacks more than a
    part's recorded size, so the sum bounds what reading the workbook can take.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as err:
        raise ImportFileError(f"{path}: not a readable XLSX workbook ({type(err).__name__})") from err
    if len(members) > XLSX_MAX_MEMBERS:
        raise ImportFileError(f"{path}: not a readable XLSX workbook ({len(members)} parts)")
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_mb * MB:
        raise ImportFileError(
            f"{path}: the workbook unpacks to {_megabytes(unpacked)} MB; at most {limits.max_unpacked_mb} MB "
            f"are imported (setting IMPORT_MAX_UNPACKED_MB)"
        )


def _xlsx_rows(path: Path, limits: ImportLimits) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    _check_unpacked(path, limits)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for files that are not workbooks
        raise ImportFileError(f"{path}: not a readable XLSX workbook ({type(err).__name__})") from err
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise ImportFileError(f"{path}: the first sheet is empty")
        header = [str(cell or "").strip() for cell in first]
        _check_header(path, header)
        for index, row in enumerate(rows):
            if any(c not in (None, "") for c in row):
                cells = ("" if c is None else str(c) for c in row)
                yield index + 2, _clean(dict(zip(header, cells, strict=False)))
    except ImportFileError:
        raise
    except Exception as err:  # a broken part (bad XML, a bad checksum) shows only while it is read
        raise ImportFileError(f"{path}: not a readable XLSX workbook ({type(err).__name__})") from err
    finally:
        book.close()


def _check_header(path: Path, header: Iterable[str]) -> None:
    missing = [column for column in REQUIRED if column not in {h.strip().lower() for h in header}]
    if missing:
        raise ImportFileError(
            f"{path}: line 1 (header): missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"
        )


def _clean(row: dict[Any, Any]) -> dict[str, str]:
    return {str(k).strip().lower(): str(v or "").strip() for k, v in row.items() if k is not None}


# -- checking ------------------------------------------------------------------------------


def validate(rows: list[tuple[int, dict[str, str]]], content: Content) -> tuple[list[ImportRow], list[RowError]]:
    checked: list[ImportRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        row_errors = len(errors)

        def problem(column: str, message: str, line: int = line) -> None:
            errors.append(RowError(line, column, message))

        external_id = row.get("external_id", "")
        if not external_id:
            problem("external_id", "expected an id that stays the same between imports")
        elif len(external_id) > EXTERNAL_ID_MAX:
            problem("external_id", f"expected at most {EXTERNAL_ID_MAX} characters")
        elif external_id in seen:
            problem("external_id", f"expected a unique id (line {seen[external_id]} has it too)")
        seen.setdefault(external_id, line)
        title = row.get("title", "")
        if not 3 <= len(title) <= TITLE_MAX:
            problem("title", f"expected 3 to {TITLE_MAX} characters (got {len(title)})")
        description = row.get("description", "")
        if len(description) > DESCRIPTION_MAX:
            problem("description", f"expected at most {DESCRIPTION_MAX} characters (got {len(description)})")
        field_id = _field(row.get("handlungsfeld", ""), content)
        if field_id is None:
            expected = ", ".join(f.id for f in content.handlungsfelder)
            problem(
                "handlungsfeld",
                f"expected a number 1–{len(content.handlungsfelder)}, a title or one of "
                f"{expected} (got {row.get('handlungsfeld', '')!r})",
            )
        city = _city(row.get("city", ""), content)
        if city is None:
            names = ", ".join(c.name[content.languages[0]] for c in content.cities)
            problem("city", f"expected {names} or both (got {row.get('city', '')!r})")
        status = row.get("status", "").lower()
        if status not in PROGRESS_WORDS:
            problem(
                "status",
                f"expected empty, offen, geprüft, in Umsetzung, umgesetzt or nicht umsetzbar "
                f"(got {row.get('status', '')!r})",
            )
        source = row.get("source", "") or None
        if source is not None and len(source) > SOURCE_MAX:
            problem("source", f"expected at most {SOURCE_MAX} characters")
        if len(errors) == row_errors and field_id is not None and city is not None:
            checked.append(
                ImportRow(line, external_id, title, description, field_id, city, PROGRESS_WORDS[status], source)
            )
    return checked, errors


def _field(value: str, content: Content) -> str | None:
    wanted = value.strip().casefold()
    for number, topic in enumerate(content.handlungsfelder, start=1):
        if wanted in {topic.id, str(number), *(title.casefold() for title in topic.title.values())}:
            return topic.id
    return None


def _city(value: str, content: Content) -> str | None:
    wanted = value.strip().casefold()
    if wanted in ALL_WORDS:
        return ALL_CITIES
    for city in content.cities:
        if wanted in {city.id, *(name.casefold() for name in city.name.values())}:
            return city.id
    return None


# -- writing ------------------------------------------------------------------------------

_BY_EXTERNAL_ID = select(I.id, I.title, I.description, I.field_id, I.city, I.progress, I.source).where(
    I.external_id == bindparam("external_id")
)
_UPDATE_IMPORTED = (
    update(idea_table)
    .where(I.id == bindparam("idea_id"))
    .values(
        title=bindparam("title"),
        description=bindparam("description"),
        field_id=bindparam("field_id"),
        city=bindparam("city"),
        progress=bindparam("progress"),
        source=bindparam("source"),
        updated_at=bindparam("now"),
    )
)
_SET_IMPORT_DETAILS = (
    update(idea_table)
    .where(I.id == bindparam("idea_id"))
    .values(external_id=bindparam("external_id"), progress=bindparam("progress"))
)


def import_rows(
    store: Store, rows: list[ImportRow], *, dry_run: bool, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Create or update every row in one transaction; with `dry_run`, count and write nothing."""

    def work(tx: Tx) -> ImportResult:
        created = updated = unchanged = 0
        now = store.now()
        for done, row in enumerate(rows, start=1):
            found = tx.first(_BY_EXTERNAL_ID, {"external_id": row.external_id})
            wanted = (
                row.title,
                row.description,
                row.field_id,
                row.city,
                row.progress.value if row.progress else None,
                row.source,
            )
            if found is None:
                created += 1
                if not dry_run:
                    _create(tx, row, now)
            elif tuple(found[1:]) == wanted:
                unchanged += 1
            else:
                updated += 1
                if not dry_run:
                    _update(tx, found[0], row, now)
            if progress is not None:
                progress(done, len(rows))
        if dry_run:
            raise _DryRun(ImportResult(created, updated, unchanged))
        return ImportResult(created, updated, unchanged)

    try:
        return store.run(work)
    except _DryRun as finished:
        return finished.result


class _DryRun(Exception):
    """Leaves the transaction by rolling back, carrying what would have happened."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result


def _create(tx: Tx, row: ImportRow, now: datetime) -> None:
    idea_id = tx.create_idea(
        title=row.title,
        description=row.description,
        field_id=row.field_id,
        city=row.city,
        author_id=None,
        now=now,
        status=IdeaStatus.APPROVED,
        source=row.source,
    )
    params = {
        "idea_id": idea_id,
        "external_id": row.external_id,
        "progress": row.progress.value if row.progress else None,
    }
    tx.count(_SET_IMPORT_DETAILS, params)


def _update(tx: Tx, idea_id: int, row: ImportRow, now: datetime) -> None:
    tx.count(
        _UPDATE_IMPORTED,
        {
            "idea_id": idea_id,
            "title": row.title,
            "description": row.description,
            "field_id": row.field_id,
            "city": row.city,
            "progress": row.progress.value if row.progress else None,
            "source": row.source,
            "now": now,
        },
    )


# -- open data ------------------------------------------------------------------------------

PROGRESS_EXPORT = {
    None: "offen",
    Progress.REVIEWED.value: "geprüft",
    Progress.IN_PROGRESS.value: "in Umsetzung",
    Progress.DONE.value: "umgesetzt",
    Progress.NOT_FEASIBLE.value: "nicht umsetzbar",
}


def export_records(store: Store, content: Content, license_text: str) -> list[dict[str, Any]]:
    """Every published idea, with what it is and how many support it; nobody's identity."""
    query = (
        select(
            I.id,
            I.external_id,
            I.title,
            I.description,
            I.field_id,
            I.city,
            I.progress,
            I.source,
            I.support_count,
            I.created_at,
            I.updated_at,
        )
        .where(I.status == IdeaStatus.APPROVED.value)
        .order_by(I.id)
    )
    language = content.languages[0]
    records = []
    for row in store.run(lambda tx: tx.rows(query)):
        idea_id, external_id, title, description, field_id, city, progress, source, support, created, updated = row
        topic = content.field(field_id)
        records.append(
            {
                "external_id": external_id or f"mitmach-{idea_id}",
                "title": title,
                "description": description,
                "handlungsfeld": field_id,
                "handlungsfeld_title": topic.title[language] if topic else field_id,
                "city": city,
                "status": PROGRESS_EXPORT.get(progress, "offen"),
                "source": source or "Mitmach-Bot",
                "support_count": support,
                "created_at": created.isoformat(),
                "updated_at": updated.isoformat(),
                "license": license_text,
            }
        )
    return records


def to_csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_record(record) for record in records)
    return buffer.getvalue()


def to_json(records: list[dict[str, Any]], license_text: str) -> str:
    return json.dumps({"license": license_text, "ideas": records}, ensure_ascii=False, indent=2) + "\n"
