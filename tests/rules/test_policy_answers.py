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
    out = service.estimate_json(real_db, request)
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


# --- item 1: lists over time — the newest list in force decides (002 二(一)) ----------------------


def _later_jilin_list(db, items, *, complete=False):
    """A later Jilin dual-channel adjustment (effective 2026-01-01), built for the test from 002 二(一)'s rule
    that the scope is revised yearly and a renewed drug returns; not a published list."""
    from desktop.storage import overlays as ov

    info = ov.OverlayInfo(
        "test-jilin-dual-channel-2025",
        ov.DUAL_CHANNEL,
        "jilin",
        "吉林省“双通道药品”管理范围 2025年调整（测试）",
        complete=complete,
        published=date(2025, 12, 20),
        effective_start=date(2026, 1, 1),
    )
    ov.store_overlay(db, info, [ov.OverlayItem(n, a, f, start=date(2026, 1, 1)) for n, a, f in items])


def test_a_later_addition_beats_an_earlier_removal(real_db_copy):
    from desktop.storage import catalogue as store

    db = store.open_db(real_db_copy)
    upa = eid(db, "乌帕替尼缓释片", "2025")
    before = service.check(db, upa, MAR_2025, "jilin", "employee", channel="dual_channel")
    assert before.dual_channel.status == "removed"
    _later_jilin_list(db, [("乌帕替尼", "add", "缓释控释剂型")])
    # 2026-02-01: the 2025 adjustment (in force from 2026-01-01) is the newest and names it: listed.
    after = service.check(db, upa, date(2026, 2, 1), "jilin", "employee", channel="dual_channel")
    assert after.dual_channel.status == "listed" and "dual_channel_listed" in codes(after)
    assert "2025年调整（测试）" in after.dual_channel.answered_by and "1 个月" in after.dual_channel.answered_by
    # 2025-03-01 the later list is not in force yet: the 2024 removal still answers.
    assert service.check(db, upa, MAR_2025, "jilin", "employee", channel="dual_channel").dual_channel.status == (
        "removed"
    )
    # A later removal beats the earlier addition the same way.
    _later_jilin_list(db, [("依沃西单抗", "remove", "注射剂")])
    ivo = service.check(
        db, eid(db, "依沃西单抗注射液", "2025"), date(2026, 2, 1), "jilin", "employee", channel="dual_channel"
    )
    assert ivo.dual_channel.status == "removed"
    db.close()


def test_a_complete_later_list_supersedes_the_partial_one(real_db_copy):
    from desktop.storage import catalogue as store

    db = store.open_db(real_db_copy)
    _later_jilin_list(db, [("恩朗苏拜单抗", "add", "注射剂")], complete=True)
    ivo = service.check(
        db, eid(db, "依沃西单抗注射液", "2025"), date(2026, 2, 1), "jilin", "employee", channel="dual_channel"
    )
    assert ivo.dual_channel.status == "not_listed" and "dual_channel_not_listed" in codes(ivo)
    db.close()


def test_the_2024_jilin_list_applied_in_2026_carries_a_caveat(real_db):
    # 002 二(一): the scope is adjusted yearly; the shipped 2024 adjustment took effect 2025-01-01.
    ivo = eid(real_db, "依沃西单抗注射液", "2025")
    in_2026 = service.check(real_db, ivo, date(2026, 2, 1), "jilin", "employee", channel="dual_channel")
    assert in_2026.dual_channel.status == "listed"
    assert "1 年 1 个月" in in_2026.dual_channel.answered_by  # 2025-01-01 -> 2026-02-01
    outdated = [x for x in in_2026.reasons if x.code == "list_outdated"]
    assert len(outdated) == 1 and outdated[0].source == "吉医保联〔2021〕26号 二（一）"
    ivo24 = eid(real_db, "依沃西单抗注射液", "2024")
    in_2025 = service.check(real_db, ivo24, MAR_2025, "jilin", "employee", channel="dual_channel")
    assert "list_outdated" not in codes(in_2025) and "2 个月" in in_2025.dual_channel.answered_by


