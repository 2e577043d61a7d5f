"""Tests for desktop/receipts/layout.py: what is printed, from the result dict alone."""

from __future__ import annotations

import ast
import copy
import re
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.errors import UserFacingError
from desktop.receipts import layout
from desktop.receipts.layout import FORMATS, Issuer, ReceiptMeta
from desktop.rules.contract import Estimate

ISSUER = Issuer("长春市益民大药房", "P22010200123", "2号收款台", "王芳")
META = ReceiptMeta(
    "P22010200123-20250301-0001", "2025-03-01 10:32:05", "2024-revised-3d19bbc5", "张三", "220***********1239"
)


def _est(result: dict) -> Estimate:
    """The layout prints a typed estimate; these tests write it as the JSON the CLI prints."""
    return Estimate.from_json(result)


def _line(**kw):  # type: ignore[no-untyped-def]
    base = {
        "entry": None,
        "dosage_form": None,
        "spec": None,
        "flags": [],
        "confidential": False,
        "payment_standard_shown": None,
        "verdict": "covered",
        "verdict_label": "可以报销",
        "reasons": [],
        "conditions": [],
        "full_self_pay": "0.00",
        "over_standard": "0.00",
        "first_self_pay": "0.00",
        "policy_scope": "0.00",
        "deductible": "0.00",
        "fund": "0.00",
        "coinsurance": "0.00",
    }
    return {**base, **kw}


# The estimate of conftest.request_json (Jilin employee, outpatient, first self-pay 10 %, fund 70 %):
# 阿伐替尼片 4380.00 with a supplied confidential standard 3187.45 (over 1192.55), 阿莫西林 12.50 x 2 (甲),
# 一贯煎颗粒 10.00 x 3 above its 9.22 standard: over 2.34, first self-pay 27.66 x 10 % = 2.77, policy scope
# 24.89, fund 17.42, 个人自付 7.47. test_pdf checks desktop.rules.service gives these same totals.
# The "*" line's components (over 1192.55, first 318.75, scope 2868.70, 个人自付 860.61) are folded into
# confidential_patient 2371.91 and the basket's components count the public lines only (issue 10).
RESULT = {
    "date": "2025-03-01",
    "profile": "jilin",
    "profile_label": "吉林省",
    "insurance": "employee",
    "insurance_label": "职工医保",
    "patient_group": "general",
    "patient_group_label": "普通参保人员",
    "channel": "outpatient",
    "channel_label": "普通门诊统筹",
    "edition": "2024年版（修订版）",
    "edition_note": None,
    "total": "4435.00",
    "full_self_pay": "0.00",
    "over_standard": "2.34",
    "first_self_pay": "2.77",
    "policy_scope": "49.89",
    "deductible": "0.00",
    "fund": "2043.01",
    "coinsurance": "14.97",
    "confidential_patient": "2371.91",
    "patient_total": "2391.99",
    "assumptions": ["剩余起付线按 0.00 元计算。", "保密支付标准已按本省下发的实际值参与计算，按规定不予显示。"],
    "warnings": [],
    "lines": [
        _line(
            name="阿伐替尼片",
            spec="100mg×30片",
            quantity=1,
            unit_price="4380.00",
            **{"class": "乙"},
            flags=["限定支付范围", "支付标准保密"],
            confidential=True,
            payment_standard_shown="保密",
            total="4380.00",
            over_standard=None,
            first_self_pay=None,
            policy_scope=None,
            deductible=None,
            fund="2008.09",
            coinsurance=None,
            confidential_patient="2371.91",
            patient_total="2371.91",
        ),
        _line(
            name="阿莫西林",
            dosage_form="口服常释剂型",
            quantity=2,
            unit_price="12.50",
            **{"class": "甲"},
            total="25.00",
            policy_scope="25.00",
            fund="17.50",
            coinsurance="7.50",
            patient_total="7.50",
        ),
        _line(
            name="一贯煎颗粒",
            quantity=3,
            unit_price="10.00",
            **{"class": "乙"},
            payment_standard_shown="9.22",
            total="30.00",
            over_standard="2.34",
            first_self_pay="2.77",
            policy_scope="24.89",
            fund="17.42",
            coinsurance="7.47",
            patient_total="12.58",
        ),
    ],
}


def plain(lines: list[layout.Line]) -> list[str]:
    return [ln.plain for ln in lines if ln.plain]


