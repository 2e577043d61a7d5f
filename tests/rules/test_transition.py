"""Transition drugs (续约失败调出): 环孢素滴眼液(Ⅲ) and 头孢托仑匹酯颗粒 have no entry in the 2024 edition.

Seed 001 二（三）(保障用药连续性): 「给予其6个月的过渡期，2025年6月30日前医保基金按原支付标准继续支付」.
They are carried as items of the bundled transition overlay, typed as 协议期内谈判药品 (paid as 乙类);
the 2023 edition that last listed them is not shipped, so their remark is a condition staff check.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlite_utils import Database

from desktop.errors import RequestError
from desktop.rules import service
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov

SEED_001 = "seeds/001_1c9bd1fa1fa7b9b1.txt 二（三）"
NAMES = ("环孢素滴眼液(Ⅲ)", "头孢托仑匹酯颗粒")


def _request(name: str, day: str, price: str, quantity: int, confirmed: bool = True) -> dict[str, object]:
    item: dict[str, object] = {"name": name, "unit_price": price, "quantity": quantity}
    if confirmed:
        item["confirmed"] = ["restriction"]
    return {
        "date": day,
        "profile": "jilin",
        "insurance": "employee",
        "items": [item],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
    }


def test_bundled_transition_items_are_typed(real_db: Database) -> None:
    rows = list(
        real_db.query(
            "select i.name, i.attrs, i.start, i.end from overlay_item i join overlay o on o.id = i.overlay_id "
            "where o.overlay_id = 'national-transition-2024' order by i.name"
        )
    )
    assert sorted(r["name"] for r in rows) == sorted(NAMES)
    for row in rows:
        attrs = json.loads(row["attrs"])
        attrs = json.loads(attrs) if isinstance(attrs, str) else attrs
        assert attrs["section"] == "协议期内谈判药品" and attrs["class"] == "乙"
        assert "remark" not in attrs  # the 2023 edition is not in the repo: nothing invented
        assert (row["start"], row["end"]) == ("2025-01-01", "2025-06-30")


@pytest.mark.parametrize("name", NAMES)
def test_check_by_name_in_the_transition_is_conditional_b(real_db: Database, name: str) -> None:
    # 2025-03-01 is inside the period: paid as 乙类 (negotiated), the unknown remark is to be checked.
    el = service.check(real_db, name, date(2025, 3, 1), "jilin", "employee")
    assert el.verdict == "conditional" and el.pay_class == "乙"
    transition = next(r for r in el.reasons if r.code == "transition")
    assert "2025-06-30" in transition.text
    assert [c.code for c in el.conditions] == ["restriction"]
    assert "备注" in el.conditions[0].text and "未知" in el.conditions[0].text
    confirmed = service.check(
        real_db, name, date(2025, 3, 1), "jilin", "employee", confirmed=frozenset({"restriction"})
    )
    assert confirmed.verdict == "covered"


@pytest.mark.parametrize("name", NAMES)
def test_check_by_name_after_the_transition_is_not_covered(real_db: Database, name: str) -> None:
    el = service.check(real_db, name, date(2025, 7, 1), "jilin", "employee")
    assert el.verdict == "not_covered"
    ended = next(r for r in el.reasons if r.code == "transition_ended")
    assert "2025-06-30" in ended.text
    assert not any("按请求给出" in r.text for r in el.reasons)  # the class is the overlay's, not a request's


def test_check_of_an_unknown_name_is_still_not_found(real_db: Database) -> None:
    from desktop.errors import NotFound

    with pytest.raises(NotFound):
        service.check(real_db, "环孢素滴眼液(Ⅳ)", date(2025, 3, 1), "jilin", "employee")


def test_estimate_without_original_standard_warns_and_says_what_it_assumed(real_db: Database) -> None:
    # 头孢托仑匹酯颗粒 30.00 x 1 on 2025-03-01, no class typed (the overlay's 乙), no standard anywhere:
    # priced on the price (said): first self-pay 10 % = 3.00; scope 27.00; fund 80 % = 21.60; patient 8.40.
    out = service.estimate_json(real_db, _request("头孢托仑匹酯颗粒", "2025-03-01", "30.00", 1))
    line = out["lines"][0]
    assert line["class"] == "乙" and line["verdict"] == "covered"
    assert (line["first_self_pay"], line["policy_scope"], line["fund"], line["patient_total"]) == (
        "3.00",
        "27.00",
        "21.60",
        "8.40",
    )
    codes = {r["code"] for r in line["reasons"]}
    assert {"transition", "transition_standard_missing"} <= codes
    assert any("原支付标准" in w and "按售价计算" in w for w in out["warnings"])


def test_estimate_with_the_remark_unconfirmed_is_self_paid(real_db: Database) -> None:
    # The remark is a condition: unconfirmed, the line is fully self-paid (30.00), the fund pays nothing.
    out = service.estimate_json(real_db, _request("环孢素滴眼液(Ⅲ)", "2025-03-01", "30.00", 1, confirmed=False))
    line = out["lines"][0]
    assert line["verdict"] == "conditional"
    assert line["full_self_pay"] == "30.00" and line["fund"] == "0.00"


def test_estimate_after_the_transition_is_fully_self_paid(real_db: Database) -> None:
    out = service.estimate_json(real_db, _request("环孢素滴眼液(Ⅲ)", "2025-07-01", "30.00", 2))
    line = out["lines"][0]
    assert line["verdict"] == "not_covered" and line["full_self_pay"] == "60.00" and line["fund"] == "0.00"


def test_estimate_uses_the_original_standard_a_provincial_file_supplies(real_db_copy: Path) -> None:
    # TEST ASSUMPTION: no provincial file with the original standard is public here; 8.00 stands for one.
    # 环孢素滴眼液(Ⅲ) 9.00 x 4 = 36.00; over the standard (9.00-8.00) x 4 = 4.00; within 32.00;
    # first self-pay 10 % = 3.20; scope 28.80; fund 80 % = 23.04; patient 36.00 - 23.04 = 12.96.
    db = store.open_db(real_db_copy)
    info = ov.OverlayInfo(
        "national-transition-2024",
        ov.TRANSITION,
        "national",
        "2024年版目录续约失败谈判药品过渡期（至2025年6月30日）",
        complete=True,
        effective_start=date(2025, 1, 1),
        effective_end=date(2025, 6, 30),
    )
    attrs = {"basis": "original_payment_standard", "section": "协议期内谈判药品", "class": "乙"}
    ov.store_overlay(
        db,
        info,
        [
            ov.OverlayItem(
                "环孢素滴眼液(Ⅲ)",
                "add",
                attrs={**attrs, "payment_standard": "8.00"},
                start=date(2025, 1, 1),
                end=date(2025, 6, 30),
                source=SEED_001,
            )
        ],
    )
    out = service.estimate_json(db, _request("环孢素滴眼液(Ⅲ)", "2025-03-01", "9.00", 4))
    line = out["lines"][0]
    assert line["payment_standard_shown"] == "8.00"
    assert (line["over_standard"], line["first_self_pay"], line["policy_scope"], line["fund"]) == (
        "4.00",
        "3.20",
        "28.80",
        "23.04",
    )
    assert line["patient_total"] == "12.96"
    assert not any(r["code"] == "transition_standard_missing" for r in line["reasons"])
    db.close()


def test_a_name_no_transition_names_still_needs_a_class(real_db: Database) -> None:
    request = _request("某假设药品", "2025-03-01", "10.00", 1)
    with pytest.raises(RequestError) as err:
        service.parse_request(real_db, request)
    assert "甲乙类" in str(err.value)
