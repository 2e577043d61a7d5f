"""Derive what the 凡例 says about a row from its published fields: flags, dates, standards."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from desktop.catalogue import records as r
from desktop.catalogue.normalise import clean_text

#: The JSON source replaced every confidential "*" by these words (data/README.md).
CONFIDENTIAL_WORDS = "企业申请价格保密"

_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_PERIOD = re.compile(_DATE + r"\s*[至到\-—~]\s*" + _DATE)
#: "13.60元(1ml:12.5mg/支)", "479.00元/盒(…)", and a spec opened "(" but closed "）" as published.
_STANDARD = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*元\s*(?:/\s*([^\s(（)）\d]{1,2}))?\s*(?:[(（](.*)[)）])?\s*$", re.S)

#: Standards the catalogue states in a note instead of the column ("见备注2"), read from that note.
#: 2024 and 2025 editions, 协议期内谈判药品部分 备注2: "治疗用碘[131I]化钠胶囊的获批规格为37-3700MBq（1-100毫居），
#: 支付阶梯价格方案如下：1-10 59.00；11-50 0.8*59.00=47.20；51-100 0.65*59.00=38.35（元/毫居）".
NOTE_STANDARDS = {
    "见备注2": ("治疗用碘[131I]化钠胶囊", "毫居", ((1, 10, "59.00"), (11, 50, "47.20"), (51, 100, "38.35"))),
}


class StandardError(ValueError):
    """A published payment standard that cannot be read whole (amount and specification)."""


@lru_cache(maxsize=4096)  # a few dozen distinct periods per edition
def parse_period(text: str | None) -> tuple[date | None, date | None]:
    """Parse "2024年1月1日至2025年12月31日" into two dates (None, None when absent).

    >>> parse_period("2024年1月1日至2025年12月31日")
    (datetime.date(2024, 1, 1), datetime.date(2025, 12, 31))
    """
    if not text:
        return None, None
    m = _PERIOD.search(text)
    if not m:
        return None, None
    y1, m1, d1, y2, m2, d2 = (int(g) for g in m.groups())
    return date(y1, m1, d1), date(y2, m2, d2)


def _split_standards(text: str) -> list[str]:
    # Several standards are separated by "；" (and a line break in the JSON source), but the
    # specification inside brackets may itself contain "；" ("[中长链脂肪乳注射液125ml；…]").
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "([（［":
            depth += 1
        elif ch in ")]）］":
            depth -= 1
        if ch in "；;\n" and depth <= 0:
            if "".join(current).strip():
                parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current))
    return parts


def parse_standards(text: str | None, name: str | None = None) -> tuple[r.PaymentStandard, ...]:
    """Parse a published payment standard into amounts per specification.

    >>> parse_standards("13.60元(1ml:12.5mg/支)；66.82元(5ml:100mg/支)")[1]
    PaymentStandard(amount='66.82', spec='5ml:100mg/支', confidential=False, unit=None, tiers=())
    >>> parse_standards("*")
    (PaymentStandard(amount=None, spec=None, confidential=True, unit=None, tiers=()),)
    >>> parse_standards("479.00元/盒(先诺特韦片0.375g/利托那韦片0.1g,每盒30片)")[0].unit
    '盒'

    A part that cannot be read comes back with neither amount nor tiers; ``check_standards``
    refuses such a text.
    """
    if not text or not text.strip():
        return ()
    if text.strip() in ("*", "＊"):
        return (r.PaymentStandard(amount=None, spec=None, confidential=True),)
    out = []
    for part in _split_standards(text):
        m = _STANDARD.match(part.strip())
        if not m:
            out.append(_note_standard(part, name) or r.PaymentStandard(amount=None, spec=clean_text(part)))
            continue
        amount = str(Decimal(m.group(1)).quantize(Decimal("0.01")))
        out.append(r.PaymentStandard(amount=amount, spec=clean_text(m.group(3)), unit=m.group(2) or None))
    return tuple(out)


def _note_standard(part: str, name: str | None) -> r.PaymentStandard | None:
    for marker, (drug, unit, tiers) in NOTE_STANDARDS.items():
        head, _, rest = part.strip().partition("(")
        if head == marker and (name is None or drug in name):
            spec = clean_text(rest[:-1] if rest.endswith((")", "）")) else rest)
            return r.PaymentStandard(amount=None, spec=spec, unit=unit, tiers=tiers)
    return None


def check_standards(text: str | None, name: str | None = None) -> None:
    """Every part of a published standard is read whole (an amount, "*", or a tiered price of a note).

    Raises:
        StandardError: naming the part that cannot be read.
    """
    for std in parse_standards(text, name):
        if std.amount is None and not std.confidential and not std.tiers:
            raise StandardError(f"支付标准“{text}”中的“{std.spec}”无法识别（应为“金额元(规格)”）")


def tiered_amount(std: r.PaymentStandard, units: Decimal) -> Decimal:
    """The standard of ``units`` (e.g. 毫居) under a tiered price: each tier's price for the units in it.

    >>> s = parse_standards("见备注2(每粒)", "治疗用碘[131I]化钠胶囊")[0]
    >>> tiered_amount(s, Decimal(11)), tiered_amount(s, Decimal(100))
    (Decimal('637.20'), Decimal('4395.50'))
    """
    total = Decimal(0)
    previous = 0
    for _start, end, price in std.tiers:
        portion = min(units, Decimal(end)) - previous
        if portion <= 0:
            break
        total += portion * Decimal(price)
        previous = end
    return total.quantize(Decimal("0.01"))


def flags(row: r.SourceRow, inpatient_nutrition: range | None, nutrition_screening: range | None) -> tuple[str, ...]:
    """The markers of a row, derived from its remark, name and the 凡例 number ranges.

    Args:
        row: the row as read from the source.
        inpatient_nutrition: 西药 numbers of 胃肠外营养液 ([十四]: inpatients only).
        nutrition_screening: 西药 numbers of 肠内营养剂 ([十五]: needs risk screening).
    """
    remark = row.remark or ""
    out: list[str] = []
    if "限工伤保险" in remark:
        out.append(r.FLAG_WORK_INJURY)
    if "限生育保险" in remark:
        out.append(r.FLAG_MATERNITY)
    if "二线" in remark:
        out.append(r.FLAG_SECOND_LINE)
    if "◇" in remark or "◇" in row.name_published:
        out.append(r.FLAG_GROUP)
    if row.section == r.PIECES and ("□" in remark or "单独使用时不予支付" in remark or "□" in row.name_published):
        out.append(r.FLAG_PIECE_ALONE)
    number = row.number if row.number is not None else row.star_of
    if row.section == r.WEST and number is not None:
        if inpatient_nutrition and number in inpatient_nutrition:
            out.append(r.FLAG_INPATIENT_NUTRITION)
        if nutrition_screening and number in nutrition_screening:
            out.append(r.FLAG_NUTRITION_SCREENING)
    if row.section in r.PAID_SECTIONS and row.section != r.PIECES and _restricts(remark):
        out.append(r.FLAG_RESTRICTED)
    if row.payment_standard and row.payment_standard.strip() in ("*", "＊"):
        out.append(r.FLAG_CONFIDENTIAL)
    if row.ethnic:
        out.append(r.FLAG_ETHNIC)
    if row.section in (r.PIECES_EXCLUDED, r.COMMERCIAL):
        out.append(r.FLAG_NOT_PAID)
    return tuple(out)


def _restricts(remark: str) -> bool:
    """A remark restricts payment unless it is only the ◇ group marker."""
    return bool(remark.replace("◇", "").strip())


def entry_id(edition_name: str, key: str, section: str) -> str:
    """A stable, short entry id: the same drug in the same section of an edition keeps its id,
    across reloads and revisions of that edition (a saved request still names the drug).

    48 bits of SHA-1: no collision expected even in a 270,000-row catalogue. The section
    takes part so that one drug in two sections (e.g. 中成药 and 谈判) stays two entries.
    """
    digest = hashlib.sha1(f"{section}\x1f{key}".encode()).hexdigest()[:12]
    return f"{edition_name}-{digest}"
