"""What a receipt says, line by line: pure functions over an estimate result, the issuer and receipt meta.

The ``Estimate`` (``desktop.rules.contract``) is the only source of amounts. Nothing
here reads files, the database or the clock, so the same inputs always give the same lines; that is
what makes a 补打 identical to the original and lets a check value be recomputed from the history.

Two stages:

* :func:`logical_lines` says *what* is printed, unwrapped. The check value is computed over these
  lines, so it does not depend on the paper width.
* :func:`wrap` fits them to a paper format given a text-width function (``pdf.measure`` in
  production), and :func:`assemble` adds the reprint mark and the QR footer.

Confidential payment standards (``*`` in the catalogue) are never printed: a confidential line shows
``保密`` and no per-line over-standard, first self-pay, policy-scope or fund figure, since any of them
would let a reader work the standard back out of the unit price. Its over-standard amount is folded
into 个人负担合计 and a note says so.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.errors import UserFacingError
from desktop.paper import FORMATS as FORMATS  # re-exported: callers find the formats with the layout
from desktop.paper import PageFormat as PageFormat
from desktop.paper import mm, printable_width_problem
from desktop.rules.contract import Estimate, EstimateLine, Verdict

#: Fixed text every receipt carries (issue #5).
DISCLAIMER = "本单为费用预估，以医保结算为准"
#: The mark a reprint carries, on its own line under the title; nothing else differs.
REPRINT_MARK = "【补打】"
TITLE = "医保药品费用预估单"

CENT = Decimal("0.01")

Measure = Callable[[str], float]
"""Width of a text in em (multiples of the font size)."""

# (key in the result dict, printed label): the breakdown of DOMAIN.md steps 1-9, in order.
BREAKDOWN = (
    ("total", "总费用"),
    ("full_self_pay", "全自费"),
    ("over_standard", "超支付标准"),
    ("first_self_pay", "先行自付"),
    ("policy_scope", "政策范围内费用"),
    ("deductible", "起付线"),
    ("fund", "统筹支付"),
    ("coinsurance", "个人自付"),
    ("patient_total", "个人负担合计"),
)


#: Reason codes (desktop.rules.eligibility.REASON_CODES) that explain but do not limit payment; a line
#: that is not plainly covered prints its other reasons. ``requirement`` and ``restriction`` reappear
#: as ``conditions`` when still unconfirmed.
INFORMATIONAL_REASONS = frozenset(
    {
        "edition",
        "class_a",
        "class_b",
        "negotiated",
        "pieces",
        "agreement",
        "confidential_standard",
        "confirmed",
        "no_class_distinction",
        "work_injury_listed",
        "maternity_listed",
        "maternity_resident",
        "work_injury_no_restriction",
        "dual_channel_listed",
        "single_payment",
        "two_diseases_listed",
        "critical_illness",
        "requirement",
        "restriction",
        "what_if",
    }
)


#: Size of the title relative to the body font.
TITLE_SCALE = 1.25
#: Height of a separator rule, in em of the body font.
RULE_HEIGHT = 0.7


def row_height(line: Line, fmt: PageFormat) -> float:
    """Height of a printed row in em of the body font."""
    if line.style == "rule":
        return RULE_HEIGHT
    return fmt.leading * (TITLE_SCALE if line.style == "title" else 1.0)


@dataclass(frozen=True)
class Issuer:
    """Who issues the receipt (from the pharmacy settings)."""

    pharmacy_name: str
    institution_code: str
    counter: str = ""
    staff: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> Issuer:
        """Build from ``desktop.settings.Settings`` (or any object/mapping with the same fields).

        Raises:
            UserFacingError: the pharmacy name or designated-institution code is not set.
        """

        def pick(name: str) -> str:
            value = settings.get(name) if isinstance(settings, Mapping) else getattr(settings, name, None)
            return str(value or "").strip()

        issuer = cls(
            pharmacy_name=pick("pharmacy_name"),
            institution_code=pick("institution_code"),
            counter=pick("counter"),
            staff=pick("staff"),
        )
        missing = [
            label
            for label, value in (("药店名称", issuer.pharmacy_name), ("医保定点机构编码", issuer.institution_code))
            if not value
        ]
        if missing:
            raise UserFacingError(
                f"设置中缺少{'和'.join(missing)}，无法开具收据。",
                hint="请先在“设置”中填写药店名称和医保定点机构编码，然后重试。",
            )
        if not re.fullmatch(r"[0-9A-Za-z]{1,32}", issuer.institution_code):
            raise UserFacingError(
                f"医保定点机构编码“{issuer.institution_code}”无效：只能包含字母和数字（最多 32 位）。",
                hint="请在“设置”中按医保部门下发的编码填写，例如 P22010100001。",
            )
        return issuer


@dataclass(frozen=True)
class ReceiptMeta:
    """Facts of one receipt that are not in the estimate result."""

    number: str
    issued_at: str  # 'YYYY-MM-DD HH:MM:SS', local time
    catalogue_version: str = ""
    patient_name: str = ""
    patient_id_masked: str = ""


@dataclass(frozen=True)
class Line:
    """One printed line. ``right`` is drawn flush right (amounts); ``indent`` is in em."""

    text: str = ""
    right: str = ""
    #: title | center | mark (centred, bold) | text | strong | note | rule | code (a 药品追溯码, printed
    #: like a note; ``wrap`` never breaks inside its digits, see ``TRACE_LABEL``)
    style: str = "text"
    indent: float = 0.0
    pack: bool = False  # on wide paper, may share the previous line's row
    width: float | None = None  # em the row was fitted to, when narrower than the paper (beside the QR)
    scale: float = 1.0  # size relative to the font of its style (a trace code on a narrow roll)

    @property
    def plain(self) -> str:
        """The line as text extraction reads it (left part, a space, right part)."""
        return " ".join(part for part in (self.text, self.right) if part)


@dataclass(frozen=True)
class Receipt:
    """A receipt ready to draw: wrapped lines, the QR payload and the check value."""

    format: PageFormat
    number: str
    lines: tuple[Line, ...]
    qr_payload: str
    check_value: str
    reprint: bool = False
    footer: tuple[Line, ...] = field(default=())

    def text_lines(self) -> list[str]:
        """What a text extraction of the PDF should read, one string per printed line."""
        return [line.plain for line in (*self.lines, *self.footer) if line.plain]


# --- small pure helpers --------------------------------------------------------------------------


#: Shorter numbers (passports, 港澳通行证, 社保卡号) show at most their last 4 characters.
SHORT_ID_SHOWN = 4


def mask_id(id_number: str) -> str:
    """Mask an ID number; an 18-digit resident ID number must have a valid check digit.

    Resident ID numbers (15 or 18 characters) keep the first 3 and the last 4 visible (region and
    check digit, as the 医保 forms print them); anything shorter shows at most its last 4 characters,
    and at most half of it; 7 characters or fewer show nothing.

    >>> mask_id("220102199001011239")
    '220***********1239'
    >>> mask_id("G12345678"), mask_id("12345678"), mask_id("1234567")
    ('*****5678', '****5678', '*******')

    Raises:
        UserFacingError: anything but letters and digits, or an 18-digit number whose check digit
            (GB 11643) or birth date is wrong.
    """
    text = id_number.strip().replace(" ", "").upper()
    if not re.fullmatch(r"[0-9A-Z]{1,32}", text):
        raise UserFacingError(
            "证件号码无效：只能包含字母和数字（最多 32 位），请核对后重新输入。",
            hint="身份证号为 18 位，最后一位可以是 X；不打印证件号时可不填。",
        )
    if len(text) == 18 and text[:17].isdigit():
        _check_resident_id(text)
    if len(text) >= 15:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) <= 7:  # nothing could be hidden safely; show none of it
        return "*" * len(text)
    shown = min(SHORT_ID_SHOWN, len(text) // 2)
    return "*" * (len(text) - shown) + text[-shown:]


def _check_resident_id(text: str) -> None:
    """GB 11643 resident ID number: valid birth date and check digit (python-stdnum's cn.ric)."""
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidChecksum, ValidationError

    try:
        ric.validate(text)
    except InvalidChecksum:
        raise UserFacingError(
            f"身份证号码 {text[:3]}…{text[-4:]} 的校验位不对：可能有一位输错了。",
            hint="请对照证件逐位核对后重新输入（最后一位可能是 X）；不打印证件号时可不填。",
        ) from None
    except ValidationError:
        raise UserFacingError(
            f"身份证号码 {text[:3]}…{text[-4:]} 无效：其中的出生日期或地区码不存在。",
            hint="请对照证件逐位核对后重新输入；不打印证件号时可不填。",
        ) from None


def money(value: Any, what: str = "金额") -> str:
    """Format an amount of the result dict ('12.5' -> '12.50'); never goes through float.

    >>> money("7.2")
    '7.20'
    >>> money("0")
    '0.00'
    """
    if isinstance(value, float):  # a float here is a bug upstream: refuse rather than round silently
        raise TypeError(f"{what} is a float ({value!r}); amounts must be Decimal strings")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what} is not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"{what} is not an amount: {value!r}")
    return f"{amount.quantize(CENT):.2f}"


