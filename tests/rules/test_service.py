"""Estimates end to end on the small real catalogue: the issue's worked examples with their arithmetic."""

from __future__ import annotations

import json
from datetime import date

import pytest

from desktop.errors import RequestError
from desktop.rules import confidential, service
from desktop.settings import Settings
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov
from tests.rules.conftest import find

AMOUNTS = (
    "total",
    "full_self_pay",
    "over_standard",
    "first_self_pay",
    "policy_scope",
    "deductible",
    "fund",
    "coinsurance",
    "patient_total",
)


def request(**kw):
    base = {
        "date": "2025-03-01",
        "profile": "national",
        "insurance": "employee",
        "patient_group": "general",
        "channel": "outpatient",
        "deductible_remaining": "0.00",
        "cap_remaining": None,
        "items": [],
    }
    base.update(kw)
    return base


def amounts(d, *names):
    return tuple(d[n] for n in names)


def assert_consistent(result):
    """total = fund + patient; patient = its components (+ the folded "*" part); totals = sum of lines."""
    from decimal import Decimal as D

    for part in [result, *result["lines"]]:
        assert D(part["total"]) == D(part["fund"]) + D(part["patient_total"])
        assert all(part[k] is None or (D(part[k]) >= 0 and len(part[k].split(".")[1]) == 2) for k in AMOUNTS)
        folded = D(part.get("confidential_patient") or 0)
        parts = ("full_self_pay", "over_standard", "first_self_pay", "coinsurance")
        assert D(part["patient_total"]) == folded + sum(D(part[k] or 0) for k in parts)
    for k in AMOUNTS:
        assert D(result[k]) == sum(D(line[k] or 0) for line in result["lines"])


def test_domain_class_b_example_what_if(db):
    res = service.estimate_json(
        db,
        request(
            items=[{"name": "某药", "class": "乙", "unit_price": "10.00", "quantity": 1}],
            policy={"first_self_pay": "0.10", "fund_ratio": "0.80"},
        ),
    )
    assert amounts(res, "total", "first_self_pay", "policy_scope", "fund", "coinsurance", "patient_total") == (
        "10.00",
        "1.00",
        "9.00",
        "7.20",
        "1.80",
        "2.80",
    )
    assert res["lines"][0]["entry"] is None and res["lines"][0]["verdict"] == "covered"
    assert "起付线按已付清计算（未提供剩余起付线）。" not in res["assumptions"]  # it was given: 0.00
    assert any("以医保结算为准" in a for a in res["assumptions"])
    assert_consistent(res)


def test_price_above_payment_standard(db):
    # 环孢素滴眼液(Ⅱ): 5.50元(0.4ml:0.2mg/支); sold at 6.00 x 4; r 10 %, ratio 80 %.
    # over 2.00; base 22.00; first 2.20; scope 19.80; fund 15.84; coinsurance 3.96; patient 8.16.
    eid = find(db, "环孢素滴眼液(Ⅱ)")
    res = service.estimate_json(
        db,
        request(
            items=[{"entry": eid, "unit_price": "6.00", "quantity": 4, "confirmed": ["restriction"]}],
            policy={"first_self_pay": "0.10", "fund_ratio": "0.80"},
        ),
    )
    line = res["lines"][0]
    assert amounts(
        line, "total", "over_standard", "first_self_pay", "policy_scope", "fund", "coinsurance", "patient_total"
    ) == ("24.00", "2.00", "2.20", "19.80", "15.84", "3.96", "8.16")
    assert line["payment_standard_shown"] == "5.50元(0.4ml:0.2mg/支)" and line["confidential"] is False
    assert_consistent(res)


