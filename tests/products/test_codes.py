"""Tests for desktop/products/codes.py: what a scanner typed, validated."""

from __future__ import annotations

import re

import pytest
from stdnum import ean

from desktop.products import codes


def test_every_real_standard_code_in_the_products_csv_validates() -> None:
    from tests.products.conftest import PRODUCTS_CSV

    text = PRODUCTS_CSV.read_text(encoding="utf-8-sig")
    found = set(re.findall(r"(?<!\d)86\d{12}(?!\d)", text))
    assert len(found) > 3000
    bad = [c for c in found if not codes.is_standard_code(c)]
    assert bad == []


def test_the_bundled_products_csv_is_the_official_file_cross_check_shared(shared_data) -> None:  # type: ignore[no-untyped-def]
    from tests.products.conftest import PRODUCTS_CSV

    assert PRODUCTS_CSV.read_bytes() == (shared_data / "products" / "export_第一批药品_NHSA风格.csv").read_bytes()


@pytest.mark.parametrize("wrong", range(10))
def test_a_standard_code_with_any_other_check_digit_is_refused(wrong: int) -> None:
    good = "86900166000077"
    candidate = good[:-1] + str(wrong)
    c = codes.recognise(candidate)
    assert c.kind == codes.STANDARD
    assert c.valid == (candidate == good)
    if candidate != good:
        assert "校验位" in (c.problem or "") and "7" in (c.problem or "")


def test_ean13_check_digit() -> None:
    body = "690123456789"
    good = body + ean.calc_check_digit(body)
    assert codes.recognise(good).valid and codes.recognise(good).kind == codes.EAN13
    bad = body + str((int(good[-1]) + 1) % 10)
    assert not codes.recognise(bad).valid and "条形码校验位" in (codes.recognise(bad).problem or "")


def test_trace_code_prefix_and_insurance_codes() -> None:
    t = codes.recognise(" 8123456 7890123456789 ")
    assert (t.kind, t.prefix, t.valid) == (codes.TRACE, "8123456", True)
    assert codes.recognise("XJ01CAA040A001010102699").kind == codes.INSURANCE
    assert codes.recognise("ZD03AAA0043010100166").kind == codes.INSURANCE
    short = codes.recognise("XJ01CAA040A0010101026")  # 21 characters
    assert short.kind == codes.UNKNOWN and "23 位" in (short.problem or "")


@pytest.mark.parametrize("text", ["12345", "123456789012", "1234567890123456", "12345678901234567890123"])
def test_other_digits_get_a_message_never_an_error(text: str) -> None:
    c = codes.recognise(text)
    assert c.kind == codes.UNKNOWN and not c.valid
    assert f"{len(text)} 位数字" in (c.problem or "")


def test_words_are_no_code() -> None:
    c = codes.recognise("阿莫西林")
    assert c.kind == codes.UNKNOWN and c.problem is None


def test_the_bulk_check_digit_agrees_with_stdnum() -> None:
    import random

    rng = random.Random(1)
    for _ in range(2000):
        body = "86" + "".join(rng.choice("0123456789") for _ in range(11))
        for last in "0123456789":
            assert codes.gs1_valid(body + last) == ean.is_valid(body + last)
