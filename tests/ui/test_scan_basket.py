"""Scanned boxes into the basket (issue #13 in the window), by keys alone as a scanner types them.

The bundled catalogue with the real NHSA products imported; the store list is made of real product rows
(the store's own 商品编码, barcodes and prices are the store's: made up here). 2025-08-01: the 2024 edition
is in force and a 医保 sale needs each pack's 追溯码 scanned (DOMAIN.md, "Products and codes").
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog

from desktop import settings as settings_mod
from desktop.products import items
from desktop.storage import catalogue as store
from desktop.ui import print_flow
from desktop.ui.basket_model import COL_NAME, COL_TRACE, TRACE_MISSING_TEXT
from tests.products.conftest import barcode, linked_products, write_store_csv
from tests.ui.helpers import PHARMACY, pdf_text

DAY = date(2025, 8, 1)
#: Two boxes of SP1: the 药品标识码 8123456 is learned for SP1 in the fixture.
CODES = ["81234560000000000001", "81234560000000000002"]


@pytest.fixture()
def shop(qtbot, products_db_path, tmp_path):  # type: ignore[no-untyped-def]
    from desktop.ui.main_window import MainWindow

    path = tmp_path / "products.sqlite3"
    shutil.copy(products_db_path, path)
    db = store.open_db(path)
    settings_mod.save(db, PHARMACY)
    products = linked_products(db, 3)
    rows = [
        {"id": "SP1", "name": products[0]["registered_name"], "insurance_code": products[0]["code"],
         "barcode": barcode(1), "price": "18.80"},
        {"id": "SP2", "name": products[1]["registered_name"], "insurance_code": products[1]["code"],
         "barcode": barcode(2)},  # no price in the store list: staff type it
    ]  # fmt: skip
    items.import_file(db, write_store_csv(tmp_path / "s.csv", rows, dict(items.FIELD_LABELS)))
    items.link_prefix(db, "SP1", CODES[0])
    win = MainWindow(db, path, today=lambda: DAY)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.counter.refresh_settings()
    yield win, db, products
    db.close()


def scan(qtbot, counter, code: str, key: Qt.Key = Qt.Key.Key_Return) -> None:  # type: ignore[no-untyped-def]
    """A scanner: the digits, then Enter (or F4 typed by staff), into the search box holding the keyboard."""
    assert counter.search.hasFocus()
    qtbot.keyClicks(counter.search, code)
    qtbot.keyClick(counter.search, key)


def cell(counter, row: int, col: int) -> str:  # type: ignore[no-untyped-def]
    model = counter.basket_model
    return str(model.data(model.index(row, col)))


def test_a_barcode_scan_adds_the_item_at_its_store_price_with_spec_and_maker(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    win, db, products = shop
    counter = win.counter
    p = products[0]
    scan(qtbot, counter, barcode(1))
    [line] = counter.basket_model.lines()
    assert line.goods is not None and line.goods.item_id == "SP1" and line.goods.product_code == p["code"]
    assert line.unit_price == Decimal("18.80") and line.quantity == 1 and line.trace_codes == ()
    assert line.entry is not None and line.entry.key == p["entry_key"]
    assert p["manufacturer"] in cell(counter, 0, COL_NAME)
    # The request names the item: the core resolves the entry and the product's spec (which picks the standard).
    assert counter.request_json()["items"] == [{"item": "SP1", "unit_price": "18.80", "quantity": 1, "confirmed": []}]
    request = counter.request()
    assert request.items[0].entry == line.entry.id
    assert request.items[0].spec == (p["spec"] or p["registered_spec"])
    # The price came from the store list: no editor opened, the box has the keyboard for the next scan.
    assert counter.search.hasFocus() and counter.search.selectedText() == barcode(1)
    assert counter.estimate is not None and counter.estimate.lines[0].unit_price == Decimal("18.80")
    # No 追溯码 on a 医保 sale after 2025-07-01: the line says so, the estimate warns.
    assert counter.estimate.lines[0].trace_missing and cell(counter, 0, COL_TRACE) == TRACE_MISSING_TEXT
    assert "未扫描药品追溯码" in counter.estimate_note.text()
    assert "已加入清单第 1 行" in counter.search_note.text()
    scan(qtbot, counter, barcode(1))  # the second box by its barcode: one line, two boxes
    assert [(ln.quantity, ln.trace_codes) for ln in counter.basket_model.lines()] == [(2, ())]


def test_trace_codes_join_their_line_and_a_repeat_is_refused(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    win, db, products = shop
    counter = win.counter
    scan(qtbot, counter, CODES[0])
    [line] = counter.basket_model.lines()
    assert (line.goods.item_id, line.quantity, line.trace_codes) == ("SP1", 1, (CODES[0],))  # type: ignore[union-attr]
    assert line.unit_price == Decimal("18.80")
    scan(qtbot, counter, CODES[1], Qt.Key.Key_F4)  # F4 adds a scan as Enter does
    [line] = counter.basket_model.lines()
    assert (line.quantity, line.trace_codes) == (2, tuple(CODES))  # the quantity follows the codes
    assert counter.estimate is not None and counter.estimate.lines[0].trace_codes == tuple(CODES)
    assert not counter.estimate.lines[0].trace_missing and "追溯码" not in counter.estimate_note.text()
    assert counter.request_json()["items"][0]["trace_codes"] == CODES
    assert cell(counter, 0, COL_TRACE) == "2 盒：8123456…000001、000002"

    scan(qtbot, counter, CODES[1])  # the same box again
    assert "出现了两次" in counter.search_note.text() and "同一盒药不能销售两次" in counter.search_note.text()
    assert [(ln.quantity, ln.trace_codes) for ln in counter.basket_model.lines()] == [(2, tuple(CODES))]
    assert counter.search.hasFocus() and counter.search.selectedText() == CODES[1]  # the next scan replaces it


def test_a_code_across_lines_is_refused_and_a_partial_line_is_said(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    win, db, products = shop
    counter = win.counter
    scan(qtbot, counter, barcode(1))  # a line of SP1 by its barcode
    qtbot.keyClick(win, Qt.Key.Key_F10)  # to the line's quantity: 3 boxes
    qtbot.keyClicks(QApplication.focusWidget(), "3")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.keyClick(counter.basket, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: counter.basket_model.lines()[0].quantity == 3)
    scan(qtbot, counter, CODES[0])  # one pack's code scanned: it fills a place, the quantity stays 3
    assert [(ln.quantity, ln.trace_codes) for ln in counter.basket_model.lines()] == [(3, (CODES[0],))]
    assert counter.estimate is not None
    assert any(r.code == "trace_partial" for r in counter.estimate.lines[0].reasons)
    assert "只扫描了 1 个追溯码" in counter.estimate_note.text()


def test_a_code_on_an_issued_receipt_is_refused_and_the_receipt_shows_the_codes(  # type: ignore[no-untyped-def]
    qtbot, shop, monkeypatch, tmp_path: Path
) -> None:
    win, db, products = shop
    counter = win.counter
    for code in CODES:
        scan(qtbot, counter, code)
    assert counter.estimate is not None
    chosen = tmp_path / "收据.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: (str(chosen), "PDF")))
    monkeypatch.setattr(print_flow.PrintDialog, "exec", lambda self: self.pdf_button.click())
    qtbot.keyClick(win, Qt.Key.Key_F5)
    number = db.execute("select number from receipt order by id desc limit 1").fetchone()[0]
    text = pdf_text(chosen).replace(" ", "")
    assert all(code in text for code in CODES)  # printed under their line (80 mm: two a row)
    assert [r["code"] for r in db.query("select code from receipt_trace where receipt_number = ?", [number])] == CODES

    qtbot.keyClick(win, Qt.Key.Key_F8)  # the next customer
    scan(qtbot, counter, CODES[0])
    assert f"已在收据 {number} 上售出" in counter.search_note.text()
    assert counter.basket_model.lines() == []
    assert counter.search.selectedText() == CODES[0]


def test_a_store_item_without_price_opens_the_price_then_back_to_the_box(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    win, db, products = shop
    counter = win.counter
    scan(qtbot, counter, barcode(2))
    [line] = counter.basket_model.lines()
    assert line.goods is not None and line.goods.item_id == "SP2" and line.unit_price is None
    editor = QApplication.focusWidget()
    assert editor is not None and editor is not counter.search  # the price cell is open for typing
    qtbot.keyClicks(editor, "9.90")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(counter.search.hasFocus, timeout=1000)
    assert counter.basket_model.lines()[0].unit_price == Decimal("9.90")
    assert counter.request_json()["items"][0]["item"] == "SP2"


def test_a_standard_code_of_a_product_not_in_the_store_list_adds_the_product(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    win, db, products = shop
    counter = win.counter
    p = products[2]  # a real product the store list does not carry
    scan(qtbot, counter, p["standard_code"])
    [line] = counter.basket_model.lines()
    assert line.goods is not None and line.goods.item_id is None and line.goods.product_code == p["code"]
    assert line.entry is not None and line.entry.key == p["entry_key"]
    editor = QApplication.focusWidget()
    qtbot.keyClicks(editor, "12.00")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(counter.search.hasFocus, timeout=1000)
    assert counter.request_json()["items"][0]["product"] == p["code"]
    assert counter.estimate is not None, counter.estimate_note.text()
    assert counter.estimate.lines[0].spec == (p["spec"] or p["registered_spec"])


def test_an_unknown_prefix_asks_the_item_once_then_the_box_is_in_the_basket(  # type: ignore[no-untyped-def]
    qtbot, shop, monkeypatch
) -> None:
    from desktop.ui import scan_box

    win, db, products = shop
    counter = win.counter
    asked = []

    def choose(dialog) -> int:  # type: ignore[no-untyped-def]
        asked.append(dialog.filter.placeholderText())
        dialog.filter.setText("SP2")
        dialog._accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(scan_box.ItemPickerDialog, "exec", choose)
    scan(qtbot, counter, "76543210000000000001")
    editor = QApplication.focusWidget()  # SP2 has no store price: staff type it, then the next box
    qtbot.keyClicks(editor, "9.90")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(counter.search.hasFocus, timeout=1000)
    scan(qtbot, counter, "76543210000000000002")  # the same 药品标识码: not asked again
    assert len(asked) == 1
    [line] = counter.basket_model.lines()
    assert line.goods is not None and line.goods.item_id == "SP2"
    assert line.trace_codes == ("76543210000000000001", "76543210000000000002") and line.quantity == 2


def test_a_scan_that_names_no_entry_adds_nothing_and_says_why(qtbot, shop) -> None:  # type: ignore[no-untyped-def]
    win, db, products = shop
    counter = win.counter
    scan(qtbot, counter, barcode(7))  # a valid barcode the store list does not have
    assert counter.basket_model.lines() == []
    assert "不在本店商品清单" in counter.search_note.text()
    assert counter.search.selectedText() == barcode(7)


def test_backspace_takes_back_a_box_scanned_by_mistake_and_the_quantity_keeps_the_codes(  # type: ignore[no-untyped-def]
    qtbot, shop, dialogs
) -> None:
    win, db, products = shop
    counter = win.counter
    for code in CODES:
        scan(qtbot, counter, code)
    qtbot.keyClick(win, Qt.Key.Key_F10)  # to the line
    qtbot.keyClick(counter.basket, Qt.Key.Key_1)  # quantity 1 for two scanned boxes: refused, said why
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialogs), timeout=1000)
    assert "数量不能少于 2" in dialogs[-1][1]
    assert [(ln.quantity, ln.trace_codes) for ln in counter.basket_model.lines()] == [(2, tuple(CODES))]
    qtbot.waitUntil(counter.search.hasFocus, timeout=1000)  # after the message, back to the box
    qtbot.keyClick(win, Qt.Key.Key_F10)
    assert counter.basket.hasFocus()
    qtbot.keyClick(counter.basket, Qt.Key.Key_Backspace)  # the second box was not sold after all
    assert [(ln.quantity, ln.trace_codes) for ln in counter.basket_model.lines()] == [(1, (CODES[0],))]
    assert f"已撤销第 1 行的追溯码 {CODES[1]}" in counter.search_note.text()
    assert counter.request_json()["items"][0]["trace_codes"] == CODES[:1]
    qtbot.keyClick(counter.basket, Qt.Key.Key_Escape)
    scan(qtbot, counter, CODES[1])  # and it can be scanned again
    assert counter.basket_model.lines()[0].trace_codes == tuple(CODES)
