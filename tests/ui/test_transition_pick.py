"""Transition drugs at the counter (issue #10 item 10): 环孢素滴眼液(Ⅲ) and 头孢托仑匹酯颗粒 have no entry in the
2024 edition; the bundled transition overlay pays them as 乙类 on their old standard until 2025-06-30 (seed 001
二（三）). They are found by pinyin or Chinese, picked, checked by name, added to the basket and estimated.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication

from desktop.storage.overlays import Transition
from desktop.ui.basket_model import COL_CLASS, COL_NAME
from tests.ui.helpers import type_chinese


def test_pinyin_initials_find_the_transition_drug_first_and_enter_checks_it(qtbot, window, pharmacy) -> None:  # type: ignore[no-untyped-def]
    counter = window.counter
    counter.refresh_settings()
    qtbot.keyClicks(counter.search, "tbtlpzkl")  # 头孢托仑匹酯颗粒
    first = counter.results_model.pick(0)
    assert isinstance(first, Transition) and first.name == "头孢托仑匹酯颗粒"
    assert counter.results_model.entry(0) is None  # not a catalogue entry
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current == first
    assert "头孢托仑匹酯颗粒" in counter.detail.name.text()
    # 2025-03-01 is inside the period: paid as 乙类, its (unknown) remark to be confirmed.
    assert "有条件报销" in counter.detail.verdict.text()
    assert "2025-06-30" in counter.detail.reasons.text()
    assert counter.detail.fields["class"].text() == "乙类"
    counter.search.clear()
    qtbot.keyClicks(counter.search, "hbsdyy")  # 环孢素滴眼液(Ⅲ) exactly, and the catalogue's 环孢素滴眼液(Ⅱ)
    first = counter.results_model.pick(0)
    assert isinstance(first, Transition) and first.name == "环孢素滴眼液(Ⅲ)"  # named exactly: first
    assert [e.name_published for e in counter.results_model.entries()] == ["环孢素滴眼液(Ⅱ)"]


def test_a_transition_drug_goes_into_the_basket_and_is_estimated_by_name(qtbot, window, pharmacy) -> None:  # type: ignore[no-untyped-def]
    counter = window.counter
    counter.refresh_settings()
    qtbot.keyClicks(counter.search, "tbtlpzkl")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # the remark checked by staff
    assert counter.detail.checks["restriction"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F4)
    editor = QApplication.focusWidget()
    assert editor is not None and editor is not counter.search
    qtbot.keyClicks(editor, "30.00")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(counter.search.hasFocus, timeout=1000)
    [line] = counter.basket_model.lines()
    assert line.entry is None and line.transition is not None and line.unit_price == Decimal("30.00")
    model = counter.basket_model
    assert "头孢托仑匹酯颗粒" in model.data(model.index(0, COL_NAME))
    assert model.data(model.index(0, COL_CLASS)) == "乙类"
    assert counter.request_json()["items"] == [
        {"name": "头孢托仑匹酯颗粒", "unit_price": "30.00", "quantity": 1, "confirmed": ["restriction"]}
    ]
    # The core's what-if line (the overlay's class 乙), covered once confirmed. By hand, 30.00 x 1, no original
    # standard on this machine (priced on the price, said): first self-pay 10 % = 3.00, scope 27.00,
    # fund 80 % = 21.60, patient 8.40 (settings: fund ratio 0.80, first self-pay 0.10).
    result = counter.estimate
    assert result is not None, counter.estimate_note.text()
    est = result.lines[0]
    assert est.drug_class == "乙" and est.verdict == "covered"
    assert (est.amounts.first_self_pay, est.amounts.fund, est.amounts.patient_total) == (
        Decimal("3.00"),
        Decimal("21.60"),
        Decimal("8.40"),
    )
    assert "原支付标准" in counter.estimate_note.text()


def test_chinese_finds_it_among_the_entries_and_after_the_period_it_is_self_paid(qtbot, window, pharmacy) -> None:  # type: ignore[no-untyped-def]
    counter = window.counter
    counter.refresh_settings()
    type_chinese(counter.search, "环孢素滴眼液")
    names = [t.name for t in counter.results_model.transitions()]
    assert names == ["环孢素滴眼液(Ⅲ)"]
    rows = counter.results_model.rowCount()
    assert isinstance(counter.results_model.pick(rows - 1), Transition)  # not named exactly: after the entries
    assert counter.results_model.entries()  # the catalogue's 环孢素 eye drops are still listed
    for _ in range(rows - 1):
        qtbot.keyClick(counter.search, Qt.Key.Key_Down)
    qtbot.keyClick(window, Qt.Key.Key_F4)
    editor = QApplication.focusWidget()
    qtbot.keyClicks(editor, "30.00")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(counter.search.hasFocus, timeout=1000)
    assert [line.name for line in counter.basket_model.lines()] == ["环孢素滴眼液(Ⅲ)"]
    counter.day.setDate(QDate(2025, 7, 1))  # the period has ended: still found, fully self-paid
    assert "环孢素滴眼液(Ⅲ)" in [t.name for t in counter.results_model.transitions()]
    result = counter.estimate
    assert result is not None and result.lines[0].verdict == "not_covered"
    assert result.lines[0].amounts.full_self_pay == Decimal("30.00") and result.lines[0].amounts.fund == 0
    assert not result.lines[0].trace_missing  # self-paid: nothing for the fund to settle
