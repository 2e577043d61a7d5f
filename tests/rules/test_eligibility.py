"""Eligibility verdicts on real catalogue rows and the overlays the notices state."""

from __future__ import annotations

import json
from datetime import date

import pytest

from desktop.errors import NotFound, RequestError
from desktop.rules import service
from desktop.rules.eligibility import REASON_CODES
from desktop.storage import overlays as ov
from tests.rules.conftest import find

MAR_2025 = date(2025, 3, 1)


def check(db, name, *, day=MAR_2025, profile="national", insurance="employee", edition="2024", form=None, **kw):
    return service.check(db, find(db, name, edition, form), day, profile, insurance, **kw)


def codes(result):
    return [r.code for r in result.reasons]


def test_class_a_outpatient_is_covered_with_the_edition_in_force(db):
    e = check(db, "阿莫西林", form="口服常释剂型")
    assert e.verdict == "covered"
    assert "class_a" in codes(e) and e.edition == "2024年版（修订版）" and e.edition_note is None
    # In 2026 the 2025 edition answers, although the id was taken from the 2024 edition.
    e26 = check(db, "阿莫西林", form="口服常释剂型", day=date(2026, 2, 1))
    assert e26.verdict == "covered" and e26.edition == "2025年版（正式公布）"


def test_date_before_every_edition_is_unknown_with_a_note(db):
    e = check(db, "阿莫西林", form="口服常释剂型", day=date(2024, 6, 1))
    assert e.verdict == "unknown" and "edition_outside" in codes(e)
    assert e.edition_note and "2024-06-01" in e.edition_note
    assert e.to_json()["edition_note"] == e.edition_note


def test_restricted_class_b_needs_confirmation(db):
    e = check(db, "玛巴洛沙韦片")
    assert e.verdict == "conditional"
    assert [c.code for c in e.conditions] == ["restriction"]
    assert "流感" in e.conditions[0].text
    ok = check(db, "玛巴洛沙韦片", confirmed=frozenset({"restriction"}))
    assert ok.verdict == "covered" and "confirmed" in codes(ok) and not ok.conditions


def test_second_line_is_a_separate_condition(db):
    e = check(db, "乌帕替尼缓释片")
    assert {c.code for c in e.conditions} == {"restriction", "second_line"}
    assert check(db, "乌帕替尼缓释片", confirmed=frozenset({"restriction"})).verdict == "conditional"
    assert check(db, "乌帕替尼缓释片", confirmed=frozenset({"restriction", "second_line"})).verdict == "covered"


def test_work_injury_only_drug(db):
    name = db.execute("select name from entry where flags like '%限工伤%' limit 1").fetchone()[0]
    assert check(db, name, insurance="employee").verdict == "not_covered"
    assert "work_injury_only" in codes(check(db, name, insurance="resident"))
    wi = check(db, name, insurance="work_injury")
    assert wi.verdict == "covered" and "work_injury_listed" in codes(wi)


def test_work_injury_ignores_restrictions_and_class(db):
    e = check(db, "乌帕替尼缓释片", insurance="work_injury")
    assert e.verdict == "covered" and not e.conditions
    assert {"work_injury_no_restriction", "no_class_distinction"} <= set(codes(e))


def test_maternity_only_drug(db):
    name = db.execute("select name from entry where flags like '%限生育%' limit 1").fetchone()[0]
    assert check(db, name, insurance="maternity").verdict == "covered"
    assert check(db, name, insurance="employee").verdict == "not_covered"
    resident = check(db, name, insurance="resident")  # residents' childbirth costs (凡例 十一 4)
    assert resident.verdict == "conditional" and "maternity_resident" in codes(resident)
    assert check(db, name, insurance="resident", confirmed=frozenset({"restriction"})).verdict == "covered"


def test_parenteral_nutrition_never_at_a_pharmacy(db):
    name = db.execute("select name from entry where flags like '%限住院营养%'").fetchone()[0]
    e = check(db, name, insurance="work_injury")
    assert e.verdict == "not_covered" and "inpatient_nutrition" in codes(e)


def test_enteral_nutrition_needs_screening(db):
    e = check(db, "肠内营养剂(SP)")
    assert e.verdict == "conditional" and "nutrition_screening" in codes(e)


def test_group_product_and_pieces_and_musk(db):
    assert "group_product" in codes(check(db, "缓解感冒症状的复方OTC制剂"))
    piece = check(db, "人参片")
    assert piece.verdict == "conditional" and "piece_alone" in codes(piece)
    assert check(db, "人工牛黄").verdict == "covered"  # a paid piece, no □
    assert check(db, "牛黄").verdict == "not_covered"  # never-paid pieces list
    musk = check(db, "麝香保心丸")
    assert musk.verdict == "conditional" and "natural_musk_bezoar" in codes(musk)
    # 安宫牛黄丸: bezoar and 限急诊或住院患者, merged into one restriction condition.
    angong = check(db, "安宫牛黄丸")
    assert [c.code for c in angong.conditions] == ["restriction"] and "住院" in angong.conditions[0].text


def test_commercial_list_is_not_paid(db):
    e = check(db, "注射用维拉苷酶β", edition="2025", day=date(2026, 3, 1))
    assert e.verdict == "not_covered" and "commercial_list" in codes(e)


def test_uninsured(db):
    assert check(db, "阿莫西林", form="口服常释剂型", insurance="uninsured").verdict == "not_covered"


def test_negotiated_drug_after_agreement_ended(db):
    # 依沃西单抗注射液 in the 2025 edition: agreement 2026-01-01 to 2026-12-31.
    inside = check(db, "依沃西单抗注射液", edition="2025", day=date(2026, 6, 1), confirmed=frozenset({"restriction"}))
    assert inside.verdict == "covered" and "agreement" in codes(inside)
    after = check(db, "依沃西单抗注射液", edition="2025", day=date(2027, 2, 1), confirmed=frozenset({"restriction"}))
    assert after.verdict == "not_covered" and "agreement_ended" in codes(after)


