"""Tests for the re-import fast path (database.py, adapters.read_table with ``known``): rows identical to the installed
ones are not parsed, and the result — products, diff, history, rollback — is exactly that of parsing every row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from desktop.products import adapters, database
from desktop.storage import catalogue as store
from tests.helpers import copy_database

FIELD_COLUMNS = ["id", *adapters.FIELDS, "digest", "source_digest", "entry_key", "link_method", "link_problem"]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _products(db, *, ids: bool = True) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    cols = FIELD_COLUMNS if ids else FIELD_COLUMNS[1:]
    return {r["code"]: r for r in db.query(f"select {', '.join(cols)} from product")}


@pytest.fixture()
def total(pdb, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The installed (real NHSA) products re-imported once as a 总表 CSV, so they carry source digests."""
    rows = [list(r) for r in database.total_rows(pdb, "2024")]
    report = database.import_file(pdb, _write(tmp_path / "first.csv", rows))
    assert not report.changed and not report.added and not report.removed
    return rows


def _edited(rows: list[list[str]]) -> tuple[list[list[str]], dict[str, str]]:
    """A new edition of the sheet: one spec changed, one code dropped, one replaced (曾用码), one added."""
    header, body = rows[0], [list(r) for r in rows[1:]]
    col = {h: i for i, h in enumerate(header)}
    names = {"changed": body[10][0], "removed": body[20][0], "replaced": body[30][0]}
    body[10][col["规格"]] += "（新）"
    body[30][0] = names["new"] = names["replaced"][:-5] + "99999"
    body[30][col["曾用码"]] = names["replaced"]
    added = list(body[40])
    added[0] = names["added"] = added[0][:-5] + "88888"
    body.append(added)
    del body[20]
    return [header, *body], names


def test_reimport_parses_only_new_and_changed_rows(pdb, total, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows, names = _edited(total)
    known = database.known_sources(pdb)
    assert len(known) == database.count(pdb) and all(not k.startswith("#") for k in known)
    read = adapters.read(_write(tmp_path / "new.csv", rows), known=known)
    assert {row["code"] for _, row in read.rows} == {names["changed"], names["new"], names["added"]}
    assert read.rows_good == read.rows_read == len(rows) - 1 and len(read.unchanged) == len(rows) - 4
    assert read.problems == []
    # Without the installed digests every row is parsed: the fast path only skips, it never reads differently.
    full = adapters.read(tmp_path / "new.csv")
    assert len(full.rows) == read.rows_good and not full.unchanged


def test_fast_and_full_reimports_give_the_same_products_diff_and_rollback(  # type: ignore[no-untyped-def]
    pdb, products_db_file: Path, total, tmp_path: Path
) -> None:
    col = {h: i for i, h in enumerate(total[0])}
    # One row names another's code in its 曾用码 (both still in the file) ...
    heir, gone = total[61], total[62][0]
    heir[col["曾用码"]] = gone
    assert database.import_file(pdb, _write(tmp_path / "heir.csv", total)).changed == {heir[0]: ["former_codes"]}
    # ... and the new edition drops that code: the unchanged heir, read from the database, replaces it.
    rows, names = _edited(total)
    rows = [r for r in rows if r[0] != gone]
    path = _write(tmp_path / "new.csv", rows)
    fast_read = adapters.read(path, known=database.known_sources(pdb))
    assert heir[0] in {code for _, code in fast_read.unchanged}
    twin = store.open_db(copy_database(products_db_file, tmp_path / "twin.sqlite3"))
    try:
        fast = database.import_file(pdb, path)
        full = database.apply_rows(twin, adapters.read(path), source=path.name, checksum=database._sha256(path))
        assert fast.to_json() == full.to_json()
        assert fast.changed == {names["changed"]: ["spec"]} and fast.removed == [names["removed"]]
        assert fast.replaced == {names["replaced"]: names["new"], gone: heir[0]}
        assert set(fast.added) == {names["new"], names["added"]}
        assert _products(pdb) == _products(twin)
        assert database.changes(pdb, fast.import_id) == database.changes(twin, full.import_id)
        # Rollback restores the same rows either way; the restored rows are parsed again next time.
        imported = _products(pdb, ids=False)
        database.rollback(pdb)
        database.rollback(twin)
        assert _products(pdb) == _products(twin) and _products(pdb, ids=False) != imported
        again = database.import_file(pdb, path)
        assert again.to_json()["diff"] == fast.to_json()["diff"] and _products(pdb, ids=False) == imported
    finally:
        twin.close()


def test_a_repeated_unchanged_row_is_still_reported(pdb, total, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [*total, list(total[5])]
    read = adapters.read(_write(tmp_path / "dup.csv", rows), known=database.known_sources(pdb))
    assert [(p.line, "重复" in p.reason) for p in read.problems] == [(len(rows), True)]
    assert read.rows == [] and read.rows_good == len(total) - 1


def test_cells_that_read_the_same_are_no_change_and_are_remembered(pdb, total, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [list(r) for r in total]
    rows[3][2] = f"  {rows[3][2]} "  # spaces around the 注册名称: the same value, other cells
    path = _write(tmp_path / "spaced.csv", rows)
    known = database.known_sources(pdb)
    read = adapters.read(path, known=known)
    assert [row["code"] for _, row in read.rows] == [rows[3][0]]
    report = database.import_file(pdb, path)
    assert not report.changed and not report.added and not report.removed
    # Its cells' digest is now the installed one: the next import does not parse it.
    assert len(database.known_sources(pdb).keys() - known.keys()) == 1
    assert adapters.read(path, known=database.known_sources(pdb)).rows == []


def test_another_header_or_edition_parses_every_row(pdb, total, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [list(r) for r in total]
    rows[0] = [h.replace("2024版", "2025版") for h in rows[0]]
    path = _write(tmp_path / "2025.csv", rows)
    read = adapters.read(path, known=database.known_sources(pdb))
    assert not read.unchanged and len(read.rows) == len(rows) - 1
    report = database.import_file(pdb, path)
    assert len(report.changed) == len(rows) - 1 and all(f == ["edition"] for f in report.changed.values())


def test_workbook_lines_are_the_sheets_with_an_empty_column_and_row(tmp_path: Path) -> None:
    import openpyxl

    header = list(adapters.TOTAL_COLUMNS)
    header.insert(header.index("医保药品名称") + 1, "2024版甲乙类")
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "总表"
    ws.append([None, *header])  # the sheet starts in column B
    ws.append([])  # line 2 empty
    for values in (
        {"药品代码": "ZA01AAA0001010100001", "2024版甲乙类": "甲"},
        {"药品代码": "ZA01", "注册名称": "某药"},
    ):
        ws.append([None, *(values.get(h) for h in header)])
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    read = adapters.read(path)
    assert [line for line, _ in read.rows] == [3] and [p.line for p in read.problems] == [4]
    assert read.rows[0][1]["class"] == "甲" and read.rows[0][1]["edition"] == "2024"
    assert read.rows[0][1]["code"] == "ZA01AAA0001010100001" and read.rows_read == 2