def approx_measure(text: str) -> float:
    """Width in em without a font: wide (CJK) characters 1 em, others 0.55 em.

    Used by tests and as a default; the PDF passes the real font metrics.

    >>> approx_measure("阿莫西林 12.50")
    7.3
    """
    return round(sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text), 4)


# --- stage 1: what is printed --------------------------------------------------------------------


def logical_lines(result: Estimate, issuer: Issuer, meta: ReceiptMeta) -> list[Line]:
    """Every line of the receipt body, unwrapped, in print order (no reprint mark, no QR footer).

    Args:
        result: the estimate (``desktop.rules.service.estimate``, or read back from the history).
        issuer: pharmacy, code, counter and staff from the settings.
        meta: number, time, catalogue version and the (already masked) patient.

    Returns:
        The lines; the check value is computed over their text.
    """
    out: list[Line] = [
        Line(issuer.pharmacy_name, style="title"),
        Line(TITLE, style="center"),
    ]
    out += [Line(text, pack=pack) for text, pack in _head(result, issuer, meta)]
    out.append(Line(style="rule"))
    for i, item in enumerate(result.lines, start=1):
        out += _item_lines(i, item)
    out.append(Line(style="rule"))
    out += _breakdown(result)
    out.append(Line(style="rule"))

    notes = [result.edition_note] if result.edition_note else []
    notes += [*result.assumptions, *result.warnings]
    notes = list(dict.fromkeys(n for n in notes if n))  # the edition note is also a warning: print it once
    if notes:
        out.append(Line("说明："))
        out += [Line(f"· {note}", style="note") for note in notes]
    out.append(Line(DISCLAIMER, style="strong"))
    return out


