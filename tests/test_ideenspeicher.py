"""Importing the Ideenspeicher and exporting open data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.ideas import EXPORT_COLUMNS, export_records, import_rows, read_table, to_csv, to_json, validate
from dialogs.content import Content
from storage.models import Idea, idea_table
from storage.store import Store
from tests.chat import Chat
from tests.cli import run_cli
from tests.conftest import ROOT
from tests.helpers import approve, resident
from tests.test_journey import _idea_number, submit_idea
from tests.texts import de, field

SAMPLE = ROOT / "content" / "ideenspeicher-beispiele.csv"
LICENSE = "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)"


def idea_count(store: Store) -> int:
    return int(store.run(lambda tx: tx.rows(select(func.count()).select_from(idea_table)))[0][0])


def import_file(store: Store, content: Content, path: Path, dry_run: bool = False):  # type: ignore[no-untyped-def]
    rows, errors = validate(read_table(path), content)
    assert errors == []
    return import_rows(store, rows, dry_run=dry_run)


def test_sample_file_imports_approved_examples(store: Store, content: Content) -> None:
    result = import_file(store, content, SAMPLE)
    assert (result.created, result.updated) == (20, 0)
    ideas = store.run(lambda tx: tx.rows(select(idea_table.c.title, idea_table.c.status, idea_table.c.source)))
    assert len(ideas) == 20
    assert all(title.startswith("Beispiel:") for title, _status, _source in ideas), "clearly marked as examples"
    assert {status for _t, status, _s in ideas} == {"approved"}
    assert {source for _t, _s, source in ideas} == {"Beispiel – nicht aus dem echten Ideenspeicher"}


def test_reimport_updates_instead_of_duplicating(store: Store, content: Content, tmp_path: Path) -> None:
    import_file(store, content, SAMPLE)
    again = import_file(store, content, SAMPLE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 20)
    changed = tmp_path / "changed.csv"
    changed.write_text(SAMPLE.read_text(encoding="utf-8").replace("Sitzbänke mit Solarstrom", "Solarbänke"), "utf-8")
    result = import_file(store, content, changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 19)
    assert idea_count(store) == 20
    titles = [row[0] for row in store.run(lambda tx: tx.rows(select(idea_table.c.title)))]
    assert "Beispiel: Solarbänke" in titles


def test_dry_run_writes_nothing(store: Store, content: Content) -> None:
    result = import_file(store, content, SAMPLE, dry_run=True)
    assert result.created == 20
    assert idea_count(store) == 0


BROKEN = """external_id,title,description,handlungsfeld,city,status,source
ok-1,Eine gute Idee,Beschreibung,Mobilität,Aalen,,Test
,Ohne Kennung,Beschreibung,1,Aalen,,Test
ok-3,Ab,zu kurzer Titel,2,Heidenheim,,Test
ok-4,Falsches Thema,Beschreibung,Raumfahrt,Aalen,,Test
ok-5,Falsche Stadt,Beschreibung,3,Ulm,,Test
ok-6,Falscher Stand,Beschreibung,4,beide,erledigt vielleicht,Test
ok-1,Doppelte Kennung,Beschreibung,5,alle,,Test
"""


def test_broken_file_reports_every_line_and_imports_nothing(store: Store, content: Content, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN, encoding="utf-8")
    _rows, errors = validate(read_table(path), content)
    messages = [str(e) for e in errors]
    assert messages[0] == "line 3, column 'external_id': expected an id that stays the same between imports"
    assert messages[1] == "line 4, column 'title': expected 3 to 200 characters (got 2)"
    assert messages[2].startswith("line 5, column 'handlungsfeld': expected a number 1–8, a title or one of")
    assert messages[3] == "line 6, column 'city': expected Aalen, Heidenheim or both (got 'Ulm')"
    assert messages[4].startswith("line 7, column 'status': expected empty, offen, geprüft")
    assert messages[5] == "line 8, column 'external_id': expected a unique id (line 2 has it too)"
    assert len(errors) == 6

    cli = run_cli("ideas", "import", str(path), env={"DATABASE_URL": store.engine.url.render_as_string(False)})
    assert cli.returncode == 2
    assert "6 problem(s); nothing was imported" in cli.stderr
    assert "line 6, column 'city'" in cli.stderr
    assert idea_count(store) == 0, "nothing half-imported"


def test_file_problems_are_explained(tmp_path: Path) -> None:
    from bot.ideas import ImportFileError

    with pytest.raises(ImportFileError, match="file not found"):
        read_table(tmp_path / "nowhere.csv")
    header = tmp_path / "header.csv"
    header.write_text("titel;beschreibung\nA;B\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="line 1 \\(header\\): missing column\\(s\\) external_id, title"):
        read_table(header)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("external_id,title\n1,Straße\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match="not UTF-8"):
        read_table(latin)


def test_xlsx_and_semicolon_csv(store: Store, content: Content, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "title", "description", "handlungsfeld", "city", "status", "source"])
    sheet.append(["x-1", "Aus einer Tabelle", "Beschreibung", 1, "Heidenheim", "umgesetzt", "Bürgerbeteiligung 2022"])
    book.save(tmp_path / "ideen.xlsx")
    semicolons = tmp_path / "ideen.csv"
    semicolons.write_text("external_id;title;handlungsfeld;city\nx-2;Mit Semikolon;Mobilität;Aalen\n", "utf-8")
    assert import_file(store, content, tmp_path / "ideen.xlsx").created == 1
    assert import_file(store, content, semicolons).created == 1


SCHEMA_OF_EXPORT = {
    "external_id": "external_id",
    "title": "title",
    "description": "description",
    "handlungsfeld": "field_id",
    "city": "city",
    "status": "progress",
    "source": "source",
    "support_count": "support_count",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
DERIVED = {"handlungsfeld_title": "the content file", "license": "OPEN_DATA_LICENSE"}
PERSONAL_IDEA_COLUMNS = {"author_id", "decided_by", "decision_reason"}


async def test_export_holds_no_personal_data_and_round_trips(
    store: Store, content: Content, tmp_path: Path, erika: Chat
) -> None:
    import_file(store, content, SAMPLE)
    await erika.onboard()
    await submit_idea(erika, "Von einer Bürgerin", "Eine Idee, eingereicht über den Bot, mit Unterstützung.")
    approve(store, _idea_number(erika))
    record = resident(store, erika.identity)
    assert record is not None
    store.run(lambda tx: tx.add_vote(record.id, 21, store.now()))
    records = export_records(store, content, LICENSE)
    assert len(records) == 21
    for record in records:
        assert tuple(record) == EXPORT_COLUMNS
        for column in record:
            assert column in SCHEMA_OF_EXPORT or column in DERIVED, f"{column} is not in the open-data schema"
            if column in SCHEMA_OF_EXPORT:
                assert SCHEMA_OF_EXPORT[column] in Idea.model_fields
                assert SCHEMA_OF_EXPORT[column] not in PERSONAL_IDEA_COLUMNS
    text = to_csv(records) + to_json(records, LICENSE)
    for value in ("erika", "chat-erika", "test:"):
        assert value not in text, "no resident's identity in the export"
    assert records[-1]["support_count"] == 1
    assert {r["license"] for r in records} == {LICENSE}
    data = json.loads(to_json(records, LICENSE))
    assert data["license"] == LICENSE and len(data["ideas"]) == 21

    exported = tmp_path / "export.csv"
    exported.write_text(to_csv(records), encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8"))))
    assert rows[0]["status"] == de("being put into practice") and rows[0]["city"] == "all"
    checked, errors = validate(read_table(exported), content)
    assert errors == [] and len(checked) == 21
    result = import_rows(store, checked, dry_run=True)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 20), "only the bot's own idea is new"


def test_export_and_demo_on_the_command_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3", "OPEN_DATA_LICENSE": "CC0-1.0"}
    first = run_cli("ideas", "import", str(SAMPLE), env=env)
    assert "20 ideas were created" in first.stdout
    out = run_cli("ideas", "export", "--format", "json", env=env)
    assert json.loads(out.stdout)["license"] == "CC0-1.0"


def test_demo_loads_the_examples_into_an_empty_store_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.config import Settings
    from bot.idea_commands import load_demo

    settings = Settings(DATABASE_URL=f"sqlite:///{tmp_path}/demo.sqlite3")  # type: ignore[call-arg]
    load_demo(settings)
    load_demo(settings)
    messages = capsys.readouterr().err
    assert "--demo: 20 example ideas loaded" in messages
    assert "the store already holds ideas; the examples were not loaded" in messages
    store = Store(settings.database_url)
    try:
        assert idea_count(store) == 20
    finally:
        store.dispose()


def test_long_files_show_progress(tmp_path: Path) -> None:
    lines = ["external_id,title,handlungsfeld,city"]
    lines += [f"lang-{n},Idee Nummer {n},{n % 8 + 1},Aalen" for n in range(120)]
    path = tmp_path / "lang.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("ideas", "import", str(path), env={"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3"})
    assert result.returncode == 0
    assert "120 ideas were created" in result.stdout
    assert "] 60/120" in result.stderr and "] 120/120" in result.stderr


FORMULAS = [
    "=HYPERLINK(CONCAT(A1;A2);A3)",
    "+49 7361 Bürgertelefon rund um die Uhr",
    "-Minus bei den Parkgebühren",
    "@Rathaus per Chat erreichbar",
]


def test_csv_export_never_hands_a_spreadsheet_a_formula(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3"}
    source = tmp_path / "ideen.csv"
    with source.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["external_id", "title", "description", "handlungsfeld", "city"])
        writer.writerows([f"f-{n}", title, "=1+1", field("mobilitaet"), "Aalen"] for n, title in enumerate(FORMULAS))
    assert run_cli("ideas", "import", str(source), env=env).returncode == 0

    exported = list(csv.DictReader(io.StringIO(run_cli("ideas", "export", "--format", "csv", env=env).stdout)))
    assert [row["title"] for row in exported] == ["'" + title for title in FORMULAS]
    assert {row["description"] for row in exported} == {"'=1+1"}
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for row in exported for value in row.values())
    as_json = json.loads(run_cli("ideas", "export", "--format", "json", env=env).stdout)
    assert [idea["title"] for idea in as_json["ideas"]] == FORMULAS, "the JSON export stays verbatim"


def _zip_bomb(path: Path, rows: int) -> None:
    """A real workbook whose sheet, a few kilobytes packed, unpacks to several megabytes of valid rows."""
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["external_id", "title", "handlungsfeld", "city"])
    small = path.with_name("small.xlsx")
    book.save(small)
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>bomb-{n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>Eine Idee von vielen, Nummer {n}</t></is></c>'
        f'<c r="C{n}"><v>1</v></c><c r="D{n}" t="inlineStr"><is><t>Aalen</t></is></c></row>'
        for n in range(2, rows + 2)
    )
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*>", b"", data.replace(b"</row>", b"</row>" + cells.encode(), 1))
            target.writestr(member.filename, data)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    _zip_bomb(path, 20_000)
    assert path.stat().st_size < 1024 * 1024 < 3 * 1024 * 1024 < sum(i.file_size for i in _members(path))
    env = {"DATABASE_URL": store.engine.url.render_as_string(False), "IMPORT_MAX_UNPACKED_MB": "2"}

    result = run_cli("ideas", "import", str(path), env=env)

    assert result.returncode != 0
    assert "unpacks to" in result.stderr and "at most 2 MB" in result.stderr
    assert "IMPORT_MAX_UNPACKED_MB" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert idea_count(store) == 0


def _members(path: Path) -> list[Any]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.infolist()


def test_too_many_rows_and_too_large_files_are_refused(store: Store, tmp_path: Path) -> None:
    lines = ["external_id,title,handlungsfeld,city"]
    lines += [f"viel-{n},Eine Idee von vielen {n},{n % 8 + 1},Aalen" for n in range(1001)]
    path = tmp_path / "viele.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {"DATABASE_URL": store.engine.url.render_as_string(False), "IMPORT_MAX_ROWS": "1000"}

    result = run_cli("ideas", "import", str(path), env=env)

    assert result.returncode != 0
    assert "more than 1000 rows" in result.stderr and "IMPORT_MAX_ROWS" in result.stderr
    assert "Traceback" not in result.stderr
    assert idea_count(store) == 0

    path.write_text("\n".join(lines[:2]) + "\n" + "#" * (1024 * 1024) + "\n", encoding="utf-8")
    result = run_cli("ideas", "import", str(path), env={**env, "IMPORT_MAX_FILE_MB": "1"})
    assert result.returncode != 0
    assert "at most 1 MB" in result.stderr and "IMPORT_MAX_FILE_MB" in result.stderr
    assert idea_count(store) == 0


def test_unreadable_rows_are_explained(tmp_path: Path) -> None:
    import zipfile

    from openpyxl import Workbook

    from bot.ideas import ImportFileError

    path = tmp_path / "feld.csv"
    path.write_text('external_id,title,handlungsfeld,city\nx-1,"' + "a" * 200_000 + '",1,Aalen\n', "utf-8")
    with pytest.raises(ImportFileError, match="line 2: not readable as CSV"):
        read_table(path)

    book = Workbook()
    book.active.append(["external_id", "title", "handlungsfeld", "city"])
    for n in range(2000):
        book.active.append([f"x-{n}", f"Eine Idee von vielen {n}", 1, "Aalen"])
    book.save(tmp_path / "good.xlsx")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(tmp_path / "good.xlsx") as source, zipfile.ZipFile(broken, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut off in the middle of the rows
            target.writestr(member.filename, data)
    with pytest.raises(ImportFileError, match="not a readable XLSX workbook"):
        read_table(broken)