def test_renewed_drug_priced_by_the_later_list(real_db_copy):
    from desktop.storage import catalogue as store

    db = store.open_db(real_db_copy)
    _later_jilin_list(db, [("多格列艾汀", "add", "口服常释")])
    request = {
        "date": "2026-02-01",
        "profile": "jilin",
        "insurance": "employee",
        "channel": "dual_channel",
        "items": [
            {
                "entry": eid(db, "多格列艾汀片", "2025"),
                "unit_price": "5.00",
                "quantity": 28,
                "spec": "75mg/片",
                "confirmed": ["restriction", "filing", "responsible_physician"],  # 限2型糖尿病患者
            }
        ],
        "policy": {"fund_ratio": "0.70"},
    }
    # 002 二(三): employee dual-channel first self-pay 20 %. 5.00 × 28 = 140.00 (under 5.39):
    # first self-pay 28.00, policy scope 112.00, fund 70 % = 78.40, coinsurance 33.60, patient 61.60.
    out = service.estimate_json(db, request)
    got = (out["total"], out["first_self_pay"], out["policy_scope"], out["fund"], out["patient_total"])
    assert got == ("140.00", "28.00", "112.00", "78.40", "61.60")
    # On 2025-03-01 only the partial 2024 list is in force, and it does not name the drug: unknown, self-paid.
    request["date"] = "2025-03-01"
    request["items"][0]["entry"] = eid(db, "多格列艾汀片", "2024")
    assert service.estimate_json(db, request)["patient_total"] == "140.00"
    db.close()


# --- item 5: standards read whole ------------------------------------------------------------------


def test_standard_per_box_is_applied(real_db):
    # "479.00元/盒(…)" used to be dropped, so the whole 500.00 was in scope. 001 一: over the standard the
    # patient pays. 500.00 × 1: over 21.00; base 479.00; first self-pay 10 % 47.90; scope 431.10;
    # fund 80 % 344.88; coinsurance 86.22; patient 21.00 + 47.90 + 86.22 = 155.12.
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "items": [
            {
                "entry": eid(real_db, "先诺特韦片/利托那韦片组合包装"),
                "unit_price": "500.00",
                "quantity": 1,
                "confirmed": ["restriction"],
            }
        ],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
    }
    out = service.estimate_json(real_db, request)
    got = (out["over_standard"], out["first_self_pay"], out["policy_scope"], out["fund"], out["patient_total"])
    assert got == ("21.00", "47.90", "431.10", "344.88", "155.12")
    assert out["lines"][0]["payment_standard_shown"].startswith("479.00元/盒(")


# --- item 3: a published standard is national ------------------------------------------------------


def _basket(entry_id: str, price: str, quantity: int, **item) -> dict:
    return {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "items": [{"entry": entry_id, "unit_price": price, "quantity": quantity, "confirmed": ["restriction"], **item}],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
    }


def test_a_request_cannot_replace_a_published_standard(real_db):
    import pytest

    from desktop.errors import RequestError

    # 001 一: 不得自行调整…支付标准. 多格列艾汀片 is published at 5.39元(75mg/片); 9.99 in the request is refused.
    dorz = eid(real_db, "多格列艾汀片")
    with pytest.raises(RequestError) as err:
        service.estimate_json(real_db, _basket(dorz, "9.99", 28, spec="75mg/片", payment_standard="9.99"))
    assert "5.39元(75mg/片)" in str(err.value) and "9.99" in str(err.value)
    # The same figure as published is accepted (and changes nothing): 9.99 × 28 = 279.72; base 5.39 × 28 =
    # 150.92; over 128.80; first 15.09; scope 135.83; fund 108.66; patient 128.80 + 15.09 + 27.17 = 171.06.
    # (Had 9.99 been taken as the standard: fund 201.40, patient 78.32 — 92.74 too little for the patient.)
    out = service.estimate_json(real_db, _basket(dorz, "9.99", 28, spec="75mg/片", payment_standard="5.39"))
    assert (out["over_standard"], out["fund"], out["patient_total"]) == ("128.80", "108.66", "171.06")


# --- item 4: specifications --------------------------------------------------------------------------


def test_an_unlisted_spec_is_not_priced_with_another_specs_standard(real_db):
    # 003 二(三): 多格列艾汀片 150mg/片 has no published standard -> conditional, fully self-paid 9.00 × 14.
    dorz = eid(real_db, "多格列艾汀片")
    out = service.estimate_json(real_db, _basket(dorz, "9.00", 14, spec="150mg/片"))
    line = out["lines"][0]
    assert line["verdict"] == "conditional" and (line["full_self_pay"], line["fund"]) == ("126.00", "0.00")
    note = next(r for r in line["reasons"] if r["code"] == "spec_not_listed")
    assert note["source"] == "湖南省2024年版目录落地执行通知 二（三）"


