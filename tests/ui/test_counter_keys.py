"""The counter by keys alone: F4/Enter on the highlighted row, the basket by F10, scans of any length, the detail."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from desktop.ui.basket_model import COL_PRICE, COL_QUANTITY
from tests.ui.helpers import drive_modals, key, type_chinese
from tests.ui.test_sale_workflow import add_with_price


def test_f4_adds_the_highlighted_row_not_the_previous_pick(qtbot, window, pharmacy):
    counter = window.counter
    counter.refresh_settings()
    add_with_price(qtbot, window, pinyin="amxl", price="12.50")
    assert [line.entry.name for line in counter.basket_model.lines()] == ["阿莫西林"]
    qtbot.keyClicks(counter.search, "blf")  # replaces the selected text: 布洛芬 highlighted, not picked
    highlighted = counter.results_model.entry(counter.results.currentIndex().row())
    assert highlighted is not None and highlighted.name == "布洛芬"
    qtbot.keyClick(window, Qt.Key.Key_F4)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor is not counter.search  # the new line's price
    qtbot.keyClicks(editor, "8.00")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    lines = counter.basket_model.lines()
    assert [(line.entry.name, line.quantity) for line in lines] == [("阿莫西林", 1), ("布洛芬", 1)]
    assert lines[1].entry == highlighted and counter.current == highlighted


def test_enter_then_arrow_then_f4_takes_the_row_under_the_cursor(qtbot, window):
    counter = window.counter
    type_chinese(counter.search, "布洛芬")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)  # picks row 0
    qtbot.keyClick(counter.search, Qt.Key.Key_Down)  # highlights row 1
    second = counter.results_model.entry(1)
    qtbot.keyClick(window, Qt.Key.Key_F4)
    assert counter.basket_model.lines()[0].entry == second


def test_browser_enter_makes_the_entry_highlighted_for_f4(qtbot, window):
    counter = window.counter
    qtbot.keyClicks(counter.search, "amxl")
    qtbot.keyClick(window, Qt.Key.Key_F7)
    browser = window.browser
    qtbot.waitUntil(lambda: bool(browser.visible_entries()), timeout=20000)  # built off the GUI thread
    entries = browser.visible_entries()
    target = next(e for e in entries if e.name != "阿莫西林")
    browser.entry_activated.emit(target)  # what Enter on the browser's row emits
    assert window.tabs.currentWidget() is counter
    assert counter.results_model.entry(counter.results.currentIndex().row()) == target
    qtbot.keyClick(window, Qt.Key.Key_F4)
    assert counter.basket_model.lines()[0].entry == target


def _two_lines(qtbot, window):  # type: ignore[no-untyped-def]
    add_with_price(qtbot, window, pinyin="amxl", price="12.50")
    add_with_price(qtbot, window, chinese="布洛芬", price="8.00")


def test_f10_goes_to_the_current_line_typing_a_number_sets_the_quantity(qtbot, window, pharmacy):
    counter = window.counter
    counter.refresh_settings()
    _two_lines(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F10)
    assert counter.basket.hasFocus()
    current = counter.basket.currentIndex()
    assert current.row() == 1 and current.column() == COL_QUANTITY  # the line just added, its quantity
    assert counter.basket.selectionModel().isSelected(current)  # the current cell is shown as selected
    qtbot.keyClick(counter.basket, Qt.Key.Key_Up)
    qtbot.keyClick(counter.basket, Qt.Key.Key_3)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "3"  # replaces the old quantity
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: counter.basket_model.lines()[0].quantity == 3)
    qtbot.waitUntil(counter.basket.hasFocus)  # stays on the basket (came with F10)
    assert counter.estimate is not None and counter.estimate.lines[0].quantity == 3
    qtbot.keyClick(window, Qt.Key.Key_F10)  # and back to the search box
    assert counter.search.hasFocus()


def test_read_only_columns_are_skipped(qtbot, window):
    counter = window.counter
    _two_lines(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F10)
    seen = [(counter.basket.currentIndex().row(), counter.basket.currentIndex().column())]
    for k in (Qt.Key.Key_Left, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Right):
        qtbot.keyClick(counter.basket, k)
        seen.append((counter.basket.currentIndex().row(), counter.basket.currentIndex().column()))
    assert seen == [(1, COL_QUANTITY), (1, COL_PRICE), (1, COL_PRICE), (1, COL_QUANTITY), (1, COL_QUANTITY)]
    qtbot.keyClick(counter.basket, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(counter.basket, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert (counter.basket.currentIndex().row(), counter.basket.currentIndex().column()) == (0, COL_QUANTITY)
    # A digit typed while on a read-only cell (the name) edits that line's quantity.
    counter.basket.setCurrentIndex(counter.basket_model.index(0, 0))
    qtbot.keyClick(counter.basket, Qt.Key.Key_2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "2"
    assert counter.basket.currentIndex().column() == COL_QUANTITY
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: counter.basket_model.lines()[0].quantity == 2)
    qtbot.keyClick(counter.basket, Qt.Key.Key_Escape)
    assert counter.search.hasFocus()


@pytest.mark.parametrize(
    "scan",
    [
        "81234567890123456789",  # a 20-digit 药品追溯码
        "69012345678926901234567892",  # two box barcodes in a row
        "6" * 60,
        "1",
    ],
)
def test_scanner_input_of_any_length_answers_and_is_selected(qtbot, window, dialogs, scan):
    counter = window.counter
    # An unknown 追溯码 asks which store item it is (desktop/ui/scan_box.py): staff press Esc there.
    timer = drive_modals(*[lambda d: key(d, Qt.Key.Key_Escape)] * 3)
    qtbot.keyClicks(counter.search, scan)
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    timer.stop()
    assert not dialogs, dialogs  # no error dialog swallowing the keys
    assert counter.search.text() == scan  # no digit lost
    assert counter.search.selectedText() == scan  # the next scan replaces it
    assert counter.search_note.text() or counter.current is not None  # an answer, whatever the digits
    assert "内部错误" not in counter.search_note.text() and "出错" not in counter.search_note.text()
    qtbot.keyClicks(counter.search, "6901234567892")  # the next scan
    assert counter.search.text() == "6901234567892"


def test_detail_keeps_name_and_verdict_in_view_and_scrolls_by_key(qtbot, window, pharmacy):
    counter = window.counter
    window.resize(1366, 728)
    counter.refresh_settings()
    type_chinese(counter.search, "司美格鲁肽")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    detail = counter.detail
    bar = detail.details.verticalScrollBar()

    def header_visible() -> bool:
        return not detail.name.visibleRegion().isEmpty() and not detail.verdict.visibleRegion().isEmpty()

    assert header_visible()
    assert bar.maximum() > 0, "the details of a restricted drug need scrolling at 1366×768"
    qtbot.keyClick(counter.search, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(counter.search, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    scrolled = bar.value()
    assert scrolled > 0 and header_visible()
    index = list(detail.checks).index("restriction") + 1
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{index}"), Qt.KeyboardModifier.AltModifier)
    assert detail.checks["restriction"].isChecked()
    assert bar.value() == min(scrolled, bar.maximum()) and header_visible()  # no jump after Alt+n
    qtbot.keyClick(window, Qt.Key.Key_F4)
    assert header_visible()
    qtbot.keyClick(counter.search, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() < scrolled
