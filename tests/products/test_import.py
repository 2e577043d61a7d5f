"""Tests for desktop/products/adapters.py and database.py: every format in, bad rows out, diff, history, rollback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from desktop.errors import NotFound, SourceFormatError, UserFacingError
from desktop.products import adapters, database
from desktop.storage import catalogue as store
from tests.products.conftest import PRODUCTS_CSV


def test_nhsa_export_good_rows_in_bad_rows_reported_with_line_and_reason() -> None:
    read = adapters.read(PRODUCTS_CSV)
    assert read.format == "nhsa" and read.rows_read == 10870
    assert len(read.rows) + len(read.problems) == 10870
    lines = {line for line, _ in read.rows} | {p.line for p in read.problems}
    assert len(lines) == 10870  # every row accounted for exactly once
    assert all(p.line >= 2 and p.reason for p in read.problems)
    # The source's own ⚠ flags are never imported; a broken 批准文号 never slips through.
    with PRODUCTS_CSV.open(encoding="utf-8-sig", newline="") as fh:
        raw = list(csv.DictReader(fh))
    flagged = {i for i, r in enumerate(raw, start=2) if r["清洗标记"]}
    assert flagged <= {p.line for p in read.problems}
    good = dict(read.rows)
    assert all(r["approval_no"] is None or adapters._APPROVAL.match(r["approval_no"]) for r in good.values())
    # Repairs are listed, never silent: line 67 had "86902816000048甲".
    assert good[67]["standard_code"] == "86902816000048" and good[67]["class"] == "甲"
    assert any(p.line == 67 and "粘连" in p.reason for p in read.repairs)
    # Rows carrying only a code (the rule lists codes without details) are real codes, kept.
    assert good[2]["code"] == "XA11CCA351E002010101121" and good[2]["insurance_name"] == "艾地骨化醇软胶囊"


def _table(tmp_path: Path, pdb, edit=None) -> Path:  # type: ignore[no-untyped-def]
    rows = database.total_rows(pdb, "2024")
    if edit:
        rows = edit(rows)
    path = tmp_path / "总表.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_total_sheet_csv_and_xlsx_read_the_same_rows(tmp_path: Path, pdb) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    rows = database.total_rows(pdb, "2024")
    assert len(rows[0]) == 26 and rows[0][21] == "2024版甲乙类"
    csv_path = _table(tmp_path, pdb)
    wb = openpyxl.Workbook(write_only=True)
    other = wb.create_sheet("说明")
    other.append(["本表为测试用"])
    ws = wb.create_sheet("总表")
    for r in rows:
        ws.append(r)
    xlsx = tmp_path / "医保药品分类与代码.xlsx"
    wb.save(xlsx)
    a, b = adapters.read(csv_path), adapters.read(xlsx)
    assert (a.format, b.format) == ("csv", "xlsx")
    assert a.problems == b.problems == []
    assert [r for _, r in a.rows] == [r for _, r in b.rows]
    assert len(a.rows) == database.count(pdb)


def test_total_sheet_bad_rows(tmp_path: Path, pdb) -> None:  # type: ignore[no-untyped-def]
    def edit(rows):  # type: ignore[no-untyped-def]
        rows = [list(r) for r in rows[:6]]
        rows[2][0] = "XJ01"  # too short
        rows[3][17] = rows[3][17][:-1] + str((int(rows[3][17][-1]) + 1) % 10) if rows[3][17] else "86900166000078"
        rows[4][0] = rows[1][0]  # duplicate code
        rows.append(rows[5][:21] + ["丙"] + rows[5][22:])  # class neither 甲 nor 乙 (and a duplicate)
        return rows

    read = adapters.read(_table(tmp_path, pdb, edit))
    reasons = {p.line: p.reason for p in read.problems}
    assert "格式不对" in reasons[3] and "校验位" in reasons[4] and "重复" in reasons[5] and 7 in reasons
    assert [line for line, _ in read.rows] == [2, 6]


def test_a_file_that_is_no_product_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("商品编码,商品名称\n1,阿莫西林\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="药品代码"):
        adapters.read(p)
    pdf = tmp_path / "x.pdf"
    pdf.write_text("x")
    with pytest.raises(SourceFormatError, match="格式"):
        adapters.read(pdf)
    wb = tmp_path / "bad.xlsx"
    wb.write_bytes(b"not a zip")
    with pytest.raises(SourceFormatError, match="无法读取工作簿"):
        adapters.read(wb)


def test_reimport_diff_replaced_codes_history_and_rollback(tmp_path: Path, pdb) -> None:  # type: ignore[no-untyped-def]
    before = {r["code"]: r for r in pdb.query("select * from product")}
    rows = database.total_rows(pdb, "2024")
    header, body = rows[0], [list(r) for r in rows[1:]]
    col = {h: i for i, h in enumerate(header)}
    changed_code = body[10][0]
    body[10][col["规格"]] = "每丸重9g（新）"
    removed_code = body[20][0]
    replaced_code = body[30][0]
    new_code = replaced_code[:-5] + "99999"
    assert new_code not in before
    body[30][0] = new_code
    body[30][col["曾用码"]] = replaced_code
    del body[20]
    added = list(body[40])
    added[0] = added[0][:-5] + "88888"
    body.append(added)
    path = _table(tmp_path, pdb, lambda _: [header, *body])
    report = database.import_file(pdb, path)
    assert report.changed == {changed_code: ["spec"]}
    assert report.removed == [removed_code]
    assert report.replaced == {replaced_code: new_code}
    assert sorted(report.added) == sorted([new_code, added[0]])
    hist = database.history(pdb)
    assert [h["id"] for h in hist] == [report.import_id, report.import_id - 1]
    actions = {c["code"]: c["action"] for c in database.changes(pdb, report.import_id)}
    assert actions[replaced_code] == "replaced" and actions[removed_code] == "removed"
    assert pdb.execute("select spec from product where code = ?", [changed_code]).fetchone()[0] == "每丸重9g（新）"
    # The products' search terms follow the change.
    from desktop.products import search

    assert any(p["code"] == new_code for p in search.products(pdb, new_code))
    done = database.rollback(pdb)
    assert done["import_id"] == report.import_id
    after = {r["code"]: r for r in pdb.query("select * from product")}
    assert set(after) == set(before)
    keep = [f for f in adapters.FIELDS] + ["digest", "entry_key"]
    assert all({k: after[c][k] for k in keep} == {k: before[c][k] for k in keep} for c in before)
    assert not search.products(pdb, new_code)


def test_rollback_with_nothing_to_undo(tmp_path: Path, real_db_copy: Path) -> None:
    db = store.open_db(real_db_copy)
    with pytest.raises(NotFound):
        database.rollback(db)


def test_import_is_atomic_a_cancelled_import_changes_nothing(tmp_path: Path, pdb) -> None:  # type: ignore[no-untyped-def]
    rows = database.total_rows(pdb, "2024")
    body = [[*r[:7], r[7] + "变", *r[8:]] for r in rows[1:]]
    path = _table(tmp_path, pdb, lambda _: [rows[0], *body])
    digest_before = pdb.execute("select group_concat(digest) from product").fetchone()[0]
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(database.Cancelled):
        database.import_file(pdb, path, cancelled=cancel)
    assert pdb.execute("select group_concat(digest) from product").fetchone()[0] == digest_before
    assert len(database.history(pdb)) == 1


def test_a_file_without_good_rows_changes_nothing(tmp_path: Path, pdb) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text("药品代码,注册名称\nXJ01,阿莫西林\n", encoding="utf-8")
    n = database.count(pdb)
    with pytest.raises(UserFacingError, match="没有可导入"):
        database.import_file(pdb, path)
    assert database.count(pdb) == n and len(database.history(pdb)) == 1


def test_cli_products_import_show_and_json(tmp_path: Path, real_db_copy: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from desktop.cli import main

    base = ["--db", str(real_db_copy)]
    assert main([*base, "products", "import", str(PRODUCTS_CSV), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_read"] == 10870 and report["rows_bad"] == len(report["problems"]) > 0
    assert report["added"] == report["rows_good"]
    assert main([*base, "products", "show", "ZD03AAA0043010100220", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["standard_code"] == "86900220000029" and shown["entry"]["name"] == "艾附暖宫丸"
    assert main([*base, "products", "show", "XJ01"]) == 2
    assert "不是医保药品代码" in capsys.readouterr().err
    assert main([*base, "products", "import", str(tmp_path / "missing.csv")]) == 2
    assert "找不到文件" in capsys.readouterr().err
    assert main([*base, "products", "links", "--limit", "3"]) == 0
    assert "未对应目录条目" in capsys.readouterr().out


def test_cli_import_progress_in_a_terminal_names_every_step(real_db_copy: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    from desktop.cli import main

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # the progress line is drawn only in a terminal
    assert main(["--db", str(real_db_copy), "products", "import", str(PRODUCTS_CSV)]) == 0
    err = capsys.readouterr().err
    assert "读取 1/1" in err and "对应目录 1/1" in err and "写入" in err and "索引 1/1" in err
