"""Tests for items.recheck after a products update: a 对码 goes stale for changes that matter at the counter or at
settlement (``items.COUNTER_FIELDS``), not for 市场状态, 备注 and the like. Real rows of the NHSA products export."""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum import ean

from desktop.products import adapters, database, items, scan
from tests.products.conftest import barcode, linked_products, write_store_csv

#: field -> column title of the 总表 as ``database.total_rows`` writes it (2024 edition).
TITLE = {f: t for t, f in adapters.TOTAL_COLUMNS.items()} | {"class": "2024版甲乙类"}
HEADERS = {"id": "商品编码", "name": "商品名称", "spec": "规格", "barcode": "条形码", "insurance_code": "医保编码"}


def _map_items(pdb, tmp_path: Path, n: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """``n`` store items mapped exactly (by their 医保药品代码) to real linked products; the products."""
    products = linked_products(pdb, n)
    assert len(products) == n
    rows = [
        {
            "id": f"SP{i:04d}",
            "name": p["registered_name"],
            "spec": p["spec"],
            "barcode": barcode(i + 1),
            "insurance_code": p["code"],
        }
        for i, p in enumerate(products)
    ]
    report = items.import_file(pdb, write_store_csv(tmp_path / "商品.csv", rows, HEADERS))
    assert report.applied == {"insurance_code": n}
    assert items.recheck(pdb) == 0
    return products


def _import_edited(pdb, tmp_path: Path, edits: dict[str, dict[str, str]]) -> database.ImportReport:  # type: ignore[no-untyped-def]
    """Re-import the installed products as a 总表 CSV with ``edits`` (code -> field -> new cell)."""
    table = database.total_rows(pdb, "2024")
    header, body = table[0], [list(r) for r in table[1:]]
    col = {h: i for i, h in enumerate(header)}
    for r in body:
        for f, value in edits.get(r[0], {}).items():
            r[col[TITLE[f]]] = value
    path = tmp_path / "总表.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    return database.import_file(pdb, path)


def _other_standard_code(code: str) -> str:
    body = code[:-1]
    body = body[:-3] + f"{(int(body[-3:]) + 1) % 1000:03d}"
    return body + ean.calc_check_digit(body)


def _counter_edit(field: str, p: dict) -> str:
    """A valid new value of ``field`` for product ``p``, different from its own."""
    if field == "class":
        return "乙" if p["class"] == "甲" else "甲"
    if field == "standard_code":
        return _other_standard_code(p["standard_code"])
    if field == "approval_no":
        return "国药准字H" + f"{(int(p['approval_no'][-8:]) + 1) % 10**8:08d}"
    if field == "pack_quantity":
        return str(int(float(p["pack_quantity"] or "1")) * 2)
    if field == "number":
        return str((p["number"] or 0) + 1)
    return (p[field] or "") + "（新）"


def test_changes_outside_the_counter_fields_leave_the_mapping_current(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    products = _map_items(pdb, tmp_path, 3)
    quiet = {
        "market_status": "停产",
        "remark": "说明书修订",
        "brand": "新康",
        "holder": "某某药业有限公司",
        "material": "铝塑泡罩",
        "former_approval_no": "国药准字H19990001",
        "source": "省医保局",
        "company": "某某医药有限公司",
        "sub_packager": "某某分装有限公司",
    }
    report = _import_edited(pdb, tmp_path, {p["code"]: quiet for p in products})
    # The products did change (the diff says so, field by field) ...
    assert {c: set(f) for c, f in report.changed.items()} == {p["code"]: set(quiet) for p in products}
    # ... and no mapping went stale: none of these is read at the counter or at settlement.
    assert report.stale_items == 0
    assert not items.listing(pdb, stale=True)
    r = scan.scan(pdb, barcode(1))
    assert not any("复核" in w for w in r.warnings)
    # The mapping now stands for the product as it is: a later counter change is still caught.
    report = _import_edited(pdb, tmp_path, {products[0]["code"]: {"spec": _counter_edit("spec", products[0])}})
    assert report.stale_items == 1


def test_each_counter_field_makes_the_mapping_stale_and_is_named(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fields = [
        "spec",
        "manufacturer",
        "approval_no",
        "standard_code",
        "class",
        "insurance_name",
        "insurance_form",
        "number",
        "registered_name",
        "pack_quantity",
        "form",
    ]
    products = _map_items(pdb, tmp_path, len(fields) + 1)
    edits = {p["code"]: {f: _counter_edit(f, p)} for f, p in zip(fields, products, strict=False)}
    calm = products[-1]  # changed too, but only in 备注
    edits[calm["code"]] = {"remark": "仅备注"}
    report = _import_edited(pdb, tmp_path, edits)
    assert set(report.changed) == set(edits)
    assert report.stale_items == len(fields)
    stale = {r["product_code"]: r["stale"] for r in items.listing(pdb, stale=True)}
    assert set(stale) == {p["code"] for p in products[:-1]}
    for f, p in zip(fields, products, strict=False):
        title = "甲乙类" if f == "class" else TITLE[f]
        assert f"的{title}已更新" in stale[p["code"]], (f, stale[p["code"]])
    # The counter says so instead of answering silently.
    r = scan.scan(pdb, barcode(1))
    assert any("规格已更新" in w for w in r.warnings)


def test_a_rollback_makes_the_mapping_current_again(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    products = _map_items(pdb, tmp_path, 1)
    p = products[0]
    assert _import_edited(pdb, tmp_path, {p["code"]: {"manufacturer": p["manufacturer"] + "（分厂）"}}).stale_items == 1
    assert database.rollback(pdb)["stale_items"] == 0


def test_a_mapping_made_before_counter_digests_is_judged_by_the_change_history(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    products = _map_items(pdb, tmp_path, 2)
    # As a database of the previous version has them: only the whole row's digest.
    pdb.execute("update item_match set counter_digest = null")
    report = _import_edited(
        pdb,
        tmp_path,
        {products[0]["code"]: {"remark": "仅备注"}, products[1]["code"]: {"spec": _counter_edit("spec", products[1])}},
    )
    assert report.stale_items == 1
    stale = {r["product_code"]: r["stale"] for r in items.listing(pdb, stale=True)}
    assert list(stale) == [products[1]["code"]] and "规格已更新" in stale[products[1]["code"]]
    # The current one was brought up to date: its next remark-only change does not need the history.
    row = pdb.execute("select counter_digest from item_match where product_code = ?", [products[0]["code"]]).fetchone()
    assert row[0] and row[0].startswith("c1:")


def test_removed_and_replaced_codes_still_make_mappings_stale(pdb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    products = _map_items(pdb, tmp_path, 2)
    table = database.total_rows(pdb, "2024")
    header, body = table[0], [list(r) for r in table[1:]]
    col = {h: i for i, h in enumerate(header)}
    old0, old1 = products[0]["code"], products[1]["code"]
    new0 = old0[:-5] + "77777"
    for r in body:
        if r[0] == old0:
            r[0], r[col["曾用码"]] = new0, old0
    body = [r for r in body if r[0] != old1]
    path = tmp_path / "总表.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    report = database.import_file(pdb, path)
    assert report.replaced == {old0: new0} and report.removed == [old1] and report.stale_items == 2
    stale = {r["product_code"]: r["stale"] for r in items.listing(pdb, stale=True)}
    assert new0 in stale[old0] and "删除" in stale[old1]