def _head(result: Estimate, issuer: Issuer, meta: ReceiptMeta) -> list[tuple[str, bool]]:
    """(text, pack) of the header: a packed line may share the previous line's row on wide paper."""
    head: list[tuple[str, bool]] = [(f"定点机构编码：{issuer.institution_code}", False)]
    desk = "　".join(
        p
        for p in (
            f"收款台：{issuer.counter}" if issuer.counter else "",
            f"经办人：{issuer.staff}" if issuer.staff else "",
        )
        if p
    )
    if desk:
        head.append((desk, True))
    head += [
        (f"单号：{meta.number}", False),
        (f"时间：{meta.issued_at}", True),
        (f"目录：{result.edition or '—'}", False),
    ]
    if meta.catalogue_version:
        head.append((f"目录版本：{meta.catalogue_version}", True))
    head += [
        (f"政策：{result.profile_label or result.profile or '—'}", False),
        (f"预估日期：{result.day.isoformat()}", True),
    ]
    if meta.patient_name:
        head.append((f"患者：{meta.patient_name}", False))
    if meta.patient_id_masked:
        head.append((f"证件号：{meta.patient_id_masked}", bool(meta.patient_name)))
    head += [
        (f"险种：{result.insurance.label}", False),
        (f"人员类别：{result.patient_group.label}", True),
        (f"待遇类别：{result.channel.label}", False),
    ]
    return head


