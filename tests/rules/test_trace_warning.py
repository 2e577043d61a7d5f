"""The estimate says when a line needs 药品追溯码 and has none (``trace_missing``) or fewer than its quantity
(``trace_partial``), and the CLI and the receipt print it.

DOMAIN.md, "Products and codes": since 2025-07-01 a designated pharmacy scans the 追溯码 before a 医保
settlement; 中药饮片 and granules (配方颗粒) are exempt. The bundled catalogue; entries found by name.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlite_utils import Database

from desktop.catalogue import search
from desktop.rules import service

POLICY = {"first_self_pay": "0.10", "fund_ratio": "0.80"}
CODES = ["81234560000000000001", "81234560000000000002"]


def entry_id(db: Database, name: str, section: str, day: str = "2025-07-01") -> str:
    found = search.Searcher(db).search(name, day=date.fromisoformat(day), limit=20).entries
    return next(e.id for e in found if e.name == name and e.section == section)


def request(db: Database, day: str = "2025-07-01", insurance: str = "employee", **line: object) -> dict[str, object]:
    item: dict[str, object] = {"entry": entry_id(db, "阿莫西林", "西药"), "unit_price": "12.50", "quantity": 2}
    item.update(line)
    return {"date": day, "profile": "national", "insurance": insurance, "policy": POLICY, "items": [item]}


def codes_of(out: dict[str, object], i: int = 0) -> set[str]:
    return {r["code"] for r in out["lines"][i]["reasons"]}  # type: ignore[index]


def test_an_insured_line_without_codes_from_2025_07_01_is_warned(real_db: Database) -> None:
    out = service.estimate_json(real_db, request(real_db))
    assert "trace_missing" in codes_of(out)
    assert any("第 1 项“阿莫西林”未扫描药品追溯码" in w for w in out["warnings"])
    # Only a warning: the amounts are those of the same line with its codes.
    scanned = service.estimate_json(real_db, request(real_db, trace_codes=CODES))
    assert "trace_missing" not in codes_of(scanned) and not any("追溯码" in w for w in scanned["warnings"])
    assert [out["lines"][0][k] for k in ("total", "fund", "patient_total")] == [  # type: ignore[index]
        scanned["lines"][0][k]  # type: ignore[index]
        for k in ("total", "fund", "patient_total")
    ]


def test_typed_estimate_lines_say_it_too(real_db: Database) -> None:
    parsed = service.parse_request(real_db, request(real_db))
    line = service.estimate(real_db, parsed).lines[0]
    assert line.trace_missing
    parsed = service.parse_request(real_db, request(real_db, trace_codes=CODES))
    assert not service.estimate(real_db, parsed).lines[0].trace_missing


@pytest.mark.parametrize(
    ("day", "insurance"),
    [
        ("2025-06-30", "employee"),  # the day before scanning was required
        ("2025-07-01", "uninsured"),  # no 医保 settlement at all
    ],
)
def test_no_warning_before_the_rule_or_without_insurance(real_db: Database, day: str, insurance: str) -> None:
    out = service.estimate_json(real_db, request(real_db, day, insurance))
    assert not {"trace_missing", "trace_partial"} & codes_of(out)
    assert not any("追溯码" in w for w in out["warnings"])


def test_pieces_and_what_if_drugs_need_no_code(real_db: Database) -> None:
    pieces = {"entry": entry_id(real_db, "黄芪", "中药饮片"), "unit_price": "3.00", "quantity": 1}
    what_if = {"name": "某假设药", "class": "乙", "unit_price": "5.00", "quantity": 1}
    data = request(real_db)
    data["items"] = [*data["items"], pieces, what_if]  # type: ignore[list-item]
    out = service.estimate_json(real_db, data)
    assert "trace_missing" in codes_of(out, 0)
    assert "trace_missing" not in codes_of(out, 1) and "trace_missing" not in codes_of(out, 2)
    said = [w for w in out["warnings"] if "追溯码" in w]
    assert len(said) == 1 and said[0].startswith("第 1 项")


def test_a_self_paid_line_is_not_warned(real_db: Database) -> None:
    # 氢醌 is 限工伤: for an employee's ordinary sale it is not paid, so the fund settles nothing for it.
    data = request(real_db)
    data["items"] = [{"entry": entry_id(real_db, "氢醌", "西药"), "unit_price": "5.00", "quantity": 1}]
    out = service.estimate_json(real_db, data)
    assert out["lines"][0]["verdict"] == "not_covered"
    assert "trace_missing" not in codes_of(out)
    data["insurance"] = "work_injury"  # the same drug in a work-injury sale is paid: scan its code
    out = service.estimate_json(real_db, data)
    assert out["lines"][0]["verdict"] != "not_covered" and "trace_missing" in codes_of(out)


def test_fewer_codes_than_packs_is_said_but_allowed(real_db: Database) -> None:
    out = service.estimate_json(real_db, request(real_db, trace_codes=CODES[:1]))
    assert "trace_partial" in codes_of(out) and "trace_missing" not in codes_of(out)
    assert any("数量 2，只扫描了 1 个追溯码" in w for w in out["warnings"])
    assert out["lines"][0]["trace_codes"] == CODES[:1]


def test_the_cli_prints_the_warning(real_db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import main
    from desktop.storage import catalogue as store

    db = store.open_db(real_db_path, readonly=True)
    try:
        data = request(db)
    finally:
        db.close()
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["--db", str(real_db_path), "estimate", str(path)]) == 0
    assert "注意：第 1 项“阿莫西林”未扫描药品追溯码" in capsys.readouterr().out
    assert main(["--db", str(real_db_path), "estimate", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "trace_missing" in codes_of(out)


def test_the_receipt_prints_the_warning(real_db_copy: Path, tmp_path: Path) -> None:
    from desktop import settings as settings_mod
    from desktop.receipts import issue, layout
    from desktop.storage import catalogue as store
    from tests.receipts.conftest import SETTINGS, pdftotext

    db = store.open_db(real_db_copy)
    try:
        settings_mod.save(db, SETTINGS)
        parsed = service.parse_request(db, request(db))
        result = service.estimate(db, parsed)
        issue.issue(db, parsed, result, layout.Issuer.from_settings(SETTINGS), "80mm", tmp_path / "r.pdf")
    finally:
        db.close()
    text = "".join(pdftotext(tmp_path / "r.pdf")).replace(" ", "")
    assert "未扫描药品追溯码" in text


def test_a_transition_drug_paid_after_2025_07_01_needs_its_code(real_db_copy: Path) -> None:
    # TEST ASSUMPTION: no transition period runs past 2025-07-01 in the bundled data (they end 2025-06-30);
    # a province's longer one stands in, so the transition line (no entry, named by name) is a real drug sold.
    from desktop.storage import catalogue as store
    from desktop.storage import overlays as ov

    db = store.open_db(real_db_copy)
    try:
        info = ov.OverlayInfo(
            "test-transition-late", ov.TRANSITION, "national", "测试过渡期（至2025年12月31日）", complete=True
        )
        attrs = {"basis": "original_payment_standard", "section": "协议期内谈判药品", "class": "乙"}
        item = ov.OverlayItem("某过渡期药品", "add", attrs=attrs, start=date(2025, 1, 1), end=date(2025, 12, 31))
        ov.store_overlay(db, info, [item])
        data = request(db, "2025-08-01")
        data["items"] = [{"name": "某过渡期药品", "unit_price": "9.00", "quantity": 1, "confirmed": ["restriction"]}]
        out = service.estimate_json(db, data)
        assert out["lines"][0]["verdict"] == "covered" and "trace_missing" in codes_of(out)
        data["items"][0]["trace_codes"] = CODES[:1]  # type: ignore[index]
        assert "trace_missing" not in codes_of(service.estimate_json(db, data))
    finally:
        db.close()