def test_content_lines_in_order() -> None:
    text = plain(layout.logical_lines(_est(RESULT), ISSUER, META))
    expected = [
        "长春市益民大药房",
        "医保药品费用预估单",
        "定点机构编码：P22010200123",
        "收款台：2号收款台　经办人：王芳",
        "单号：P22010200123-20250301-0001",
        "时间：2025-03-01 10:32:05",
        "目录：2024年版（修订版）",
        "目录版本：2024-revised-3d19bbc5",
        "政策：吉林省",
        "预估日期：2025-03-01",
        "患者：张三",
        "证件号：220***********1239",
        "险种：职工医保",
        "人员类别：普通参保人员",
        "待遇类别：普通门诊统筹",
    ]
    assert text[: len(expected)] == expected
    assert "2. 阿莫西林 口服常释剂型" in text
    assert "12.50 × 2 25.00" in text
    assert "乙类　限定支付范围　支付标准保密" in text
    breakdown = [t for t in text if t.split(" ")[0] in {label for _, label in layout.BREAKDOWN}]
    # the public lines' components (a note says so); the confidential line's are one folded figure
    assert breakdown == [
        "总费用 4435.00",
        "全自费 0.00",
        "超支付标准 2.34",
        "先行自付 2.77",
        "政策范围内费用 49.89",
        "起付线 0.00",
        "统筹支付 2043.01",
        "个人自付 14.97",
        "个人负担合计 2391.99",
    ]
    assert "以下超支付标准至个人自付各项不含保密品种：" in text
    assert "保密品种个人负担（不分项） 2371.91" in text
    assert "支付标准：9.22" in text and "其中超支付标准 2.34" in text
    assert text[-1] == layout.DISCLAIMER == "本单为费用预估，以医保结算为准"
    assert "· 保密支付标准已按本省下发的实际值参与计算，按规定不予显示。" in text


def test_confidential_line_prints_no_figure_derived_from_the_standard() -> None:
    text = "\n".join(plain(layout.logical_lines(_est(RESULT), ISSUER, META)))
    for figure in ("3187.45", "1192.55", "318.75", "2868.70", "860.61", "1194.89", "321.52", "875.58", "2918.59"):
        assert figure not in text, figure
    assert "支付标准：保密" in text


def test_an_estimate_without_a_per_line_split_is_refused_when_read() -> None:
    """A line without its own over-standard figure cannot be printed safely: it is not an estimate
    (a "*" line's components are None only beside its folded figure)."""
    result = copy.deepcopy(RESULT)
    del result["lines"][0]["confidential_patient"]
    result["lines"][0]["over_standard"] = None
    with pytest.raises(TypeError):
        _est(result)


def test_amounts_come_from_the_result() -> None:
    result = copy.deepcopy(RESULT)
    result["patient_total"] = "2391.98"
    result["lines"][1]["total"] = "25.01"
    text = plain(layout.logical_lines(_est(result), ISSUER, META))
    assert "个人负担合计 2391.98" in text and "12.50 × 2 25.01" in text


def test_missing_amount_or_float_is_a_bug_not_a_guess() -> None:
    result = copy.deepcopy(RESULT)
    del result["fund"]
    with pytest.raises(KeyError, match="fund"):
        _est(result)
    result = copy.deepcopy(RESULT)
    result["total"] = 4435.0
    with pytest.raises(TypeError):
        _est(result)


def test_not_covered_line_says_why_and_what_to_confirm() -> None:
    result = copy.deepcopy(RESULT)
    result["lines"][0].update(
        verdict="conditional",
        verdict_label="有条件报销（需确认）",
        reasons=[
            {"code": "edition", "text": "按2024年版（修订版）判断（2025-03-01）。"},
            {"code": "not_confirmed", "text": "有需确认的条件尚未确认，本行按全自费估算"},
        ],
        conditions=[{"code": "filing", "text": "“双通道”备案已审核生效"}],
    )
    text = plain(layout.logical_lines(_est(result), ISSUER, META))
    assert "· 有需确认的条件尚未确认，本行按全自费估算" in text
    assert "· 待确认：“双通道”备案已审核生效" in text
    assert not any("按2024年版" in t for t in text)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("220102199001011239", "220***********1239"),
        ("11010519491231002x", "110***********002X"),
        (" 220102 199001011239 ", "220***********1239"),
        ("A1234567", "****4567"),
        ("12345678", "****5678"),
        ("E12345678", "*****5678"),
        ("1234567", "*******"),
    ],
)
def test_mask_id(raw: str, masked: str) -> None:
    assert layout.mask_id(raw) == masked
    if len(raw.strip()) < 15:  # short numbers: at most 4 characters show
        assert sum(ch != "*" for ch in masked) <= 4


