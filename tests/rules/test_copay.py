"""The copay arithmetic: DOMAIN.md's worked examples by hand, then invariants and rounding by hypothesis."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.rules.copay import FEN, LineInput, money, settle

D = Decimal


def one(line: LineInput, deductible: str = "0", cap: str | None = None):
    lines, total = settle([line], D(deductible), None if cap is None else D(cap))
    assert lines[0] == total
    return total


def test_domain_class_b_example():
    # DOMAIN.md: class B, price 10.00, first self-pay 10 %, deductible met, ratio 80 %:
    # 先行自付 1.00, 政策范围内 9.00, 统筹支付 7.20, 个人自付 1.80, patient 2.80.
    t = one(LineInput(D("10.00"), 1, True, D("0.10"), D("0.80")))
    assert (t.first_self_pay, t.policy_scope, t.fund, t.coinsurance, t.patient_total) == (
        D("1.00"),
        D("9.00"),
        D("7.20"),
        D("1.80"),
        D("2.80"),
    )
    assert t.total == t.fund + t.patient_total == D("10.00")


def test_price_above_payment_standard():
    # 环孢素滴眼液(Ⅱ): standard 5.50 a unit; sold at 6.00 x 4.
    # total 24.00; over (6.00-5.50)x4 = 2.00; base 22.00; first 10 % = 2.20; scope 19.80;
    # fund 80 % = 15.84; coinsurance 3.96; patient 2.00 + 2.20 + 3.96 = 8.16.
    t = one(LineInput(D("6.00"), 4, True, D("0.10"), D("0.80"), payment_standard=D("5.50")))
    assert t.over_standard == D("2.00")
    assert (t.first_self_pay, t.policy_scope, t.fund, t.coinsurance) == (D("2.20"), D("19.80"), D("15.84"), D("3.96"))
    assert t.patient_total == D("8.16") and t.total == D("24.00")


def test_price_below_standard_uses_price():
    t = one(LineInput(D("5.00"), 2, True, D("0.10"), D("0.80"), payment_standard=D("5.50")))
    assert t.over_standard == 0 and t.first_self_pay == D("1.00") and t.fund == D("7.20")


def test_mixed_class_a_and_b_basket_with_deductible():
    # 甲 12.50 x 2 (r 0) and 乙 33.30 x 1 (r 0.10), ratio 0.70, deductible left 20.00.
    # Line 1: base 25.00, scope 25.00, deductible 20.00, fund (5.00 x 0.7) = 3.50, coins 21.50.
    # Line 2: base 33.30, first 3.33, scope 29.97, deductible 0, fund 20.979 -> 20.98, coins 8.99.
    lines, total = settle(
        [LineInput(D("12.50"), 2, True, D("0"), D("0.70")), LineInput(D("33.30"), 1, True, D("0.10"), D("0.70"))],
        D("20.00"),
        None,
    )
    a, b = lines
    assert (a.deductible, a.fund, a.coinsurance, a.patient_total) == (D("20.00"), D("3.50"), D("21.50"), D("21.50"))
    assert (b.first_self_pay, b.policy_scope, b.deductible, b.fund, b.coinsurance) == (
        D("3.33"),
        D("29.97"),
        D("0.00"),
        D("20.98"),
        D("8.99"),
    )
    assert total.total == D("58.30") and total.fund == D("24.48") and total.patient_total == D("33.82")


def test_deductible_exempt_line_absorbs_nothing():
    lines, total = settle(
        [
            LineInput(D("100.00"), 1, True, D("0"), D("0.70"), deductible_exempt=True),
            LineInput(D("10.00"), 1, True, D("0"), D("0.50")),
        ],
        D("50.00"),
        None,
    )
    assert lines[0].deductible == 0 and lines[0].fund == D("70.00")
    assert lines[1].deductible == D("10.00") and lines[1].fund == 0
    assert total.deductible == D("10.00")


def test_cap_limits_fund_in_basket_order():
    lines, total = settle(
        [LineInput(D("100.00"), 1, True, D("0"), D("0.90")), LineInput(D("100.00"), 1, True, D("0"), D("0.90"))],
        D("0"),
        D("120.00"),
    )
    assert [x.fund for x in lines] == [D("90.00"), D("30.00")]
    assert total.fund == D("120.00") and total.coinsurance == D("80.00")


def test_not_payable_line_is_all_full_self_pay():
    t = one(LineInput(D("18.88"), 3, False, D("0.10"), D("0.80"), payment_standard=D("1.00")))
    assert t.full_self_pay == t.total == t.patient_total == D("56.64")
    assert t.fund == t.over_standard == t.first_self_pay == 0


def test_rounding_is_half_up_not_bankers():
    # 0.125 rounds to 0.13 (banker's rounding would give 0.12).
    assert money(D("0.125")) == D("0.13")
    t = one(LineInput(D("1.25"), 1, True, D("0.10"), D("0")))  # first = 0.125 -> 0.13
    assert t.first_self_pay == D("0.13")


prices = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
ratios = st.decimals(min_value=D("0"), max_value=D("1"), places=4)
line_inputs = st.builds(
    LineInput,
    unit_price=prices,
    quantity=st.integers(min_value=1, max_value=500),
    payable=st.booleans(),
    first_self_pay=ratios,
    fund_ratio=ratios,
    payment_standard=st.one_of(st.none(), prices),
    deductible_exempt=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(line_inputs, min_size=1, max_size=20),
    deductible=st.decimals(min_value=D("0"), max_value=D("5000"), places=2),
    cap=st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("100000"), places=2)),
)
def test_invariants(lines, deductible, cap):
    amounts, total = settle(lines, deductible, cap)
    for a in [*amounts, total]:
        assert all(x >= 0 for x in a.as_tuple()), a
        assert all(x == x.quantize(FEN) for x in a.as_tuple()), a  # every component in fen
        assert a.total == a.fund + a.patient_total
        assert a.patient_total == a.full_self_pay + a.over_standard + a.first_self_pay + a.coinsurance
        assert a.total == a.full_self_pay + a.over_standard + a.first_self_pay + a.policy_scope  # steps 2-5
        assert a.fund <= a.policy_scope - a.deductible  # the fund pays only above the deductible
        assert a.deductible <= a.policy_scope
    for field in ("total", "fund", "patient_total", "deductible"):
        assert getattr(total, field) == sum((getattr(a, field) for a in amounts), D(0))
    assert total.deductible <= deductible
    if cap is not None:
        assert total.fund <= cap


@settings(max_examples=300, deadline=None)
@given(price=prices, qty=st.integers(1, 100), r=ratios, ratio=ratios)
def test_rounding_steps(price, qty, r, ratio):
    # First self-pay and fund are each rounded half-up once, from the exact products.
    t = one(LineInput(price, qty, True, r, ratio))
    base = price * qty
    assert t.first_self_pay == (base * r).quantize(FEN, rounding=ROUND_HALF_UP)
    assert t.fund == ((base - t.first_self_pay) * ratio).quantize(FEN, rounding=ROUND_HALF_UP)
    assert abs(t.fund - (base - base * r) * ratio) <= D("0.01")
