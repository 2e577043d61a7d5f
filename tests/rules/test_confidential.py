"""Confidential standards ("*"): keyed by entry + spec + agreement period, entered or imported, never revealed."""

from __future__ import annotations

import itertools
import json
import random
from datetime import date
from decimal import Decimal

import pytest

from desktop.receipts import layout
from desktop.rules import confidential, service
from desktop.rules.contract import Estimate
from desktop.storage import catalogue as store
from desktop.storage import confidential as cs


@pytest.fixture
def db(real_db_copy):
    database = store.open_db(real_db_copy)
    yield database
    database.close()


def eid(db, name: str, edition: str) -> str:
    return db.execute(
        "select e.id from entry e join edition d on d.id = e.edition_id where e.name = ? and d.name = ?",
        [name, edition],
    ).fetchone()[0]


def _request(entry_id: str, price: str, day: str = "2025-03-01", quantity: int = 1, **item) -> dict:
    return {
        "date": day,
        "profile": "jilin",
        "insurance": "employee",
        "items": [{"entry": entry_id, "unit_price": price, "quantity": quantity, **item}],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.70"},
    }


def test_a_value_belongs_to_its_agreement_period(db):
    # 安奈拉唑钠肠溶片: "*" in both editions, agreement 2024-01-01..2025-12-31, then 2026-01-01..2027-12-31.
    old = store.get_entry(db, eid(db, "安奈拉唑钠肠溶片", "2024"))
    confidential.enter(db, old, "", "3.00")
    # 2025-03-01, price 4.00 above the entered 3.00: base 3.00; first 10 % 0.30; scope 2.70; fund 70 % 1.89;
    # patient 4.00 - 1.89 = 2.11 (over 1.00 + 0.30 + 0.81, folded).
    out = service.estimate_json(db, _request(old.id, "4.00", confirmed=["restriction"]))
    assert (out["fund"], out["patient_total"]) == ("1.89", "2.11")
    # 2026: a new agreement period; the old value never answers. Assumed within (000 四(一)):
    # base 4.00; first 0.40; scope 3.60; fund 2.52; patient 1.48.
    new_id = eid(db, "安奈拉唑钠肠溶片", "2025")
    out26 = service.estimate_json(db, _request(new_id, "4.00", day="2026-02-01", confirmed=["restriction"]))
    assert (out26["fund"], out26["patient_total"]) == ("2.52", "1.48")
    assert any(r["code"] == "confidential_assumed_within" for r in out26["lines"][0]["reasons"])
    status = confidential.statuses(db, [old, store.get_entry(db, new_id)])
    assert status[0].label == "已录入（（唯一规格）；有效至 2025-12-31）" and status[1].label == "未录入"
    assert "3.00" not in repr(cs.for_entry(db, old.key, *confidential.period(old)))


def test_import_reports_every_row_that_matches_nothing(db, tmp_path):
    path = tmp_path / "province.csv"
    path.write_text(
        "药品名称,剂型,规格,支付标准,协议有效期\n"
        "安奈拉唑钠肠溶片,,20mg/片,3.00,2024年1月1日至2025年12月31日\n"
        "安奈拉唑钠肠溶片,,20mg/片,3.10,2026年1月1日至2027年12月31日\n"  # another period: not in 2024
        "阿莫西林,口服常释剂型,0.25g,1.00,2024年1月1日至2025年12月31日\n"  # public standard
        "不存在的药,,1mg,9.00,2024年1月1日至2025年12月31日\n",
        encoding="utf-8",
    )
    report = confidential.import_file(db, path, date(2025, 3, 1))
    assert report.stored == 1
    assert [(u.row, u.name) for u in report.unmatched] == [(3, "安奈拉唑钠肠溶片"), (4, "阿莫西林"), (5, "不存在的药")]
    assert "协议有效期与目录不符" in report.unmatched[0].reason


def test_import_xlsx_and_a_bad_amount_stops_it(db, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["药品名称", "剂型", "规格", "支付标准", "协议有效期"])
    ws.append(["安奈拉唑钠肠溶片", "", "", "3.00", "2024年1月1日至2025年12月31日"])
    ws.append(["替戈拉生片", "", "", "约十元", "2025年1月1日至2026年12月31日"])
    wb.save(tmp_path / "p.xlsx")
    with pytest.raises(confidential.ConfidentialError, match="第 3 行"):
        confidential.import_file(db, tmp_path / "p.xlsx", date(2025, 3, 1))
    assert cs.entered(db) == {}  # nothing stored