def _item_lines(i: int, item: EstimateLine) -> list[Line]:
    head = " ".join(p for p in (item.name, item.dosage_form, item.spec) if p)
    out = [Line(f"{i}. {head}")]
    tags = [f"{item.drug_class}类" if item.drug_class else "目录外/未分类", *item.flags]
    out.append(Line("　".join(tags), indent=1))
    out.append(Line(f"结论：{item.verdict_label}", indent=1, pack=True))
    amounts = item.amounts
    out.append(Line(f"{money(item.unit_price)} × {item.quantity}", right=money(amounts.total), indent=1))
    for code in item.trace_codes:  # 药品追溯码, one per pack sold (packed two a row where the paper is wide)
        out.append(Line(f"{TRACE_LABEL} {code}", style="code", indent=1, pack=True))
    if item.confidential:
        # Never the standard, never a per-line figure derived from it (see the module docstring).
        out.append(Line("支付标准：保密；超出支付标准部分（如有）已计入个人负担合计，不单列", style="note", indent=1))
    else:
        if item.payment_standard_shown:
            out.append(Line(f"支付标准：{item.payment_standard_shown}", indent=1))
        if amounts.over_standard > 0:
            out.append(Line("其中超支付标准", right=money(amounts.over_standard), indent=1))
    if item.verdict != Verdict.COVERED:
        # Why it is not (or not surely) paid; the informational reasons would only fill the roll.
        for reason in item.reasons:
            if reason.text and reason.code not in INFORMATIONAL_REASONS:
                out.append(Line(f"· {reason.text}", style="note", indent=1))
        for condition in item.conditions:
            if condition.text:
                out.append(Line(f"· 待确认：{condition.text}", style="note", indent=1))
    return out


#: Amounts the estimate gives without the "*" lines (their part is confidential_patient).
_FOLDED = ("over_standard", "first_self_pay", "policy_scope", "deductible", "coinsurance")


def _breakdown(result: Estimate) -> list[Line]:
    out: list[Line] = []
    any_confidential = result.any_confidential
    # Folded by the engine: every "*" line carries its folded part (an older saved result has none).
    folded = any_confidential and all(ln.confidential_patient is not None for ln in result.lines if ln.confidential)
    for key, label in BREAKDOWN:
        value: Decimal = getattr(result.amounts, key)
        if key == "patient_total" and folded:
            # The engine folded the "*" lines' components into one figure (desktop.rules.confidential).
            out.append(Line("保密品种个人负担（不分项）", right=money(result.confidential_patient)))
        elif key == "over_standard" and folded:
            # One note instead of a longer label per row (a 58 mm roll has no room for it).
            out.append(Line("以下超支付标准至个人自付各项不含保密品种：", style="note"))
        elif key == "over_standard" and any_confidential:  # a result saved before the engine folded
            hidden = sum((ln.amounts.over_standard for ln in result.lines if ln.confidential), Decimal(0))
            out.append(Line(f"{label}（不含保密品种）", right=money(value - hidden)))
            continue
            continue
        style = "strong" if key == "patient_total" else "text"
        out.append(Line(label, right=money(value), style=style))
    if folded:
        out.append(
            Line("注：保密支付标准药品的超支付标准、先行自付、个人自付等不分项列出，合计计入个人负担。", style="note")
        )
    elif any_confidential:  # a result saved before the engine folded: printed as it was then
        out.append(Line("注：保密支付标准药品超出支付标准的部分已计入个人负担合计，不单列。", style="note"))
    return out


def signed_text(lines: Iterable[Line]) -> str:
    """The text the check value covers: each line's plain text, one per line."""
    return "\n".join(line.plain for line in lines)


# --- stage 2: fit to paper -----------------------------------------------------------------------

#: Characters that must not begin a printed row (Chinese line-breaking rules, 禁则).
_NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉”’,.;:!?)%")
_TOKEN = re.compile(r"[0-9A-Za-z.,:%×*/+\-_()]+|\s+|.", re.S)