def test_spec_units_are_normalised(real_db):
    # 0.075g/片 is 75mg/片: standard 5.39. 6.00 × 28 = 168.00; over 0.61 × 28 = 17.08; base 150.92;
    # first 10 % 15.09; scope 135.83; fund 80 % = 108.664 -> 108.66; coinsurance 27.17; patient 59.34.
    dorz = eid(real_db, "多格列艾汀片")
    out = service.estimate_json(real_db, _basket(dorz, "6.00", 28, spec="0.075g×14片"))
    got = (out["over_standard"], out["first_self_pay"], out["fund"], out["coinsurance"], out["patient_total"])
    assert got == ("17.08", "15.09", "108.66", "27.17", "59.34")
    # 依普利酮片 has two: 50mg/片 (2.09) is chosen for "0.05g", 1.23 for 25mg.
    epl = eid(real_db, "依普利酮片")
    out = service.estimate_json(real_db, _basket(epl, "2.00", 10, spec="0.05g/片"))
    assert out["lines"][0]["payment_standard_shown"] == "2.09元(50mg/片)" and out["over_standard"] == "0.00"


# --- item 11: bidding price above the standard -------------------------------------------------------


def test_bidding_drug_above_its_standard_is_flagged(real_db):
    # 000 四(二). 氢溴酸替格列汀片 (竞价, 3.50元(20mg/片)) at 3.80 × 10: over 3.00, and a warning.
    out = service.estimate_json(real_db, _basket(eid(real_db, "氢溴酸替格列汀片"), "3.80", 10, spec="20mg/片"))
    line = out["lines"][0]
    assert out["over_standard"] == "3.00"
    assert any(r["code"] == "bidding_above_standard" for r in line["reasons"])
    assert any("高于支付标准" in w for w in out["warnings"])


# --- item 6: the two-disease benefit is one of 城乡居民医保 --------------------------------------------


def test_two_diseases_refused_for_employees(real_db):
    # 医保发〔2019〕54号: the two-disease outpatient benefit is for residents. A resident gets 替格列汀 listed
    # (seed 000 三(三)); an employee or retiree on the same channel is refused with that reason.
    teneli = eid(real_db, "氢溴酸替格列汀片")
    resident = service.check(real_db, teneli, MAR_2025, "jilin", "resident", channel="two_diseases")
    assert resident.verdict == "covered"
    for insurance in ("employee", "retiree"):
        e = service.check(real_db, teneli, MAR_2025, "jilin", insurance, channel="two_diseases")
        assert e.verdict == "not_covered" and "two_diseases_employee" in codes(e)
        assert next(x for x in e.reasons if x.code == "two_diseases_employee").source == "医保发〔2019〕54号"


# --- item 9: channel per line; verdict and amounts agree -----------------------------------------------


def test_ordinary_drug_in_a_dual_channel_sale_is_an_outpatient_line(real_db):
    # 阿莫西林 (甲, 口服常释) beside 依沃西单抗 (dual channel, seed 001 二(一)) in one dual-channel sale:
    # 12.50 × 2 = 25.00 is class A (first self-pay 0), fund 80 % = 20.00, patient 5.00 — not "不予报销".
    amox = real_db.execute(
        "select e.id from entry e join edition d on d.id = e.edition_id where e.name = '阿莫西林' "
        "and e.dosage_form = '口服常释剂型' and d.name = '2024'"
    ).fetchone()[0]
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "channel": "dual_channel",
        "items": [
            {"entry": amox, "unit_price": "12.50", "quantity": 2},
            {
                "entry": eid(real_db, "依沃西单抗注射液"),
                "unit_price": "2400.00",
                "quantity": 1,
                "confirmed": ["restriction", "filing", "responsible_physician"],
            },
        ],
        "policy": {"fund_ratio": "0.80"},
    }
    out = service.estimate_json(real_db, request)
    amox_line, ivo_line = out["lines"]
    assert amox_line["channel"] == "outpatient" and amox_line["verdict"] == "covered"
    assert (amox_line["fund"], amox_line["patient_total"]) == ("20.00", "5.00")
    assert any(r["code"] == "channel_per_line" for r in amox_line["reasons"])
    assert ivo_line["channel"] == "dual_channel" and ivo_line["verdict"] == "covered"


def test_a_basket_of_only_pieces_is_not_labelled_covered(real_db):
    # 凡例 十六: □ pieces alone are not paid; the line's verdict says so, as its amounts do.
    piece = real_db.execute(
        "select e.id from entry e join edition d on d.id = e.edition_id where e.name = '人参片' and d.name = '2024'"
    ).fetchone()[0]
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "items": [{"entry": piece, "unit_price": "8.00", "quantity": 3, "confirmed": ["restriction"]}],
        "policy": {"first_self_pay": "0", "fund_ratio": "0.80"},
    }
    line = service.estimate_json(real_db, request)["lines"][0]
    assert line["full_self_pay"] == "24.00" and line["verdict"] == "not_covered"


