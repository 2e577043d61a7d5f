"""Tests for desktop/products/trace.py and request.py: item lines, 追溯码 on receipts, refusals, refunds."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from desktop import settings as settings_mod
from desktop.errors import RequestError
from desktop.products import items, trace
from desktop.products import request as by_product
from desktop.receipts import issue, layout
from desktop.rules import service
from tests.products.conftest import barcode, linked_products, write_store_csv
from tests.receipts.conftest import SETTINGS, pdftotext

CODES = ["81234560000000000001", "81234560000000000002"]


@pytest.fixture()
def shop(pdb, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings_mod.save(pdb, SETTINGS)
    p = linked_products(pdb, 1)[0]
    row = {
        "id": "SP1",
        "name": p["registered_name"],
        "spec": p["spec"],
        "insurance_code": p["code"],
        "barcode": barcode(1),
        "price": "23.40",
    }
    headers = {k: v for k, v in items.FIELD_LABELS.items() if k in row}
    items.import_file(pdb, write_store_csv(tmp_path / "s.csv", [row], headers))
    return pdb, p


def _request(codes: list[str], quantity: int = 2, **line) -> dict:  # type: ignore[no-untyped-def]
    return {
        "date": "2025-06-01",
        "profile": "jilin",
        "insurance": "employee",
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.70"},
        "items": [{"item": "SP1", "quantity": quantity, "trace_codes": codes, **line}],
    }


def _estimate(db, request: dict):  # type: ignore[no-untyped-def]
    """The JSON edge, as ``yaomu estimate`` and the counter run it: parse (items resolved), then estimate."""
    settings = settings_mod.get(db)
    parsed = by_product.parse(db, request, settings)
    return parsed, service.estimate(db, parsed, settings).to_json()


def _issue(db, request: dict, out: Path, fmt: str = "58mm"):  # type: ignore[no-untyped-def]
    settings = settings_mod.get(db)
    parsed = by_product.parse(db, request, settings)
    result = service.estimate(db, parsed, settings)
    return issue.issue(db, parsed, result, layout.Issuer.from_settings(settings), fmt, out), result


def test_an_item_line_takes_the_store_price_the_entry_and_its_codes(shop) -> None:  # type: ignore[no-untyped-def]
    db, p = shop
    parsed, result = _estimate(db, _request(CODES))
    line = result["lines"][0]
    assert line["unit_price"] == "23.40" and line["trace_codes"] == CODES
    assert parsed.items[0].trace_codes == tuple(CODES) and parsed.items[0].spec == (p["spec"] or p["registered_spec"])
    entry = service.store.get_entry(db, line["entry"])
    assert entry.key == p["entry_key"]
    _, priced = _estimate(db, _request(CODES, unit_price="20.00"))
    assert priced["lines"][0]["unit_price"] == "20.00"
    _, by_product = _estimate(db, {**_request([]), "items": [{"product": p["code"], "unit_price": "5", "quantity": 1}]})
    assert by_product["lines"][0]["entry"] == line["entry"] and "trace_codes" not in by_product["lines"][0]


def test_receipt_prints_codes_and_a_second_sale_of_a_code_is_refused_until_refunded(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, _ = shop
    done, _ = _issue(db, _request(CODES), tmp_path / "a.pdf")
    text = "\n".join(pdftotext(tmp_path / "a.pdf"))
    assert all(c in text for c in CODES)
    assert [r["code"] for r in trace.of_receipt(db, done.number)] == CODES
    with pytest.raises(RequestError, match=f"已在收据 {done.number} 上售出"):
        _estimate(db, _request([CODES[1]], 1))
    n = db.execute("select count(*) from receipt").fetchone()[0]
    with pytest.raises(RequestError):
        _issue(db, _request([CODES[0]], 1), tmp_path / "b.pdf")
    assert db.execute("select count(*) from receipt").fetchone()[0] == n  # nothing recorded, no number spent
    assert trace.release(db, done.number) == 2
    again, _ = _issue(db, _request([CODES[0]], 1), tmp_path / "c.pdf", "a5")
    assert CODES[0] in "\n".join(pdftotext(tmp_path / "c.pdf"))
    assert [r["code"] for r in trace.of_receipt(db, again.number)] == [CODES[0]]


def test_refusals_within_one_sale(shop) -> None:  # type: ignore[no-untyped-def]
    db, _ = shop
    with pytest.raises(RequestError) as err:
        _estimate(db, _request([CODES[0], CODES[0]]))
    assert "出现了两次" in str(err.value)
    with pytest.raises(RequestError) as err:
        req = _request([CODES[0]], 1)
        req["items"].append({"item": "SP1", "quantity": 1, "trace_codes": [CODES[0]]})
        _estimate(db, req)
    assert "与第 1 项重复" in str(err.value)
    with pytest.raises(RequestError, match="多于数量"):
        _estimate(db, _request(CODES, quantity=1))
    with pytest.raises(RequestError, match="20 位数字"):
        _estimate(db, _request(["123"], quantity=1))
    items.link_prefix(db, "SP1", "7654321")
    db.execute("insert into store_item (id, name, imported_at) values ('SP2', '别的药', 'x')")
    # SP2 has no 对码 and the box's 药品标识码 is SP1's: both said at once.
    with pytest.raises(RequestError) as err:
        req = _request(["76543210000000000001"], 1)
        req["items"].append({"item": "SP2", "quantity": 1, "trace_codes": ["76543210000000000002"]})
        _estimate(db, req)
    assert "尚未对码" in str(err.value) and "属于商品 SP1" in str(err.value)


def test_pieces_and_granules_are_exempt() -> None:
    assert trace.exempt("中药饮片", "黄芪")
    assert trace.exempt("中成药", "黄芪配方颗粒")
    assert not trace.exempt("西药", "阿莫西林")


def test_cli_trace_release(shop, products_db_file: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from desktop.cli import main

    db, _ = shop
    db.close()
    req = tmp_path / "r.json"
    req.write_text(json.dumps(_request(CODES), ensure_ascii=False), encoding="utf-8")
    base = ["--db", str(products_db_file)]
    assert main([*base, "receipt", str(req), "--out", str(tmp_path / "r.pdf"), "--json"]) == 0
    number = json.loads(capsys.readouterr().out)["number"]
    assert main([*base, "receipt", str(req), "--out", str(tmp_path / "r2.pdf")]) == 2
    assert "已在收据" in capsys.readouterr().err
    assert main([*base, "trace", "show", number]) == 0
    assert CODES[0] in capsys.readouterr().out
    assert main([*base, "receipts", "export", "--out", str(tmp_path / "h.csv")]) == 0
    with (tmp_path / "h.csv").open(encoding="utf-8-sig", newline="") as fh:
        exported = list(csv.DictReader(fh))
    assert exported[0]["追溯码"] == " ".join(CODES)
    assert main([*base, "trace", "release", number]) == 0
    assert main([*base, "receipt", str(req), "--out", str(tmp_path / "r3.pdf")]) == 0
    assert main([*base, "trace", "release", "NOPE"]) == 2
