"""Counter scans (desktop/ui/scan_box.py) and the 对码 screen (matching_dialog.py), from the keyboard."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from desktop.products import items
from desktop.storage import catalogue as store
from tests.products.conftest import barcode, linked_products, write_store_csv

DAY = date(2025, 6, 1)


@pytest.fixture()
def shop(qtbot, products_db_path, tmp_path):  # type: ignore[no-untyped-def]
    import shutil

    from desktop.ui.main_window import MainWindow

    products_db_file = tmp_path / "products.sqlite3"
    shutil.copy(products_db_path, products_db_file)
    db = store.open_db(products_db_file)
    products = linked_products(db, 3)
    rows = [
        {"id": "SP1", "name": products[0]["registered_name"], "insurance_code": products[0]["code"],
         "barcode": barcode(1), "price": "18.80"},
        {"id": "SP2", "name": products[1]["registered_name"], "generic_name": products[1]["insurance_name"],
         "spec": products[1]["spec"], "manufacturer": products[1]["manufacturer"], "barcode": barcode(2)},
    ]  # fmt: skip
    headers = {k: v for k, v in items.FIELD_LABELS.items()}
    items.import_file(db, write_store_csv(tmp_path / "s.csv", rows, headers))
    win = MainWindow(db, products_db_file, today=lambda: DAY)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win, db, products
    db.close()


def test_scanning_a_barcode_shows_item_product_entry_and_verdict(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    win, db, products = shop
    counter = win.counter
    qtbot.keyClicks(counter.search, barcode(1))
    assert "SP1" in counter.search_note.text() and "18.80" in counter.search_note.text()
    shown = counter.results_model.entries()
    assert [e.key for e in shown] == [products[0]["entry_key"]]
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current is not None and counter.current.key == products[0]["entry_key"]
    assert counter.current.name in counter.detail.name.text()


def test_a_wrong_check_digit_and_other_digits_get_a_message(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    counter = shop[0].counter
    good = barcode(1)
    qtbot.keyClicks(counter.search, good[:-1] + str((int(good[-1]) + 1) % 10))
    assert "校验位" in counter.search_note.text() and counter.results_model.entries() == []
    counter.search.clear()
    qtbot.keyClicks(counter.search, "12345678901234567")  # 17 digits: no code kind
    assert "17 位数字" in counter.search_note.text()


def test_an_unknown_trace_code_asks_which_item_once(qtbot, shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui import scan_box

    win, db, products = shop
    counter = win.counter
    asked = []

    def choose(dialog) -> int:  # type: ignore[no-untyped-def]
        asked.append(dialog.list.count())
        dialog.filter.setText("SP1")
        dialog._accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(scan_box.ItemPickerDialog, "exec", choose)
    code = "83456780000000000001"
    qtbot.keyClicks(counter.search, code)
    assert "尚未对应本店商品" in counter.search_note.text()
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert asked == [2]
    assert counter.current is not None and counter.current.key == products[0]["entry_key"]
    counter.search.clear()
    qtbot.keyClicks(counter.search, "83456789999999999999")  # same 药品标识码, another box
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert asked == [2]  # not asked again


def test_matching_dialog_confirms_a_suggestion_with_enter(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.matching_dialog import MatchingDialog

    win, db, products = shop
    dialog = MatchingDialog(db, win)
    qtbot.addWidget(dialog)
    dialog.filter.setCurrentIndex(1)  # 未对码或待确认
    ids = [r["id"] for r in dialog.rows]
    assert ids == ["SP2"]
    # Its name, spec and maker are a real product's: the suggestion is that product, never applied alone.
    assert dialog.rows[0]["status"] == "suggested" and dialog.rows[0]["product_code"] == products[1]["code"]
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert dialog.rows == []
    assert items.listing(db, unmatched=True) == []
    assert "待确认 0" in dialog.summary.text()


def test_item_picker_moves_with_arrow_keys_from_the_filter(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.scan_box import ItemPickerDialog

    win, db, _ = shop
    dialog = ItemPickerDialog(db, "83456780000000000001", win)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 2
    dialog.list.setCurrentRow(0)
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Down)
    assert dialog.list.currentRow() == 1
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Down)  # stays on the last row
    assert dialog.list.currentRow() == 1
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Up)
    assert dialog.list.currentRow() == 0
    assert dialog.filter.text() == ""  # the keys moved the list and typed nothing