def _wrap_text(text: str, first: float, rest: float, measure: Measure) -> list[str]:
    """Greedy wrap to ``first`` em, then ``rest`` em a row.

    Never breaks inside a number or an ASCII word unless that word alone is too wide.
    """
    if measure(text) <= first:
        return [text]
    rows: list[str] = []
    current, used = "", 0.0

    def width() -> float:
        return first if not rows else rest

    for token in _TOKEN.findall(text):
        token_w = measure(token)
        if used + token_w <= width():
            current, used = current + token, used + token_w
            continue
        carry = ""
        if token in _NO_LINE_START and len(current) > 1:
            # 禁则: closing punctuation never starts a row; take the character before it along.
            current, carry = current[:-1], current[-1]
        if current.strip():
            rows.append(current.rstrip())
        current = "" if token.isspace() else carry + token
        while current and measure(current) > width():  # one overlong token: split it by character
            cut = 1
            while cut < len(current) and measure(current[: cut + 1]) <= width():
                cut += 1
            rows.append(current[:cut])
            current = current[cut:]
        used = measure(current)
    if current.strip() or not rows:
        rows.append(current.rstrip())
    return rows


#: Gap between two packed items on one row.
PACK_GAP = "　　"

#: A 药品追溯码 line reads "追溯码 <20 digits>". Where that does not fit the paper (a roll printing
#: narrower than about 40 mm), the label gets a row of its own, once for a line's codes, and each code
#: a row of its own: at the body size when it fits, else smaller down to ``TRACE_MIN_PT``. Only where
#: even that cannot hold 20 digits is the code shortened to its 药品标识码 (the first 7 digits), "…"
#: and as many of its last digits as fit (``trace_rows``). The digits are never broken over two rows.
TRACE_LABEL = "追溯码"
#: At 6 pt a digit of the bundled font is 9 dots wide at 203 dpi, as in a thermal printer's small
#: built-in font (9 x 17 dots): the smallest size a code is printed at.
TRACE_MIN_PT = 6.0
#: The short form keeps at least this many last digits (the pack's serial).
TRACE_MIN_TAIL = 4


def trace_rows(code: str, indent: float, width: float, font_size: float, measure: Measure) -> tuple[str, float]:
    """(text, scale) of the row a trace code gets on its own in ``width`` em (font size ``font_size``):
    the whole code, at the body size or smaller down to ``TRACE_MIN_PT``; else the short form.

    >>> trace_rows("81234567890123456789", 1.0, 20.0, 7.5, approx_measure)
    ('81234567890123456789', 1.0)
    >>> trace_rows("81234567890123456789", 1.0, 10.0, 7.5, approx_measure)
    ('81234567890123456789', 0.8181)
    >>> trace_rows("81234567890123456789", 1.0, 7.0, 7.5, approx_measure)
    ('8123456…56789', 0.8)
    """
    room = width - indent
    smallest = TRACE_MIN_PT / font_size
    full = measure(code)
    if full <= room:
        return code, 1.0
    if full * smallest <= room:
        return code, math.floor(room / full * 10_000) / 10_000  # rounded down: never wider than the room
    for scale in (1.0, smallest):
        for tail in range(len(code) - 8, TRACE_MIN_TAIL - 1, -1):
            short = f"{code[:7]}…{code[-tail:]}"
            if measure(short) * scale <= room:
                return short, scale
    return f"{code[:7]}…{code[-TRACE_MIN_TAIL:]}", smallest


def _heading(line: Line) -> bool:
    return line.style in ("title", "center", "mark")