def test_cli_list_never_shows_the_amount(db, real_db_copy, capsys, monkeypatch):
    import io

    from desktop.cli import main

    entry = eid(db, "安奈拉唑钠肠溶片", "2024")
    monkeypatch.setattr("sys.stdin", io.StringIO("3.17\n"))
    assert main(["--db", str(real_db_copy), "confidential", "set", entry]) == 0
    assert main(["--db", str(real_db_copy), "confidential", "list", "--date", "2025-03-01", "--json"]) == 0
    out = capsys.readouterr().out
    assert "3.17" not in out and "有效至 2025-12-31" in out


def test_history_keeps_no_secret_of_the_request():
    request = {"items": [{"entry": "x", "payment_standard": "1234.56"}, {"entry": "y", "payment_standard": "9.00"}]}
    result = {"lines": [{"confidential": True}, {"confidential": False}]}
    assert confidential.scrub_request(request, result)["items"] == [{"entry": "x"}, request["items"][1]]


def _numbers(text: str) -> set[Decimal]:
    import re

    return {Decimal(m) for m in re.findall(r"\d+\.\d{2}", text)}


def test_no_output_reveals_a_standard_by_subtraction_property(db):
    """Every "*" drug of both editions, priced above a standard entered for it, next to a public drug:
    neither the standard S, nor the over-standard part O, nor the base, nor any difference of two shown
    amounts (nor the receipt's 个人负担合计 − 全自费 − 超标准 − 先行自付 − 个人自付) equals O, in the JSON,
    the receipt text or the CLI text."""
    from desktop.commands import rules as cli_rules

    rng = random.Random(20251)
    amox = eid(db, "阿莫西林", "2024")
    rows = db.execute(
        "select e.id, d.name from entry e join edition d on d.id = e.edition_id where e.payment_standard = '*'"
    ).fetchall()
    assert len(rows) > 500
    issuer = layout.Issuer("药房", "P0001")
    meta = layout.ReceiptMeta("P0001-1", "2026-01-01 10:00:00")
    checked = 0
    for entry_id, edition in rows:
        entry = store.get_entry(db, entry_id)
        s = Decimal(rng.randrange(1001, 500000)) / 100 + Decimal("0.07")
        confidential.enter(db, entry, "", str(s))
        qty = rng.randrange(1, 4)
        price = s + Decimal(rng.randrange(1, 20000)) / 100
        day = "2025-06-01" if edition == "2024" else "2026-06-01"
        start, end = confidential.period(entry)
        if not (start <= date.fromisoformat(day) <= end):
            day = start.isoformat()
        request = _request(entry_id, f"{price:.2f}", day=day, quantity=qty)
        request["items"][0]["confirmed"] = ["restriction", "second_line"]
        request["items"].append({"entry": amox, "unit_price": "12.50", "quantity": 2})
        out = service.estimate_json(db, request)
        line = out["lines"][0]
        if line["verdict"] != "covered":
            continue  # a line the fund does not pay shows its price only
        checked += 1
        over = (price - s) * qty
        secrets = {s, over, s * qty}
        typed = Estimate.from_json(out)
        receipt = "\n".join(ln.plain for ln in layout.logical_lines(typed, issuer, meta))
        text = json.dumps(out, ensure_ascii=False) + receipt + "\n".join(cli_rules.estimate_text(typed))
        shown = _numbers(text)
        assert not secrets & shown, (entry.name, secrets & shown)
        diffs = {abs(a - b) for a, b in itertools.combinations(shown, 2)}
        assert over not in diffs and s * qty not in diffs, entry.name
    assert checked > 400


def test_unset_fund_ratio_hides_the_folded_part_too(db):
    # Without a fund ratio the "*" line's folded part (over + first + coinsurance) is unknown as well:
    # shown as unset, never as the whole price (which, with a known first self-pay, would give the base).
    entry_id = eid(db, "乌帕替尼缓释片", "2024")
    request = _request(entry_id, "100.00", confirmed=["restriction", "second_line"])
    request["policy"] = {"first_self_pay": "0.10"}
    out = service.estimate_json(db, request)
    assert out["fund_unset"] and out["confidential_patient"] is None
    line = out["lines"][0]
    assert line["confidential_patient"] is None and line["over_standard"] is None and line["fund"] is None
    assert Estimate.from_json(out).to_json() == out
