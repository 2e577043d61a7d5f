"""Counter: typing pinyin and Chinese, ↑/↓/Enter, scanner input, focus, edition notes (real catalogue rows)."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, Qt

from desktop.catalogue import search
from desktop.storage import catalogue as store
from tests.ui.conftest import DAY_2024
from tests.ui.helpers import type_chinese


def test_pinyin_initials_find_amoxicillin_and_enter_picks(qtbot, window):
    counter = window.counter
    assert counter.search.hasFocus()
    qtbot.keyClicks(counter.search, "amxl")
    names = [e.name for e in counter.results_model.entries()]
    assert names and names[0] == "阿莫西林"
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current is not None and counter.current.name == "阿莫西林"
    assert counter.current.edition == "2024"  # as of 2025-03-01
    assert "阿莫西林" in counter.detail.name.text()
    assert counter.search.hasFocus()


def test_results_follow_each_keystroke(qtbot, window):
    counter = window.counter
    qtbot.keyClicks(counter.search, "a")
    after_one = len(counter.results_model.entries())
    qtbot.keyClicks(counter.search, "mxl")
    after_four = len(counter.results_model.entries())
    assert after_one > after_four > 0


def test_chinese_through_input_method_and_arrow_keys(qtbot, db, window):
    counter = window.counter
    type_chinese(counter.search, "布洛芬")
    assert counter.search.text() == "布洛芬"
    shown = counter.results_model.entries()
    expected = search.search(db, "布洛芬", day=DAY_2024, limit=100).entries
    assert [e.id for e in shown] == [e.id for e in expected]
    assert len(shown) >= 2 and all("布洛芬" in e.name for e in shown)
    qtbot.keyClick(counter.search, Qt.Key.Key_Down)
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current == shown[1]
    qtbot.keyClick(counter.search, Qt.Key.Key_Up)
    qtbot.keyClick(counter.search, Qt.Key.Key_Up)  # stops at the first row
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current == shown[0]


def test_detail_shows_verdict_class_and_edition(qtbot, window, pharmacy):
    counter = window.counter
    counter.refresh_settings()
    type_chinese(counter.search, "布洛芬")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    entry = counter.current
    assert counter.detail.fields["class"].text() == f"{entry.drug_class}类"
    assert counter.detail.eligibility is not None  # the rules answered
    assert counter.detail.eligibility.verdict_label in counter.detail.verdict.text()
    assert "2024年版" in counter.detail.fields["edition"].text()


def test_scanner_digits_then_enter_pick_by_official_number(qtbot, db, window):
    counter = window.counter
    amoxicillin = search.search(db, "阿莫西林", day=DAY_2024).entries[0]
    assert amoxicillin.number is not None
    qtbot.keyClicks(counter.search, str(amoxicillin.number))
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current is not None and amoxicillin.number in (counter.current.number, counter.current.star_of)
    # The next scan replaces the text (selected after a pick).
    assert counter.search.selectedText() == str(amoxicillin.number)


def test_unknown_barcode_says_what_to_do(qtbot, window):
    counter = window.counter
    qtbot.keyClicks(counter.search, "6901234567892")  # an EAN-13 box barcode: not a catalogue number
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current is None
    note = counter.search_note.text()
    # The scan's own answer stays (desktop/ui/scan_box.py), not replaced by the search's "not found".
    assert "6901234567892" in note and "不含商品条码" in note and "药品名称" in note
    assert counter.search.selectedText() == "6901234567892"


def test_confidential_standard_shows_as_baomi_never_a_value(qtbot, db, window):
    counter = window.counter
    type_chinese(counter.search, "司美格鲁肽")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    entry = counter.current
    assert entry is not None and entry.confidential
    assert counter.detail.fields["standard"].text() == "保密"
    row = [counter.results_model.index(0, c).data() for c in range(counter.results_model.columnCount())]
    assert "保密" in row
    assert not any(re.search(r"\d+(\.\d+)?元", str(cell)) for cell in row)


def test_published_standard_is_shown(qtbot, window):
    counter = window.counter
    type_chinese(counter.search, "二甲双胍恩格列净片")
    entries = [e for e in counter.results_model.entries() if e.payment_standard and not e.confidential]
    assert entries
    row = counter.results_model.entries().index(entries[0])
    assert counter.results_model.index(row, 5).data() == entries[0].payment_standard


def test_focus_returns_to_search_after_patient_and_escape(qtbot, window):
    counter = window.counter
    qtbot.keyClick(window, Qt.Key.Key_F3)
    assert counter.insurance.hasFocus()
    qtbot.keyClick(counter.insurance, Qt.Key.Key_Escape)
    assert counter.search.hasFocus()
    qtbot.keyClicks(counter.search, "blf")
    rect = counter.results.visualRect(counter.results_model.index(1, 1))
    qtbot.mouseClick(counter.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert counter.results.currentIndex().row() == 1  # the click selects ...
    assert counter.search.hasFocus()  # ... and the keyboard stays in the search box
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current == counter.results_model.entry(1)


def test_status_bar_shows_edition_variant_and_date(window):
    text = window.edition_label.text()
    assert "2024年版" in text and "修订版" in text and "2025-03-01" in text
    assert window.banner.isHidden()


def test_date_outside_every_edition_is_said_plainly(qtbot, db, window):
    window.counter.day.setDate(QDate(2024, 6, 1))  # before the earliest installed edition
    note = store.edition_on(db, date(2024, 6, 1)).note
    assert note and not window.banner.isHidden()
    assert note in window.banner.text()
    assert "2024-06-01" in window.edition_label.text()