# --- item 10: transition drugs without their original standard --------------------------------------


def test_transition_drug_without_original_standard_warns(real_db):
    # 001 二(三): 环孢素滴眼液(Ⅲ) is paid at its original standard until 2025-06-30, which no shipped file carries.
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "items": [{"name": "环孢素滴眼液(Ⅲ)", "class": "乙", "unit_price": "30.00", "quantity": 1}],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
    }
    out = service.estimate_json(real_db, request)
    line = out["lines"][0]
    assert any(r["code"] == "transition" for r in line["reasons"])
    assert any(r["code"] == "transition_standard_missing" for r in line["reasons"])
    assert any("原支付标准" in w for w in out["warnings"])
    # After 2025-06-30 the transition is over: not paid.
    request["date"] = "2025-07-01"
    assert service.estimate_json(real_db, request)["lines"][0]["full_self_pay"] == "30.00"


# --- issue 11: an estimate without a fund ratio ----------------------------------------------------


def test_without_a_fund_ratio_everything_else_is_answered(real_db):
    # 多格列艾汀片 6.00 × 28 under Jilin outpatient, first self-pay 10 % given, no fund ratio anywhere:
    # over 17.08, first 15.09, policy scope 135.83 are the catalogue's; the fund's share is "未设置统筹支付比例".
    request = _basket(eid(real_db, "多格列艾汀片"), "6.00", 28, spec="75mg/片")
    request["policy"] = {"first_self_pay": "0.10"}
    out = service.estimate_json(real_db, request)
    assert (out["over_standard"], out["first_self_pay"], out["policy_scope"]) == ("17.08", "15.09", "135.83")
    assert out["fund"] is None and out["patient_total"] is None and out["fund_unset"] == "未设置统筹支付比例"
    line = out["lines"][0]
    assert line["fund"] is None and any(r["code"] == "fund_ratio_unset" for r in line["reasons"])
    from desktop.commands.rules import estimate_text
    from desktop.rules.contract import Estimate

    assert any("统筹支付 未设置统筹支付比例" in row for row in estimate_text(Estimate.from_json(out)))


# --- item 7: notes that apply are shown --------------------------------------------------------------


def _dual_list(db, region, items, kind="dual_channel", overlay_id=None):
    """A list for the test (a drug a notice does not name is put on it to exercise the rule)."""
    from desktop.storage import overlays as ov

    info = ov.OverlayInfo(
        overlay_id or f"test-{region}-{kind}",
        kind,
        region,
        f"测试清单（{kind}）",
        complete=False,
        effective_start=date(2025, 1, 1),
    )
    ov.store_overlay(db, info, [ov.OverlayItem(n, "add", f, start=date(2025, 1, 1)) for n, f in items])


def test_jilin_centralized_procurement_keeps_the_current_policy(real_db_copy):
    from desktop.storage import catalogue as store

    db = store.open_db(real_db_copy)
    dorz = eid(db, "多格列艾汀片")
    _dual_list(db, "jilin", [("多格列艾汀", "口服常释")])
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "channel": "dual_channel",
        "items": [
            {
                "entry": dorz,
                "unit_price": "5.00",
                "quantity": 20,
                "spec": "75mg/片",
                "confirmed": ["restriction", "filing", "responsible_physician"],
            }
        ],
        "policy": {"fund_ratio": "0.80"},
    }
    # Without a 集采 list: 002 二(三) dual-channel 20 %: 100.00 -> first 20.00, scope 80.00, fund 64.00,
    # patient 36.00; the note says 集采 drugs keep the current policy and that the list is not loaded.
    out = service.estimate_json(db, request)
    assert (out["first_self_pay"], out["fund"], out["patient_total"]) == ("20.00", "64.00", "36.00")
    notes = [r for r in out["lines"][0]["reasons"] if r["code"] == "policy_note"]
    assert any("集中采购" in r["text"] and r["source"] == "吉医保联〔2021〕26号 二（三）" for r in notes)
    assert any("集中采购" in a for a in out["assumptions"])  # printed on the receipt
    # With a 集采 list naming it, 20 % does not apply: the pharmacy's ordinary 5 % (request) is used:
    # first 5.00, scope 95.00, fund 76.00, patient 24.00.
    _dual_list(db, "jilin", [("多格列艾汀", "口服常释")], kind="centralized_procurement")
    request["policy"]["first_self_pay"] = "0.05"
    out = service.estimate_json(db, request)
    assert (out["first_self_pay"], out["fund"], out["patient_total"]) == ("5.00", "76.00", "24.00")
    db.close()


