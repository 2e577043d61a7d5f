"""The copay arithmetic of one settlement: Decimal yuan, half-up to 0.01 at each defined step.

Steps (DOMAIN.md "Estimating the copay"), per line, in basket order:

1. 总费用 total = unit price x quantity (exact: prices have at most two decimals).
2. 全自费 full_self_pay = total when the fund cannot pay the line at all.
3. 超支付标准部分 over_standard = (price - S) x quantity when the price exceeds the payment
   standard S; the base is min(price, S) x quantity.
4. 先行自付 first_self_pay = round(base x r).
5. 政策范围内费用 policy_scope = base - first_self_pay.
6. 起付线 deductible = the part of the patient's remaining deductible this line absorbs
   (lines in order; a line exempt from the deductible absorbs nothing).
7. 统筹支付 fund = min(round((policy_scope - deductible) x ratio), remaining cap).
8. 个人自付 coinsurance = policy_scope - fund.
9. 个人负担合计 patient_total = full_self_pay + over_standard + first_self_pay + coinsurance.

Invariant: total = fund + patient_total, and no component is negative. Totals are sums of
the rounded lines, so the lines always add up to the printed total.

Worked check (class B, price 10.00, r 10 %, deductible paid, ratio 80 %)::

    >>> line = LineInput(Decimal("10.00"), 1, payable=True, first_self_pay=Decimal("0.10"),
    ...                  fund_ratio=Decimal("0.80"))
    >>> [str(x) for x in settle([line], Decimal("0"), None)[0][0].as_tuple()]
    ['10.00', '0.00', '0.00', '1.00', '9.00', '0.00', '7.20', '1.80', '2.80']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# The amounts of a line and of a basket are part of the typed contract (an Estimate carries them).
from desktop.rules.contract import AMOUNT_FIELDS, EMPTY, ZERO, Amounts  # noqa: F401 (re-exported)

#: One fen: every amount is quantized to this, half-up.
FEN = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round half-up to the fen.

    >>> money(Decimal("0.125")), money(Decimal("0.124")), money(Decimal("2.675"))
    (Decimal('0.13'), Decimal('0.12'), Decimal('2.68'))
    """
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    """One basket line as the arithmetic needs it (eligibility and parameters already decided)."""

    unit_price: Decimal
    quantity: int
    payable: bool  # False: the whole line is 全自费
    first_self_pay: Decimal = Decimal(0)  # r, 0..1
    fund_ratio: Decimal = Decimal(0)  # 0..1
    payment_standard: Decimal | None = None  # S per unit; may be confidential (never printed)
    deductible_exempt: bool = False


def settle(
    lines: Sequence[LineInput], deductible_remaining: Decimal, cap_remaining: Decimal | None
) -> tuple[list[Amounts], Amounts]:
    """Compute every line and the total of one settlement.

    Args:
        lines: the basket, in order; the deductible and the cap are used up in this order.
        deductible_remaining: 起付线 the patient still owes this year (0: already met).
        cap_remaining: what the fund may still pay this year; None = no cap reached.

    Returns:
        The amounts per line and their sum.
    """
    deductible_left = money(max(deductible_remaining, ZERO))
    cap_left = None if cap_remaining is None else money(max(cap_remaining, ZERO))
    out: list[Amounts] = []
    for line in lines:
        total = money(line.unit_price * line.quantity)
        if not line.payable:
            out.append(Amounts(total, total, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, total))
            continue
        unit_base = line.unit_price
        if line.payment_standard is not None and line.unit_price > line.payment_standard:
            unit_base = line.payment_standard
        base = money(unit_base * line.quantity)
        over = total - base
        first = money(base * line.first_self_pay)
        scope = base - first
        deductible = ZERO if line.deductible_exempt else min(deductible_left, scope)
        deductible_left -= deductible
        fund = money((scope - deductible) * line.fund_ratio)
        if cap_left is not None:
            fund = min(fund, cap_left)
            cap_left -= fund
        coinsurance = scope - fund
        patient = over + first + coinsurance
        out.append(Amounts(total, ZERO, over, first, scope, deductible, fund, coinsurance, patient))
    grand = Amounts(*(sum(column, ZERO) for column in zip(*(a.as_tuple() for a in out), strict=True))) if out else EMPTY
    return out, grand