@pytest.mark.parametrize(
    ("bad", "says"),
    [("220102199001011234", "校验位不对"), ("220102199013011236", "出生日期"), ("11010519491231002Y", "校验位")],
)
def test_resident_id_numbers_are_validated(bad: str, says: str) -> None:
    with pytest.raises(UserFacingError, match=says):
        layout.mask_id(bad)


@pytest.mark.parametrize("bad", ["220102-19900101", "张三", "", "1" * 33])
def test_mask_id_refuses_junk(bad: str) -> None:
    with pytest.raises(UserFacingError, match="证件号码无效"):
        layout.mask_id(bad)


def test_issuer_needs_name_and_code() -> None:
    with pytest.raises(UserFacingError, match="药店名称和医保定点机构编码"):
        Issuer.from_settings({"pharmacy_name": "", "institution_code": ""})
    with pytest.raises(UserFacingError, match="编码"):
        Issuer.from_settings({"pharmacy_name": "某店", "institution_code": "P2201 0"})
    assert Issuer.from_settings({"pharmacy_name": "某店", "institution_code": "P1", "staff": "王芳"}).staff == "王芳"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_wrap_fits_the_paper_and_loses_nothing(fmt: str) -> None:
    page = FORMATS[fmt]
    body = layout.logical_lines(_est(RESULT), ISSUER, META)
    rows = layout.wrap(body, page)
    for row in rows:
        scale = layout.TITLE_SCALE if row.style == "title" else 1.0
        used = layout.approx_measure(row.text) + (layout.approx_measure(row.right) + 1 if row.right else 0)
        assert used <= (row.width or page.width_em) / scale - row.indent + 1e-9, row
    squash = lambda lines: "".join("".join(ln.plain.split()) for ln in lines)  # noqa: E731
    assert squash(rows) == squash(body)


def test_no_row_starts_with_closing_punctuation() -> None:
    rows = layout.wrap([layout.Line("· 乙类先行自付比例 20%（吉医保联〔2021〕26号）说明说明说明说明")], FORMATS["58mm"])
    assert len(rows) > 1
    assert all(row.text[0] not in "，。、；：）〕”" for row in rows)


def test_reprint_differs_only_by_the_mark() -> None:
    body = layout.logical_lines(_est(RESULT), ISSUER, META)
    kw = {"number": META.number, "check_value": "AAAA-BBBB-CCCC-DDDD", "qr_payload": "x"}
    original = layout.assemble(body, FORMATS["80mm"], **kw).text_lines()
    again = layout.assemble(body, FORMATS["80mm"], reprint=True, **kw).text_lines()
    assert again[:1] + again[2:] == original and again[1] == layout.REPRINT_MARK


def test_check_value_text_does_not_depend_on_the_paper() -> None:
    body = layout.logical_lines(_est(RESULT), ISSUER, META)
    assert layout.signed_text(body) == layout.signed_text(layout.logical_lines(_est(RESULT), ISSUER, META))
    assert "个人负担合计 2391.99" in layout.signed_text(body)


def test_amount_sum_is_consistent_with_the_engine() -> None:
    """The printed breakdown adds up: the public components plus the folded confidential part."""
    parts = ("full_self_pay", "over_standard", "first_self_pay", "coinsurance", "confidential_patient")
    assert sum(Decimal(RESULT[p]) for p in parts) == Decimal(RESULT["patient_total"])