def test_hunan_and_weihai_notes(real_db):
    dorz = eid(real_db, "多格列艾汀片")
    hunan = service.check(real_db, dorz, MAR_2025, "hunan", "employee", channel="dual_channel")
    texts = [x.text for x in hunan.reasons if x.code == "policy_note"]
    assert any("2025年2月28日" in t for t in texts) and any("3个月" in t for t in texts)
    weihai = service.check(real_db, dorz, MAR_2025, "weihai", "employee", channel="dual_channel")
    texts = [x.text for x in weihai.reasons if x.code == "policy_note"]
    assert any("不少于30种" in t and "不少于20种" in t for t in texts)
    assert any("门诊慢特病" in t for t in texts)


# --- item 8: missing lists lower the verdict ---------------------------------------------------------


def test_weihai_missing_high_value_list_lowers_the_verdict(real_db):
    # 004 一(一)1: 20 high-value drugs under 三定; their list is not shipped -> a negotiated drug is unknown.
    dorz = eid(real_db, "多格列艾汀片")
    e = service.check(real_db, dorz, MAR_2025, "weihai", "employee", confirmed=frozenset({"restriction"}))
    assert e.verdict == "unknown" and "high_value_unknown" in codes(e)
    # 004 一(一): every negotiated drug is under dual-channel management -> listed, with filing and
    # e-prescription (004 二(二)(三)) to confirm, never "unknown" for the dual-channel scope itself.
    dual = service.check(real_db, dorz, MAR_2025, "weihai", "employee", channel="dual_channel")
    assert dual.dual_channel.status == "listed" and "dual_channel_unknown" not in codes(dual)
    assert {"filing", "e_prescription"} <= {c.code for c in dual.conditions}


def test_hunan_dual_channel_conditions_and_missing_ratio_list(real_db):
    import pytest

    from desktop.errors import RequestError

    # 003 五(三): 待遇认定 and the responsible physician are conditions of a Hunan dual-channel sale.
    e = service.check(real_db, eid(real_db, "多格列艾汀片"), MAR_2025, "hunan", "employee", channel="dual_channel")
    assert {"treatment_approval", "responsible_physician", "e_prescription"} <= {c.code for c in e.conditions}
    # 003 二(一): Hunan sets class-B ratios per drug; without that list the message says the list is missing.
    request = _basket(eid(real_db, "多格列艾汀片"), "5.00", 10, spec="75mg/片")
    request.update(profile="hunan", policy={"fund_ratio": "0.70"})
    with pytest.raises(RequestError) as err:
        service.estimate_json(real_db, request)
    assert "本机未导入该清单" in str(err.value) and "二（一）" in str(err.value)


def test_hunan_ratio_rows_per_insurance(real_db_copy):
    # 003 二(一): Hunan sets class-B ratios per drug; a row may be for one insurance type. Two rows for one drug
    # (employee 10 %, resident 15 %), 5.00 × 20 = 100.00 under the 5.39 standard, fund 70 % given:
    # employee first 10.00, scope 90.00, fund 63.00, patient 37.00; resident first 15.00, scope 85.00,
    # fund 59.50, patient 40.50.
    from desktop.storage import catalogue as store
    from desktop.storage import overlays as ov

    db = store.open_db(real_db_copy)
    info = ov.OverlayInfo(
        "test-hunan-ratio",
        ov.SELF_PAY_RATIO,
        "hunan",
        "湖南省自付比例（测试）",
        complete=False,
        effective_start=date(2025, 1, 1),
    )
    ov.store_overlay(
        db,
        info,
        [
            ov.OverlayItem("多格列艾汀", "set", "口服常释", {"ratio": "0.10", "insurance": "employee,retiree"}),
            ov.OverlayItem("多格列艾汀", "set", "口服常释", {"ratio": "0.15", "insurance": "resident"}),
        ],
    )
    got = {}
    for insurance in ("employee", "resident"):
        request = _basket(eid(db, "多格列艾汀片"), "5.00", 20, spec="75mg/片")
        request.update(profile="hunan", insurance=insurance, policy={"fund_ratio": "0.70"})
        out = service.estimate_json(db, request)
        got[insurance] = (out["first_self_pay"], out["policy_scope"], out["fund"], out["patient_total"])
    assert got == {
        "employee": ("10.00", "90.00", "63.00", "37.00"),
        "resident": ("15.00", "85.00", "59.50", "40.50"),
    }
    db.close()