def test_mixed_class_a_and_b_basket(db):
    # 阿莫西林 (甲) 12.50 x 2 and 玛巴洛沙韦片 (乙, restriction confirmed) 33.30 x 1; 20.00 deductible left.
    # 甲: r = 0 whatever the request says (凡例 rule, fixed); deductible 20.00; fund 5.00 x 0.7 = 3.50.
    # 乙: first 3.33; scope 29.97; fund 20.979 -> 20.98; coinsurance 8.99.
    res = service.estimate_json(
        db,
        request(
            deductible_remaining="20.00",
            items=[
                {"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "12.50", "quantity": 2},
                {"entry": find(db, "玛巴洛沙韦片"), "unit_price": "33.30", "quantity": 1, "confirmed": ["restriction"]},
            ],
            policy={"first_self_pay": "0.10", "fund_ratio": "0.70"},
        ),
    )
    a, b = res["lines"]
    assert amounts(a, "first_self_pay", "deductible", "fund", "coinsurance") == ("0.00", "20.00", "3.50", "21.50")
    assert amounts(b, "first_self_pay", "policy_scope", "fund", "coinsurance") == ("3.33", "29.97", "20.98", "8.99")
    assert amounts(res, "total", "fund", "patient_total") == ("58.30", "24.48", "33.82")
    assert a["class"] == "甲" and b["class"] == "乙"
    assert_consistent(res)


def test_unconfirmed_restriction_is_full_self_pay(db):
    res = service.estimate_json(
        db,
        request(
            items=[{"entry": find(db, "玛巴洛沙韦片"), "unit_price": "33.30", "quantity": 1}],
            policy={"first_self_pay": "0.10", "fund_ratio": "0.70"},
        ),
    )
    line = res["lines"][0]
    assert line["verdict"] == "conditional" and line["full_self_pay"] == "33.30" and line["fund"] == "0.00"
    assert any(r["code"] == "not_confirmed" for r in line["reasons"])


# Jilin dual channel: 依沃西单抗注射液 (confidential "*"), a value as the province would send it.
SECRET = "2345.67"


@pytest.mark.parametrize(
    ("insurance", "group", "first", "scope", "fund", "coins", "patient"),
    [
        # employee 20 %: base 4691.34; over 108.66; first 938.268 -> 938.27; scope 3753.07;
        # fund x 0.80 = 3002.456 -> 3002.46; coinsurance 750.61; patient 108.66 + 938.27 + 750.61.
        ("employee", "general", "938.27", "3753.07", "3002.46", "750.61", "1797.54"),
        # resident 30 %: first 1407.402 -> 1407.40; scope 3283.94; fund 2627.152 -> 2627.15.
        ("resident", "general", "1407.40", "3283.94", "2627.15", "656.79", "2172.85"),
        # 低保 resident 20 % (吉医保联〔2021〕26号): the same figures as an employee.
        ("resident", "dibao", "938.27", "3753.07", "3002.46", "750.61", "1797.54"),
        # 特困 employee 10 %: first 469.134 -> 469.13; scope 4222.21; fund 3377.768 -> 3377.77.
        ("employee", "tekun", "469.13", "4222.21", "3377.77", "844.44", "1422.23"),
    ],
)
def test_jilin_dual_channel(db, insurance, group, first, scope, fund, coins, patient):
    eid = find(db, "依沃西单抗注射液")
    entry = store.get_entry(db, eid)
    confidential.enter(db, entry, "", SECRET)
    settings = Settings(profile="jilin", parameters={"fund_ratio": "0.80"})
    res = service.estimate_json(
        db,
        request(
            profile="jilin",
            insurance=insurance,
            patient_group=group,
            channel="dual_channel",
            items=[
                {
                    "entry": eid,
                    "unit_price": "2400.00",
                    "quantity": 2,
                    "confirmed": ["restriction", "filing", "responsible_physician"],
                }
            ],
        ),
        settings,
    )
    line = res["lines"][0]
    assert line["verdict"] == "covered"
    # Shown: total, fund, patient; the components (over 108.66, first, scope, coinsurance) stay inside.
    assert amounts(line, "total", "fund", "patient_total", "confidential_patient") == (
        "4800.00",
        fund,
        patient,
        patient,
    )
    assert all(line[k] is None for k in ("over_standard", "first_self_pay", "policy_scope", "coinsurance"))
    from decimal import Decimal as D

    assert D(first) + D(coins) + D("108.66") == D(patient) and D(first) + D(scope) == D("4691.34")
    assert line["confidential"] is True and line["payment_standard_shown"] == "保密"
    assert any("吉医保联〔2021〕26号" in a for a in res["assumptions"])
    assert any("本店设置" in a for a in res["assumptions"])  # the fund ratio no notice states
    text = json.dumps(res, ensure_ascii=False)
    assert SECRET not in text and "2345.6" not in text and "234567" not in text.replace(".", "")
    assert_consistent(res)


def test_confidential_standard_from_request_is_never_shown(db):
    eid = find(db, "恩朗苏拜单抗注射液")
    res = service.estimate_json(
        db,
        request(
            profile="jilin",
            channel="dual_channel",
            policy={"fund_ratio": "0.75"},
            items=[
                {
                    "entry": eid,
                    "unit_price": "3999.99",
                    "quantity": 3,
                    "payment_standard": "3876.54",
                    "confirmed": ["restriction", "filing", "responsible_physician"],
                }
            ],
        ),
    )
    # 3999.99 × 3 = 11999.97; S × 3 = 11629.62 (over 370.35); first 20 % = 2325.92; scope 9303.70;
    # fund 75 % = 6977.775 -> 6977.78; coinsurance 2325.92; patient 370.35 + 2325.92 + 2325.92 = 5022.19.
    line = res["lines"][0]
    assert line["verdict"] == "covered" and (line["fund"], line["patient_total"]) == ("6977.78", "5022.19")
    assert line["over_standard"] is None
    assert "3876.54" not in json.dumps(res, ensure_ascii=False) and "370.35" not in json.dumps(res)
    check = service.check(db, eid, date(2025, 3, 1), "jilin", "employee", channel="dual_channel")
    assert "3876.54" not in json.dumps(check.to_json(), ensure_ascii=False)


def test_confidential_standard_not_entered_assumes_price_within(db):
    res = service.estimate_json(
        db,
        request(
            profile="jilin",
            channel="dual_channel",
            policy={"fund_ratio": "0.80"},
            items=[
                {
                    "entry": find(db, "依沃西单抗注射液"),
                    "unit_price": "2400.00",
                    "quantity": 1,
                    "confirmed": ["restriction", "filing", "responsible_physician"],
                }
            ],
        ),
    )
    # 000 四(一): the listed price is not above the standard -> base 2400.00; employee dual channel 20 %:
    # first 480.00; scope 1920.00; fund 80 % = 1536.00; coinsurance 384.00; patient 864.00.
    line = res["lines"][0]
    assert line["verdict"] == "covered" and (line["fund"], line["patient_total"]) == ("1536.00", "864.00")
    assert any(r["code"] == "confidential_assumed_within" for r in line["reasons"])
    assert any("挂网价格不高于支付标准" in a and "四（一）" in a for a in res["assumptions"])


def test_work_injury_with_restricted_drug(db):
    # 玛巴洛沙韦片 (乙, restricted, not confirmed): work injury ignores both; r = 0; fund 0.90 given.
    # total 90.00; scope 90.00; fund 81.00; coinsurance 9.00.
    res = service.estimate_json(
        db,
        request(
            insurance="work_injury",
            policy={"fund_ratio": "0.90", "first_self_pay": "0.30"},
            items=[{"entry": find(db, "玛巴洛沙韦片"), "unit_price": "45.00", "quantity": 2}],
        ),
    )
    line = res["lines"][0]
    assert line["verdict"] == "covered"
    assert amounts(line, "first_self_pay", "policy_scope", "fund", "coinsurance") == ("0.00", "90.00", "81.00", "9.00")


def test_negotiated_drug_after_agreement_end(db):
    # 依沃西单抗注射液 in the 2025 edition, agreement to 2026-12-31; asked on 2027-02-01.
    res = service.estimate_json(
        db,
        request(
            date="2027-02-01",
            items=[
                {
                    "entry": find(db, "依沃西单抗注射液", "2025"),
                    "unit_price": "2400.00",
                    "quantity": 1,
                    "confirmed": ["restriction"],
                }
            ],
        ),
    )
    line = res["lines"][0]
    assert line["verdict"] == "not_covered" and line["full_self_pay"] == "2400.00"
    assert any(r["code"] == "agreement_ended" for r in line["reasons"])


@pytest.mark.parametrize(
    ("day", "verdict", "fund"), [("2025-03-01", "covered", "28.80"), ("2025-07-01", "not_covered", "0.00")]
)
def test_transition_drug(db, day, verdict, fund):
    # 环孢素滴眼液(Ⅲ): dropped after failed renewal, paid at the original standard to 2025-06-30
    # (seed 001). Its original standard is not in our data: the what-if item carries one.
    res = service.estimate_json(
        db,
        request(
            date=day,
            policy={"first_self_pay": "0.20", "fund_ratio": "1.00"},
            items=[
                {
                    "name": "环孢素滴眼液(Ⅲ)",
                    "class": "乙",
                    "payment_standard": "9.50",
                    "unit_price": "9.00",
                    "quantity": 4,
                    "confirmed": ["restriction"],  # the 2023 remark, not shipped, checked by staff
                }
            ],
        ),
    )
    line = res["lines"][0]
    assert line["verdict"] == verdict
    # covered: total 36.00; first 7.20; scope 28.80; fund x 1.00 = 28.80; patient 7.20.
    assert line["fund"] == fund
    codes = {r["code"] for r in line["reasons"]}
    assert ("transition" in codes) if verdict == "covered" else ("transition_ended" in codes)


def test_hunan_single_payment(db):
    # TEST ASSUMPTION: Hunan's 2025 single-payment list (268 names) is not public here; we put the
    # real negotiated drug 恩朗苏拜单抗注射液 on it to exercise the notice's rule (no deductible,
    # fund 70 % employees / 60 % residents). The first self-pay is not stated: the request gives 10 %.
    ov.store_overlay(
        db,
        ov.OverlayInfo(
            "hunan-single-payment-2025",
            ov.SINGLE_PAYMENT,
            "hunan",
            "湖南单行支付（测试）",
            complete=False,
            effective_start=date(2025, 1, 1),
            effective_end=date(2025, 12, 31),
        ),
        [ov.OverlayItem("恩朗苏拜单抗", "add", "注射剂")],
    )
    eid = find(db, "恩朗苏拜单抗注射液")
    results = {}
    for insurance in ("employee", "resident"):
        results[insurance] = service.estimate_json(
            db,
            request(
                profile="hunan",
                insurance=insurance,
                channel="dual_channel",
                deductible_remaining="300.00",
                policy={"first_self_pay": "0.10"},
                items=[
                    {
                        "entry": eid,
                        "unit_price": "1480.00",
                        "quantity": 1,
                        "payment_standard": "1500.00",
                        "confirmed": ["restriction", "e_prescription", "treatment_approval", "responsible_physician"],
                    }
                ],
            ),
        )
    emp, res = results["employee"], results["resident"]
    # base 1480.00 (price under the standard); first 148.00; scope 1332.00; no deductible;
    # employee fund 70 % = 932.40, coinsurance 399.60, patient 547.60; resident 60 % = 799.20.
    # 恩朗苏拜单抗 is "*": its components are folded; 148.00 + 399.60 = 547.60 = confidential_patient.
    assert amounts(emp, "fund", "patient_total", "confidential_patient") == ("932.40", "547.60", "547.60")
    assert amounts(res, "fund", "patient_total", "confidential_patient") == ("799.20", "680.80", "680.80")
    assert any("湘医保发〔2025〕53号" in a for a in emp["assumptions"])
    # On the ordinary outpatient channel the single-payment figures do not apply, and no notice
    # states the outpatient fund ratio: the estimate refuses and says which parameter is missing.
    with pytest.raises(RequestError):
        service.estimate_json(
            db,
            request(
                date="2025-12-31",
                profile="hunan",
                insurance="employee",
                channel="outpatient",
                items=[
                    {
                        "entry": eid,
                        "unit_price": "1480.00",
                        "quantity": 1,
                        "payment_standard": "1500.00",
                        "confirmed": ["restriction"],
                    }
                ],
            ),
        )


def test_pieces_alone_in_the_basket(db):
    piece = {"entry": find(db, "人参片"), "unit_price": "3.20", "quantity": 10, "confirmed": ["restriction"]}
    pol = {"first_self_pay": "0", "fund_ratio": "0.70"}
    alone = service.estimate_json(db, request(items=[piece], policy=pol))
    assert alone["lines"][0]["full_self_pay"] == "32.00"
    mixed = service.estimate_json(
        db, request(items=[piece, {"entry": find(db, "人工牛黄"), "unit_price": "1.00", "quantity": 1}], policy=pol)
    )
    assert mixed["lines"][0]["fund"] == "22.40"


def test_result_has_the_contract_keys(db):
    res = service.estimate_json(
        db,
        request(
            items=[{"entry": find(db, "依普利酮片"), "unit_price": "2.00", "quantity": 30, "spec": "50mg/片"}],
            policy={"first_self_pay": "0.10", "fund_ratio": "0.80"},
        ),
    )
    for key in (
        "date",
        "profile",
        "profile_label",
        "insurance",
        "patient_group",
        "channel",
        "edition",
        *AMOUNTS,
        "lines",
        "assumptions",
        "warnings",
    ):
        assert key in res
    line = res["lines"][0]
    for key in (
        "entry",
        "name",
        "dosage_form",
        "spec",
        "quantity",
        "unit_price",
        "class",
        "flags",
        "confidential",
        "payment_standard_shown",
        "verdict",
        "reasons",
        *AMOUNTS,
    ):
        assert key in line
    assert res["edition"] == "2024年版（修订版）" and line["spec"] == "50mg/片"
    assert line["payment_standard_shown"] == "2.09元(50mg/片)" and line["over_standard"] == "0.00"


def test_multiple_standards_without_spec_use_the_lowest(db):
    res = service.estimate_json(
        db,
        request(
            items=[{"entry": find(db, "依普利酮片"), "unit_price": "2.00", "quantity": 10}],
            policy={"first_self_pay": "0.10", "fund_ratio": "0.80"},
        ),
    )
    assert res["lines"][0]["over_standard"] == "7.70"  # (2.00 - 1.23) x 10
    assert any("规格" in w for w in res["warnings"])


def test_every_problem_is_reported_at_once(db):
    bad = {
        "date": "2025-02-30",
        "profile": "shanghai",
        "insurance": "gold",
        "patient_group": "vip",
        "channel": "post",
        "items": [
            {"entry": "2024-00000000", "unit_price": "1.00", "quantity": 1},
            {"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "12.345", "quantity": 0},
            {"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "abc", "quantity": -2},
            {"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "1", "quantity": 1.5},
        ],
    }
    with pytest.raises(RequestError) as err:
        service.estimate_json(db, bad)
    problems = err.value.problems
    text = "\n".join(problems)
    for needle in (
        "2025-02-30",
        "shanghai",
        "gold",
        "vip",
        "post",
        "2024-00000000",
        "12.345",
        "abc",
        "1.5",
        "“0”",
        "“-2”",
    ):
        assert needle in text, needle
    assert len(problems) == 11


def test_missing_parameter_says_which(db):
    with pytest.raises(RequestError) as err:
        service.estimate_json(
            db,
            request(
                items=[
                    {
                        "entry": find(db, "玛巴洛沙韦片"),
                        "unit_price": "10.00",
                        "quantity": 1,
                        "confirmed": ["restriction"],
                    }
                ]
            ),
        )
    text = "\n".join(err.value.problems)
    assert "first_self_pay" in text and "设置" in text
    # A class A drug needs no first self-pay; without a fund ratio the estimate still answers and marks
    # the fund's share unset (issue 11), never a refusal of the whole basket.
    res = service.estimate_json(
        db,
        request(items=[{"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "1.00", "quantity": 1}]),
    )
    assert res["fund"] is None and res["policy_scope"] == "1.00" and res["fund_unset"] == "未设置统筹支付比例"
    assert any("统筹支付比例" in w for w in res["warnings"])
    assert not any("fund_ratio" in w for w in res["warnings"])  # staff read Chinese, never the setting's key


def test_default_deductible_and_cap_are_stated(db):
    res = service.estimate_json(
        db,
        request(
            deductible_remaining=None,
            items=[{"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "1.00", "quantity": 1}],
            policy={"fund_ratio": "0.5"},
        ),
    )
    assert "起付线按已付清计算（未提供剩余起付线）。" in res["assumptions"]
    assert any("未达限额" in a for a in res["assumptions"])


def test_missing_date_means_today_and_says_so(db):
    res = service.estimate_json(
        db,
        request(
            date=None,
            items=[{"name": "某药", "class": "甲", "unit_price": "5.00", "quantity": 1}],
            policy={"fund_ratio": "0.50"},
        ),
    )
    assert res["date"] == date.today().isoformat()
    assert any("按今天" in a for a in res["assumptions"])
