"""What a scanner (or a clerk) typed: the kind of code, validated.

* ``ean13``: the box barcode, 13 digits with a GS1 check digit (``stdnum.ean``).
* ``drug_standard_code``: 药品本位码, 14 digits starting 86; its last digit is the GS1 mod-10 check
  digit of GB 18937 (the same computation as a GTIN-14, ``stdnum.ean``).
* ``trace_code``: 药品追溯码, 20 digits; the first 7 are the 药品标识码 (product and pack level).
* ``insurance_code``: 医保药品代码, ``X`` + 22 characters (Western) or ``Z`` + 19 (Chinese patent).

>>> recognise("6901234567892").kind
'ean13'
>>> recognise("86900166000077").kind
'drug_standard_code'
>>> recognise("86900166000078").problem
'药品本位码校验位不符（应为 7），请重新扫描或核对包装上的号码。'
>>> recognise("81234560000000000001").prefix
'8123456'
>>> recognise("xj01caa040a001010102699").value
'XJ01CAA040A001010102699'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import ean

EAN13, STANDARD, TRACE, INSURANCE, UNKNOWN = "ean13", "drug_standard_code", "trace_code", "insurance_code", "unknown"

KIND_LABELS = {
    EAN13: "商品条形码（EAN-13）",
    STANDARD: "药品本位码",
    TRACE: "药品追溯码",
    INSURANCE: "医保药品代码",
    UNKNOWN: "无法识别的号码",
}

#: 医保药品代码: X + category (letter, 2 digits, 2 letters) + 17; Z + 19 letters/digits.
INSURANCE_CODE = re.compile(r"(X[A-Z]\d{2}[A-Z]{2}[A-Z0-9]{17}|Z[A-Z][A-Z0-9]{18})")
TRACE_PREFIX_LEN = 7


@dataclass(frozen=True)
class Code:
    kind: str
    value: str
    #: Why the code is not usable (a wrong check digit, an unknown length); None when valid.
    problem: str | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None and self.kind != UNKNOWN

    @property
    def prefix(self) -> str | None:
        """The 药品标识码 of a 追溯码."""
        return self.value[:TRACE_PREFIX_LEN] if self.kind == TRACE else None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _check(value: str, what: str) -> str | None:
    expected = ean.calc_check_digit(value[:-1])
    if expected != value[-1]:
        return f"{what}校验位不符（应为 {expected}），请重新扫描或核对包装上的号码。"
    return None


def recognise(text: str) -> Code:
    """The kind of ``text``, with a problem when it has the shape of a code but fails its check."""
    value = re.sub(r"[\s-]", "", text or "").upper()
    if value.isdigit():
        if len(value) == 13:
            return Code(EAN13, value, _check(value, "条形码"))
        if len(value) == 14 and value.startswith("86"):
            return Code(STANDARD, value, _check(value, "药品本位码"))
        if len(value) == 20:
            return Code(TRACE, value)
        return Code(UNKNOWN, value, _unknown_digits(value))
    if value[:1] in ("X", "Z") and value.isalnum():
        if INSURANCE_CODE.fullmatch(value):
            return Code(INSURANCE, value)
        if len(value) >= 18:
            return Code(
                UNKNOWN,
                value,
                f"“{value}”不是有效的医保药品代码：西药为 X 开头 23 位，中成药为 Z 开头 20 位"
                f"（此号码 {len(value)} 位）。",
            )
    return Code(UNKNOWN, value, None)


def _unknown_digits(value: str) -> str:
    return (
        f"无法识别的号码（{len(value)} 位数字）：条形码为 13 位，药品本位码为 86 开头 14 位，"
        "药品追溯码为 20 位。请重新扫描，或在搜索框中输入药品名称。"
    )


def gs1_valid(digits: str) -> bool:
    """The GS1 mod-10 check of a digit string, inline for bulk imports (same result as ``stdnum.ean``).

    >>> gs1_valid("86900166000077"), gs1_valid("86900166000078")
    (True, False)
    """
    odd = sum(map(int, digits[-2::-2]))
    even = sum(map(int, digits[-3::-2]))
    return (10 - (3 * odd + even) % 10) % 10 == int(digits[-1])


def is_standard_code(value: str) -> bool:
    """A valid 药品本位码 (14 digits, 86…, check digit)."""
    code = recognise(value)
    return code.kind == STANDARD and code.valid


def short_trace(code: str) -> str:
    """A 追溯码 shortened for a narrow roll: the 药品标识码, an ellipsis and the last six digits.

    >>> short_trace("81234560000000000001")
    '8123456…000001'
    """
    return code if len(code) <= 14 else f"{code[:TRACE_PREFIX_LEN]}…{code[-6:]}"