def test_receipts_core_imports_no_qt() -> None:
    package = Path(layout.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            assert not any(n.split(".")[0] in {"PySide6", "PyQt5", "PyQt6", "shiboken6"} for n in names), module


def test_a5_header_rows_leave_room_for_the_qr_code() -> None:
    page = FORMATS["a5"]
    rows = layout.wrap(layout.logical_lines(_est(RESULT), ISSUER, META), page)
    assert rows[0].width is None and rows[1].width is None  # the title spans the page above the code
    narrowed = [row for row in rows if row.width is not None]
    assert narrowed and all(row.width == pytest.approx(page.width_em - page.qr_em - 1) for row in narrowed)
    # the rows beside the code cover at least its height
    assert sum(layout.row_height(row, page) for row in narrowed) >= page.qr_em
    body = layout.logical_lines(_est(RESULT), ISSUER, META)
    assert all(row.width is None for row in layout.wrap(body, FORMATS["80mm"]))


# --- 药品追溯码 (issue #13) ------------------------------------------------------------------------

TRACE = ["81055660012345678901", "83917520000456123402", "83917520000456123419"]


def _traced() -> Estimate:
    """RESULT with the packs' codes: one for 阿伐替尼片, two for the two boxes of 阿莫西林."""
    result = copy.deepcopy(RESULT)
    result["lines"][0]["trace_codes"] = TRACE[:1]
    result["lines"][1]["trace_codes"] = TRACE[1:]
    return _est(result)


def _font_measure() -> layout.Measure:
    from desktop.receipts import pdf

    return pdf.measure


def _row_fits(row: layout.Line, page: layout.PageFormat, measure: layout.Measure) -> bool:
    scale = layout.TITLE_SCALE if row.style == "title" else 1.0
    used = (measure(row.text) + (measure(row.right) + 1 if row.right else 0)) * row.scale
    return used <= (row.width or page.width_em) / scale - row.indent + 1e-9


PAPERS = [("58mm", None), *(("58mm", w) for w in (30, 32, 34, 36, 38, 40, 44, 52, 58))]
PAPERS += [("80mm", None), *(("80mm", w) for w in (30, 36, 48, 60, 80)), ("a5", None)]


@pytest.mark.parametrize(("fmt", "printable"), PAPERS)
def test_trace_codes_are_printed_whole_and_nothing_runs_off_the_paper(fmt: str, printable: int | None) -> None:
    """Every code's 20 digits on one row, never split over two; no row wider than the printable width."""
    page = layout.get_format(fmt, printable)
    measure = _font_measure()
    rows = layout.wrap(layout.logical_lines(_traced(), ISSUER, META), page, measure)
    assert [row for row in rows if not _row_fits(row, page, measure)] == []
    texts = [row.text for row in rows]
    for code in TRACE:
        assert len([t for t in texts if code in t]) == 1, code
    # no row holds a piece of a code: every long run of digits is a whole code
    assert {run for t in texts for run in re.findall(r"\d{12,}", t)} <= set(TRACE)
    coded = [row for row in rows if row.style == "code"]
    assert coded and all(row.scale * page.font_size >= layout.TRACE_MIN_PT for row in coded)
    if page.width_em - 1 >= measure(f"{layout.TRACE_LABEL} {TRACE[0]}"):
        # label and code on one row, at the body size, where they fit (58 mm rolls printing 40 mm or more)
        assert all(any(f"{layout.TRACE_LABEL} {code}" in t for t in texts) for code in TRACE)
        assert all(row.scale == 1.0 for row in coded)
    else:
        # a row of their own under one label per line; smaller only when the body size does not fit
        assert texts.count(f"{layout.TRACE_LABEL}：") == 2  # 阿伐替尼片 and 阿莫西林
        alone = [row for row in coded if row.text in TRACE]
        assert len(alone) == 3
        body_fits = 1 + measure(TRACE[0]) <= page.width_em
        assert all((row.scale == 1.0) == body_fits for row in alone)


def test_trace_codes_on_wide_paper_share_a_row() -> None:
    rows = layout.wrap(layout.logical_lines(_traced(), ISSUER, META), FORMATS["a5"], _font_measure())
    assert f"{layout.TRACE_LABEL} {TRACE[1]}{layout.PACK_GAP}{layout.TRACE_LABEL} {TRACE[2]}" in [r.text for r in rows]


def test_a_code_that_cannot_fit_whole_is_shortened_to_its_product_code_and_serial() -> None:
    """Below the narrowest printable width the settings allow (30 mm): 药品标识码 … last digits."""
    from dataclasses import replace

    page = replace(FORMATS["58mm"], printable_mm=20)
    measure = _font_measure()
    rows = layout.wrap(layout.logical_lines(_traced(), ISSUER, META), page, measure)
    assert [row for row in rows if not _row_fits(row, page, measure)] == []
    short = [row for row in rows if row.style == "code" and "…" in row.text]
    assert len(short) == 3
    for row, code in zip(short, TRACE, strict=True):
        head, tail = row.text.split("…")
        assert head == code[:7] and code.endswith(tail) and len(tail) >= layout.TRACE_MIN_TAIL
        assert row.scale * page.font_size >= layout.TRACE_MIN_PT


def test_trace_code_layout_leaves_the_check_value_text_alone() -> None:
    """What the check value covers says "追溯码 <code>" whatever the paper (a 补打 recomputes it)."""
    body = layout.logical_lines(_traced(), ISSUER, META)
    assert [f"{layout.TRACE_LABEL} {code}" in layout.signed_text(body).splitlines() for code in TRACE] == [True] * 3
