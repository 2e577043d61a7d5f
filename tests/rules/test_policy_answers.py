"""Issue 10's policy answers on the bundled catalogue and shipped overlays, each with hand-computed figures.

Every figure below was computed by hand from the clause cited next to it; the catalogue rows are
the bundled official ones (2024 revised edition in force in 2025, 2025 edition in force in 2026).
"""

from __future__ import annotations

from datetime import date

from desktop.rules import service

MAR_2025 = date(2025, 3, 1)


def eid(db, name: str, edition: str = "2024") -> str:
    rows = db.execute(
        "select e.id from entry e join edition d on d.id = e.edition_id where e.name = ? and d.name = ?",
        [name, edition],
    ).fetchall()
    assert len(rows) == 1, (name, edition, rows)
    return rows[0][0]


def codes(result) -> list[str]:
    return [x.code for x in result.reasons]


# --- item 2: notice names without radicals (凡例 七) and merged forms (凡例 八) ---------------------


def test_named_two_disease_drugs_are_listed_fanli_7(real_db):
    # Seed 000 三(三) / 001 二(二) name 瑞格列汀, 替格列汀, 福格列汀, 二甲双胍(Ⅳ) without their radicals.
    for name in ("磷酸瑞格列汀片", "氢溴酸替格列汀片", "苯甲酸福格列汀片", "盐酸二甲双胍缓释片(Ⅳ)"):
        e = service.check(real_db, eid(real_db, name), MAR_2025, "jilin", "resident", channel="two_diseases")
        assert "two_diseases_listed" in codes(e), (name, codes(e))
        assert e.verdict == "covered", name


def test_two_disease_estimate_to_the_fen(real_db):
    # 氢溴酸替格列汀片 (竞价, 3.50元(20mg/片)) sold at 3.20 × 30 = 96.00, under the standard (000 二):
    # base 96.00; first self-pay 10 % = 9.60; policy scope 86.40; fund 60 % = 51.84;
    # coinsurance 34.56; patient 9.60 + 34.56 = 44.16. Before: "unknown", patient 96.00.
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "resident",
        "channel": "two_diseases",
        "items": [{"entry": eid(real_db, "氢溴酸替格列汀片"), "unit_price": "3.20", "quantity": 30, "spec": "20mg/片"}],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.60"},
    }
    out = service.estimate(real_db, request)
    assert (out["total"], out["first_self_pay"], out["policy_scope"], out["fund"]) == (
        "96.00",
        "9.60",
        "86.40",
        "51.84",
    )
    assert (out["coinsurance"], out["patient_total"]) == ("34.56", "44.16")


def test_upadacitinib_removal_applies_and_says_the_forms_differ(real_db):
    # Seed 001 二(一): 乌帕替尼（口服常释剂型）调出双通道; the catalogue lists only 乌帕替尼缓释片.
    e = service.check(real_db, eid(real_db, "乌帕替尼缓释片"), MAR_2025, "jilin", "employee", channel="dual_channel")
    assert e.verdict == "not_covered" and "dual_channel_removed" in codes(e)
    note = next(x for x in e.reasons if x.code == "overlay_form_differs")
    assert "口服常释剂型" in note.text and "缓释控释剂型" in note.text
    # 玛巴洛沙韦 has a 片 of the notice's form, so its 干混悬剂 is not touched by the removal.
    susp = service.check(
        real_db, eid(real_db, "玛巴洛沙韦干混悬剂"), MAR_2025, "jilin", "employee", channel="dual_channel"
    )
    assert "dual_channel_removed" not in codes(susp) and "overlay_form_differs" not in codes(susp)