def wrap(lines: Iterable[Line], fmt: PageFormat, measure: Measure = approx_measure) -> list[Line]:
    """Fit lines to the paper: pack short pairs onto one row, split what is too wide.

    Continuation rows are indented one more em; an amount (``right``) stays on the last row, or
    gets a row of its own when it does not fit. On a format with the QR beside the header, rows
    that start within the QR's height (below the title) are narrowed to leave room for it.

    >>> fmt = FORMATS["58mm"]
    >>> [ln.text for ln in wrap([Line("说明：" + "起付线按已付清计算" * 3)], fmt)]
    ['说明：起付线按已付清计算起付线按已付', '清计算起付线按已付清计算']
    """
    out: list[Line] = []
    y = 0.0  # em from the top of the content
    band: float | None = None  # where the QR band starts (first row under the title), if any
    joinable = False  # the last row is one whole packable line that may take a packed partner
    trace_open = False  # the last row is a trace code on a row of its own, under its label
    width_em, qr_em, beside, leading = fmt.width_em, fmt.qr_em, fmt.qr_beside_header, fmt.leading

    for line in lines:
        style = line.style
        if style == "rule":
            out.append(line)
            y += RULE_HEIGHT
            joinable = trace_open = False
            continue
        heading = style in ("title", "center", "mark")
        if beside and band is None and not heading:
            band = y
        narrowed = band is not None and band <= y < band + qr_em + 0.5
        full = width_em - (qr_em + 1.0 if narrowed else 0.0)
        fitted = full if narrowed else None
        prev = out[-1] if out else None
        if line.pack and joinable and prev is not None and prev.style == style and prev.indent == line.indent:
            merged = prev.text + PACK_GAP + line.text
            if measure(merged) <= (prev.width or width_em) - line.indent:
                out[-1] = Line(merged, style=prev.style, indent=prev.indent, width=prev.width)
                joinable = False
                continue
        scale = TITLE_SCALE if style == "title" else 1.0
        height = leading * scale
        width = full / scale - line.indent
        if style == "code" and measure(line.text) > width:  # a trace code that does not fit with its label
            label, _, code = line.text.rpartition(" ")
            if not (trace_open and prev is not None and prev.style == "code" and prev.indent == line.indent):
                out.append(Line(f"{label}：", style=style, indent=line.indent, width=fitted))
                y += height
            text, size = trace_rows(code, line.indent, full, fmt.font_size, measure)
            out.append(Line(text, style=style, indent=line.indent, width=fitted, scale=size))
            y += height
            joinable, trace_open = False, True
            continue
        trace_open = False
        hang = 0.0 if heading else 1.0
        rows = _wrap_text(line.text, width, width - hang, measure)
        if line.right:
            last_width = width if len(rows) == 1 else width - hang
            if measure(rows[-1]) + 1.0 + measure(line.right) > last_width:
                rows.append("")
        if len(rows) == 1 and rows[0] == line.text and not line.pack and line.width == fitted:
            out.append(line)  # fits as it is: the row is the line itself
            y += height
        else:
            for n, row in enumerate(rows):
                last = n == len(rows) - 1
                out.append(
                    Line(
                        row,
                        right=line.right if last else "",
                        style=style,
                        indent=line.indent + (hang if n else 0.0),
                        width=fitted,
                    )
                )
                y += height
        joinable = len(rows) == 1 and not line.right
    return out


def assemble(
    body: Sequence[Line],
    fmt: PageFormat,
    *,
    number: str,
    check_value: str,
    qr_payload: str,
    reprint: bool = False,
    measure: Measure = approx_measure,
) -> Receipt:
    """Wrap the body for ``fmt`` and add the reprint mark (under the title) and the check footer."""
    lines = list(body)
    if reprint:
        lines.insert(1, Line(REPRINT_MARK, style="mark"))
    footer = (Line(f"校验码：{check_value}", style="center"),)
    return Receipt(
        format=fmt,
        number=number,
        lines=tuple(wrap(lines, fmt, measure)),
        qr_payload=qr_payload,
        check_value=check_value,
        reprint=reprint,
        footer=tuple(wrap(footer, fmt, measure)),
    )


def get_format(name: str, printable_width_mm: float | str | None = None) -> PageFormat:
    """The paper format called ``name`` (58mm, 80mm, a5), for a thermal printer that prints
    ``printable_width_mm`` wide when given (the format's usual width otherwise; A5 ignores it).

    Raises:
        UserFacingError: unknown format, or a printable width the paper cannot have.
    """
    try:
        fmt = FORMATS[name.lower()]
    except KeyError:
        raise UserFacingError(f"纸张格式“{name}”无效。", hint=f"请选择 {'、'.join(FORMATS)} 之一。") from None
    if printable_width_mm in (None, "") or fmt.height_mm is not None:
        return fmt
    problem = printable_width_problem(fmt.name, printable_width_mm)
    if problem:
        raise UserFacingError(problem, hint="请在设置中按打印机说明书填写可打印宽度（58 毫米纸多为 48 毫米）。")
    return replace(fmt, printable_mm=float(mm(printable_width_mm)))
