"""A whole sale estimate from the keyboard: find, check, add, price, patient, estimate, print to PDF, reprint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop.rules import service
from desktop.ui import print_flow, receipt_history_dialog
from tests.ui.helpers import pdf_text, type_chinese


def _focused_editor():  # type: ignore[no-untyped-def]
    return QApplication.focusWidget()


def add_with_price(qtbot, window, *, pinyin=None, chinese=None, price="12.50"):  # type: ignore[no-untyped-def]
    counter = window.counter
    qtbot.keyClick(window, Qt.Key.Key_F2)
    if pinyin:
        qtbot.keyClicks(counter.search, pinyin)
    else:
        type_chinese(counter.search, chinese)
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.keyClick(window, Qt.Key.Key_F4)  # add: the price cell opens for typing
    editor = _focused_editor()
    assert editor is not None and editor is not counter.search
    qtbot.keyClicks(editor, price)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(counter.search.hasFocus, timeout=1000)  # back to the search box for the next drug
    qtbot.waitUntil(lambda: all(line.unit_price is not None for line in counter.basket_model.lines()), timeout=1000)


def test_whole_sale_by_keyboard_then_pdf_and_reprint(qtbot, window, db, pharmacy, dialogs, tmp_path, monkeypatch):
    counter = window.counter
    counter.refresh_settings()
    add_with_price(qtbot, window, pinyin="amxl", price="12.50")
    add_with_price(qtbot, window, chinese="布洛芬", price="8.00")
    lines = counter.basket_model.lines()
    assert [line.unit_price for line in lines] == [Decimal("12.50"), Decimal("8.00")]

    # Patient (F3): resident insurance by keyboard, deductible already met.
    qtbot.keyClick(window, Qt.Key.Key_F3)
    qtbot.keyClick(counter.insurance, Qt.Key.Key_Down)
    qtbot.keyClick(counter.insurance, Qt.Key.Key_Down)
    assert counter.insurance.currentData() == "resident"
    counter.deductible.setFocus()
    qtbot.keyClicks(counter.deductible, "0")
    qtbot.keyClick(counter.deductible, Qt.Key.Key_Return)
    assert counter.search.hasFocus()

    # The estimate on screen is the rules' answer for exactly this request.
    assert counter.estimate is not None, counter.estimate_note.text()
    expected = service.estimate(db, counter.request(), pharmacy)
    assert counter.request().insurance == "resident"
    assert str(counter.request().deductible_remaining) == "0.00"
    for key in ("total", "fund", "patient_total", "first_self_pay"):
        assert counter.breakdown_labels[key].text() == str(getattr(expected.amounts, key))
    assert expected.amounts.total == Decimal("12.50") + Decimal("8.00")
    assert not expected.any_confidential
    assert counter.breakdown_labels["confidential_patient"].text() == "—"  # no "*" drug: no folded part
    assert expected.amounts.fund + expected.amounts.patient_total == expected.amounts.total
    assert counter.basket_model.index(0, 7).data() == str(expected.lines[0].amounts.patient_total)
    assert "以医保结算为准" in counter.estimate_note.text()

    # F5 -> save as PDF (the file dialog is faked; the buttons are the dialog's own).
    out = tmp_path / "estimate.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "PDF")))
    monkeypatch.setattr(print_flow.PrintDialog, "exec", lambda self: self.pdf_button.click())
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not dialogs, dialogs
    assert out.read_bytes().startswith(b"%PDF")
    text = pdf_text(out)
    assert "阿莫西林" in text and "布洛芬" in text
    assert str(expected.amounts.patient_total) in text and "以医保结算为准" in text
    assert "测试大药房" in text
    assert counter.search.hasFocus()

    # F6 -> the receipt is in the history; reprint it as PDF: same content plus 补打.
    opened = []

    def fake_exec(dialog):  # type: ignore[no-untyped-def]
        opened.append(dialog)
        assert dialog.records, "the issued receipt is listed"
        dialog.reprint_pdf.click()

    again = tmp_path / "reprint.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(again), "PDF")))
    monkeypatch.setattr(receipt_history_dialog.ReceiptHistoryDialog, "exec", fake_exec)
    qtbot.keyClick(window, Qt.Key.Key_F6)
    assert opened and not dialogs, dialogs
    reprint = pdf_text(again)
    assert "补打" in reprint and "补打" not in text
    assert opened[0].records[0].number in reprint

    # F8: a new sale starts empty, focus in the search box.
    qtbot.keyClick(window, Qt.Key.Key_F8)
    assert counter.basket_model.rowCount() == 0 and counter.estimate is None
    assert counter.search.hasFocus() and counter.search.text() == ""


def test_print_without_an_estimate_says_what_to_do(qtbot, window, dialogs):
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert len(dialogs) == 1
    assert "F4" in dialogs[0][1] and "单价" in dialogs[0][1]
    assert window.counter.search.hasFocus()


def test_bad_price_is_refused_with_a_message(qtbot, window, dialogs):
    counter = window.counter
    qtbot.keyClicks(counter.search, "amxl")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.keyClick(window, Qt.Key.Key_F4)
    editor = _focused_editor()
    qtbot.keyClicks(editor, "1.234")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialogs), timeout=1000)  # the delegate commits on the next event loop turn
    assert "两位小数" in dialogs[-1][1]
    assert counter.basket_model.lines()[0].unit_price is None
    assert "请输入单价" in counter.estimate_note.text()


def test_missing_policy_figure_is_named_not_invented(qtbot, window):
    """Without the pharmacy's fund ratio the estimate answers what the catalogue decides and marks the fund's
    share "未设置统筹支付比例" (issue 11), saying which figure is missing; nothing is invented."""
    counter = window.counter
    add_with_price(qtbot, window, pinyin="amxl", price="10.00")
    assert counter.estimate is not None and counter.estimate.fund_unset
    assert "未设置统筹支付比例" in counter.estimate_note.text() and "fund_ratio" not in counter.estimate_note.text()
    assert counter.breakdown_labels["patient_total"].text() == "未设置统筹支付比例"
    assert counter.breakdown_labels["policy_scope"].text() == "10.00"


@pytest.mark.parametrize("key", ["Delete"])
def test_delete_removes_the_basket_line(qtbot, window, key):
    counter = window.counter
    add_with_price(qtbot, window, pinyin="amxl", price="10.00")
    counter.basket.setFocus()
    counter.basket.setCurrentIndex(counter.basket_model.index(0, 0))
    qtbot.keyClick(counter.basket, getattr(Qt.Key, f"Key_{key}"))
    assert counter.basket_model.rowCount() == 0
    assert counter.search.hasFocus()


def test_conditions_are_confirmed_with_alt_digits(qtbot, window, pharmacy):
    """A restricted drug: the restriction is a checkbox; ticking it changes the rules' answer."""
    counter = window.counter
    counter.refresh_settings()
    type_chinese(counter.search, "司美格鲁肽")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    checks = counter.detail.checks
    assert "restriction" in checks, (counter.current, counter.detail.verdict.text())
    before = counter.detail.eligibility.verdict
    index = list(checks).index("restriction") + 1
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{index}"), Qt.KeyboardModifier.AltModifier)
    assert counter.confirmed[counter.current.id] >= {"restriction"}
    assert counter.detail.checks["restriction"].isChecked()
    assert "restriction" not in [c.code for c in counter.detail.eligibility.conditions]
    assert "restriction" in [c.code for c in counter.detail.eligibility.confirmed]
    # Alt+n again unticks it: the condition is open again.
    index = list(counter.detail.checks).index("restriction") + 1
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{index}"), Qt.KeyboardModifier.AltModifier)
    assert "restriction" in [c.code for c in counter.detail.eligibility.conditions]
    assert counter.detail.eligibility.verdict == before
    assert counter.search.hasFocus()
