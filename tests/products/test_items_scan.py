"""Tests for desktop/products/items.py, scan.py and link.py: 对码 by exact codes, suggestions, staleness, scans."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from desktop.errors import NotFound, RequestError, SourceFormatError
from desktop.products import database, items, link, scan
from tests.products.conftest import barcode, linked_products, write_store_csv

DAY = date(2025, 6, 1)
#: A POS export's own header spellings (生产厂家, 条码, 售价, 医保编码 …), not our field names.
HEADERS = {
    "id": "商品编码",
    "name": "品名",
    "generic_name": "通用名称",
    "spec": "规格",
    "manufacturer": "生产厂家",
    "approval_no": "批准文号",
    "barcode": "条码",
    "price": "售价",
    "unit": "单位",
    "insurance_code": "医保编码",
    "standard_code": "本位码",
    "stock": "库存",
}


def store_list(pdb, tmp_path: Path) -> tuple[Path, list[dict]]:  # type: ignore[no-untyped-def]
    products = linked_products(pdb, 8)
    assert len(products) == 8
    rows = []
    for i, p in enumerate(products):
        row = {
            "id": f"SP{i:04d}",
            "name": p["registered_name"],
            "generic_name": p["insurance_name"],
            "spec": p["spec"],
            "manufacturer": p["manufacturer"],
            "barcode": barcode(i + 1),
            "price": f"{12 + i}.50",
            "unit": "盒",
            "stock": "5",
            "product": p,
        }
        if i < 2:
            row["insurance_code"] = p["code"]  # 1. the store has the insurance code
        elif i < 4:
            row["standard_code"] = p["standard_code"]  # 2. the 本位码
        elif i < 6:
            row["approval_no"] = p["approval_no"]  # 3. 批准文号 + 规格
        # 6, 7: names only: a suggestion
        rows.append(row)
    rows.append({"id": "SP0099", "name": "坏条码", "barcode": "6901234567890"})  # wrong check digit
    rows.append({"id": "SP0000", "name": "重复"})
    rows.append({"id": "SP0098", "name": "某药", "price": "十元"})
    return write_store_csv(tmp_path / "商品.csv", rows, HEADERS), rows


def test_items_import_applies_exact_matches_and_suggests_the_rest(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rows = store_list(pdb, tmp_path)
    report = items.import_file(pdb, path)
    assert report.mapping["生产厂家"] == "生产企业" and report.mapping["条码"] == "条形码"
    assert report.mapping["医保编码"] == "医保药品代码" and report.ignored_columns == ["库存"]
    assert report.imported == 8 and report.applied == {"insurance_code": 2, "standard_code": 2, "approval_spec": 2}
    assert {p.line: p.reason[:4] for p in report.problems} == {10: "条形码“", 11: "商品编码", 12: "零售价“"}
    listed = {r["id"]: r for r in items.listing(pdb)}
    for row in rows[:6]:
        got = listed[row["id"]]
        assert (got["product_code"], got["status"], got["confidence"]) == (row["product"]["code"], "applied", 100)
    for row in rows[6:8]:
        got = listed[row["id"]]
        assert got["status"] in ("suggested", None)  # never applied without a person
        if got["status"] == "suggested":
            assert got["method"] == "fuzzy" and 0 < got["confidence"] <= 100
    unmatched = {r["id"] for r in items.listing(pdb, unmatched=True)}
    assert unmatched == {"SP0006", "SP0007"}
    # A person confirms one; a re-import keeps the confirmation.
    items.confirm(pdb, "SP0006", rows[6]["product"]["code"])
    again = items.import_file(pdb, path)
    assert again.kept == 1
    assert {r["id"] for r in items.listing(pdb, unmatched=True)} == {"SP0007"}


def test_confirm_link_and_export_refusals(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rows = store_list(pdb, tmp_path)
    items.import_file(pdb, path)
    with pytest.raises(NotFound):
        items.confirm(pdb, "NOPE", rows[0]["product"]["code"])
    with pytest.raises(RequestError):
        items.confirm(pdb, "SP0001", "12345")
    with pytest.raises(NotFound):
        items.confirm(pdb, "SP0001", "XJ01CAA040A001010109999")
    with pytest.raises(RequestError):
        items.link_prefix(pdb, "SP0001", "12ab")
    out = tmp_path / "3301.csv"
    written, skipped = items.export_3301(pdb, out)
    assert (written, skipped) == (6, 2)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        exported = list(csv.DictReader(fh))
    assert list(exported[0]) == list(items.EXPORT_3301)
    assert {(r["fixmedins_hilist_id"], r["med_list_codg"]) for r in exported} == {
        (r["id"], r["product"]["code"]) for r in rows[:6]
    }
    with pytest.raises(RequestError):
        items.export_3301(pdb, tmp_path / "no" / "such" / "dir.csv")


def test_header_without_item_code_is_refused(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.csv"
    p.write_text("名字,价钱\n阿莫西林,1\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="商品编码"):
        items.import_file(pdb, p)


def test_scan_barcode_standard_code_and_insurance_code_give_entry_and_verdict(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rows = store_list(pdb, tmp_path)
    items.import_file(pdb, path)
    row = rows[2]
    p = row["product"]
    for code in (row["barcode"], p["standard_code"], p["code"]):
        r = scan.scan(pdb, code, day=DAY, profile="national")
        assert r.message is None, r.message
        assert r.item["id"] == row["id"] and r.product["code"] == p["code"]
        assert r.entry["key"] == p["entry_key"] and r.entry["edition"] == "2024"
        assert r.verdict["verdict"] in ("covered", "conditional", "not_covered", "unknown")
        assert r.to_json()["product"]["price"] == row["price"]
    unknown_ean = scan.scan(pdb, barcode(999), day=DAY)
    assert unknown_ean.entry is None and "不在本店商品清单" in unknown_ean.message
    wrong = scan.scan(pdb, row["barcode"][:-1] + str((int(row["barcode"][-1]) + 1) % 10), day=DAY)
    assert wrong.item is None and "校验位" in wrong.message
    digits = scan.scan(pdb, "123456789", day=DAY)
    assert digits.code.kind == "unknown" and "9 位数字" in digits.message


def test_an_unknown_trace_prefix_asks_once_then_answers(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rows = store_list(pdb, tmp_path)
    items.import_file(pdb, path)
    code = "81234560000000000001"
    first = scan.scan(pdb, code, day=DAY)
    assert first.needs_item and first.code.prefix == "8123456" and "8123456" in first.message
    items.link_prefix(pdb, rows[0]["id"], code)
    later = scan.scan(pdb, "81234569999999999999", day=DAY)
    assert not later.needs_item and later.item["id"] == rows[0]["id"]
    assert later.entry["key"] == rows[0]["product"]["entry_key"]


def test_mappings_go_stale_on_product_and_catalogue_updates(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rows = store_list(pdb, tmp_path)
    items.import_file(pdb, path)
    assert items.recheck(pdb) == 0
    # A new product file replaces the code of item 0 (曾用码) and drops item 1's.
    table = database.total_rows(pdb, "2024")
    header, body = table[0], [list(r) for r in table[1:]]
    col = {h: i for i, h in enumerate(header)}
    old0, old1 = rows[0]["product"]["code"], rows[1]["product"]["code"]
    new0 = old0[:-5] + "77777"
    for r in body:
        if r[0] == old0:
            r[0], r[col["曾用码"]] = new0, old0
    body = [r for r in body if r[0] != old1]
    csv_path = tmp_path / "总表.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    report = database.import_file(pdb, csv_path)
    assert report.stale_items == 2
    stale = {r["id"]: r["stale"] for r in items.listing(pdb, stale=True)}
    assert "已被" in stale[rows[0]["id"]] and new0 in stale[rows[0]["id"]]
    assert "删除" in stale[rows[1]["id"]]
    # A stale mapping never answers silently at the counter.
    r = scan.scan(pdb, rows[0]["barcode"], day=DAY)
    assert any("复核" in w for w in r.warnings)
    # A catalogue update that removes an entry makes the mapping stale too.
    key = rows[2]["product"]["entry_key"]
    pdb.execute("delete from entry where key = ?", [key])
    assert items.recheck(pdb) >= 3
    assert "不在现行目录" in {r["id"]: r["stale"] for r in items.listing(pdb, stale=True)}[rows[2]["id"]]
    items.confirm(pdb, rows[0]["id"], new0)
    assert rows[0]["id"] not in {r["id"] for r in items.listing(pdb, stale=True)}


def test_real_products_link_to_their_entries_and_the_rest_is_reported(pdb) -> None:  # type: ignore[no-untyped-def]
    row = pdb.execute(
        "select entry_key, link_method, link_problem from product where code = 'ZD03AAA0043010100220'"
    ).fetchone()
    assert row == ("艾附暖宫丸|", "number", None)
    unlinked, disagree = link.counts(pdb)
    report = link.report(pdb)
    assert len(report) == unlinked + disagree > 0
    names = {r["name"] for r in report if r["entry_key"] is None}
    assert "他达拉非片" in names  # not in the catalogue: reported, never linked to a lookalike
    assert all(r["link_problem"] for r in report)


def test_brand_and_manufacturer_find_the_generic_entry(pdb) -> None:  # type: ignore[no-untyped-def]
    from desktop.catalogue.search import search

    brand = pdb.execute(
        "select p.brand, p.entry_key from product p join entry e on e.key = p.entry_key and e.edition_id = 1 "
        "where p.brand is not null and length(p.brand) >= 2 and p.brand != p.registered_name "
        "and not exists (select 1 from entry x where x.name like p.brand || '%') limit 1"
    ).fetchone()
    assert brand is not None
    result = search(pdb, brand[0], day=DAY, limit=100)
    assert brand[1] in {e.key for e in result.entries}
    result = search(pdb, "国药准字Z22025730", day=DAY)
    assert [e.name for e in result.entries] == ["艾附暖宫丸"]
    assert [e.name for e in search(pdb, "Z22025730", day=DAY).entries] == ["艾附暖宫丸"]


def test_a_brand_typed_by_pinyin_finds_its_generic_entry(pdb) -> None:  # type: ignore[no-untyped-def]
    """Staff type a brand as they type a generic name: pinyin initials or full pinyin (芬必得: fbd)."""
    from desktop.catalogue import pinyin
    from desktop.catalogue.search import search

    rows = pdb.execute(
        "select p.brand, p.entry_key, e.name from product p join entry e on e.key = p.entry_key "
        "and e.edition_id = 1 where p.brand glob '*[一-龥]*' and length(p.brand) >= 3 and p.brand != p.registered_name"
    ).fetchall()
    # A brand whose pinyin is not the start of its generic name's: only the brand's own keys can answer.
    brand, key = next((b, k) for b, k, name in rows if not pinyin.keys(name)[1].startswith(pinyin.keys(b)[1]))
    full, initials = pinyin.keys(brand)
    for typed in (initials, full, initials.upper(), full[:4]):
        found = search(pdb, typed, day=DAY, limit=100)
        assert key in {e.key for e in found.entries}, (brand, typed)


def test_brand_keys_are_rebuilt_for_products_imported_before_them(products_db_file: Path) -> None:
    """A database whose products were indexed before the brand keys existed gets them on migration."""
    import sqlite3

    from desktop.storage import catalogue as store

    conn = sqlite3.connect(products_db_file)
    with conn:
        before = conn.execute("select count(*) from product_term where field like 'brand_%'").fetchone()[0]
        conn.execute("delete from product_term where field in ('brand_initials', 'brand_pinyin')")
        conn.execute("delete from _sqlite_migrations where name = '0015_product_brand_keys.sql'")
    conn.close()
    assert before > 0
    db = store.open_db(products_db_file)  # migrates: the re-index runs
    try:
        after = db.execute("select count(*) from product_term where field like 'brand_%'").fetchone()[0]
    finally:
        db.close()
    assert after == before


def test_cli_items_and_scan(pdb, products_db_file: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from desktop.cli import main

    path, rows = store_list(pdb, tmp_path)
    pdb.close()
    base = ["--db", str(products_db_file)]
    assert main([*base, "items", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "生产厂家 → 生产企业" in out and "自动对码 6 个" in out
    assert main([*base, "items", "list", "--unmatched", "--json"]) == 0
    assert {r["id"] for r in json.loads(capsys.readouterr().out)} == {"SP0006", "SP0007"}
    assert main([*base, "items", "match", "SP0007", rows[7]["product"]["code"]]) == 0
    assert main([*base, "items", "link", "SP0007", "--trace-prefix", "8765432"]) == 0
    capsys.readouterr()
    assert main([*base, "scan", "87654320000000000001", "--date", "2025-06-01", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["kind"] == "trace_code" and got["item"]["id"] == "SP0007" and got["entry"]["id"]
    assert got["verdict"]["verdict"]
    assert main([*base, "scan", rows[3]["barcode"], "--date", "2025-06-01"]) == 0
    assert "结论：" in capsys.readouterr().out
    assert main([*base, "scan", "12345", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "unknown"
    assert main([*base, "items", "match", "NOPE", "XJ01CAA040A001010102699"]) == 2
    assert main([*base, "items", "export", str(tmp_path / "o.csv")]) == 0
    assert "已导出 7 条" in capsys.readouterr().out
    assert main([*base, "items", "duty", "--profile", "weihai", "--json"]) == 0
    duty = json.loads(capsys.readouterr().out)
    assert duty["required_negotiated"] == 30 and duty["status"] in ("met", "not_met")
    assert main([*base, "items", "duty", "--profile", "jilin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "unknown"