def test_confidential_standard_is_flagged_never_shown(db):
    e = check(db, "依沃西单抗注射液")
    assert "confidential_standard" in codes(e)
    text = json.dumps(e.to_json(), ensure_ascii=False)
    assert "payment_standard" not in text  # no key that could carry a value


def test_jilin_dual_channel_listed_needs_filing_and_physician(db):
    e = check(db, "依沃西单抗注射液", profile="jilin", channel="dual_channel")
    assert e.dual_channel is not None and e.dual_channel.status == "listed"
    assert {c.code for c in e.conditions} == {"restriction", "filing", "responsible_physician"}
    ok = check(
        db,
        "依沃西单抗注射液",
        profile="jilin",
        channel="dual_channel",
        confirmed=frozenset({"restriction", "filing", "responsible_physician"}),
    )
    assert ok.verdict == "covered"
    assert ok.to_json()["dual_channel"]["requirements"] == ["filing", "responsible_physician"]


def test_jilin_dual_channel_removed_and_partial_list(db):
    removed = check(db, "玛巴洛沙韦片", profile="jilin", channel="dual_channel")  # 口服常释, removed 2025
    assert removed.verdict == "not_covered" and "dual_channel_removed" in codes(removed)
    iron = check(db, "异麦芽糖酐铁注射液", profile="jilin", channel="dual_channel")
    assert iron.dual_channel.status == "removed"
    # 乌帕替尼缓释片 is 缓释控释; the notice removed 乌帕替尼 口服常释, and the catalogue has no other form of
    # 乌帕替尼: the removal applies to it (凡例 七/八: same generic, oral family) and the answer says so.
    upa = check(db, "乌帕替尼缓释片", profile="jilin", channel="dual_channel")
    assert upa.verdict == "not_covered" and "dual_channel_removed" in codes(upa)
    differs = [x for x in upa.reasons if x.code == "overlay_form_differs"]
    assert len(differs) == 1 and "口服常释剂型" in differs[0].text and "缓释控释剂型" in differs[0].text
    # A drug the partial list does not name stays unknown, with the overlay's own note, never "not listed".
    other = check(db, "依普利酮片", profile="jilin", channel="dual_channel")
    assert other.verdict == "unknown" and "dual_channel_unknown" in codes(other)
    assert other.dual_channel.note and "附件2" in other.dual_channel.note
    # The same drug outside the dual channel is an ordinary class B negotiated drug.
    assert check(db, "乌帕替尼缓释片", profile="jilin").verdict == "conditional"


def test_complete_list_can_say_not_listed(db):
    ov.store_overlay(
        db,
        ov.OverlayInfo("t-complete", ov.DUAL_CHANNEL, "weihai", "完整清单（测试）", complete=True),
        [ov.OverlayItem("依沃西单抗", "add", "注射剂")],
    )
    e = check(db, "恩朗苏拜单抗注射液", profile="weihai", channel="dual_channel")
    assert e.verdict == "not_covered" and "dual_channel_not_listed" in codes(e)


def test_hunan_dual_channel_needs_e_prescription_from_2025(db):
    e = check(db, "依沃西单抗注射液", profile="hunan", channel="dual_channel", confirmed=frozenset({"restriction"}))
    # The single-payment list is only a frame (no names): unknown, plus the e-prescription rule.
    assert e.verdict == "unknown" and "dual_channel_unknown" in codes(e)
    assert [c.code for c in e.conditions] == ["e_prescription", "treatment_approval", "responsible_physician"]


def test_jilin_two_diseases(db):
    # named in seed 001; the benefit is one of residents (医保发〔2019〕54号)
    e = check(db, "依普利酮片", profile="jilin", insurance="resident", channel="two_diseases")
    assert e.verdict == "covered" and "two_diseases_listed" in codes(e)
    other = check(db, "阿莫西林", form="口服常释剂型", profile="jilin", insurance="resident", channel="two_diseases")
    assert other.verdict == "unknown" and "two_diseases_unknown" in codes(other)


def test_weihai_high_value_needs_three_fixed(db):
    ov.store_overlay(
        db,
        ov.OverlayInfo("t-hv", ov.HIGH_VALUE, "weihai", "高值药品（测试）", complete=False),
        [ov.OverlayItem("恩朗苏拜单抗", "add", "注射剂")],
    )
    e = check(db, "恩朗苏拜单抗注射液", profile="weihai", confirmed=frozenset({"restriction"}))
    assert "high_value" in codes(e) and [c.code for c in e.conditions] == ["three_fixed"]


def test_bad_query_reports_every_problem(db):
    eid = find(db, "阿莫西林", "2024", "口服常释剂型")
    with pytest.raises(RequestError) as err:
        service.check(db, eid, MAR_2025, "shanghai", "rich", "vip", "mail", frozenset({"magic"}))
    assert len(err.value.problems) == 5
    with pytest.raises(NotFound):
        service.check(db, "2024-00000000", MAR_2025, "national", "employee")


def test_every_reason_code_is_known(db):
    seen = set()
    for name in ("阿莫西林", "玛巴洛沙韦片", "乌帕替尼缓释片", "人参片", "麝香保心丸", "依沃西单抗注射液"):
        for profile, channel in (("jilin", "dual_channel"), ("national", "outpatient"), ("jilin", "two_diseases")):
            form = "口服常释剂型" if name == "阿莫西林" else None
            seen |= set(codes(check(db, name, profile=profile, channel=channel, form=form)))
    assert seen <= set(REASON_CODES)
