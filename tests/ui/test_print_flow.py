"""The Qt print path draws the same receipt lines as the PDF (checked through a PDF printer)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPageLayout
from PySide6.QtPrintSupport import QPrinter

from desktop import settings
from desktop.receipts import issue
from desktop.receipts.layout import Issuer
from desktop.ui import print_flow
from tests.ui.helpers import pdf_text
from tests.ui.test_sale_workflow import add_with_price


def test_printer_output_has_the_receipt_lines(qtbot, window, db, pharmacy, tmp_path: Path):
    counter = window.counter
    counter.refresh_settings()
    add_with_price(qtbot, window, pinyin="amxl", price="12.50")
    assert counter.estimate is not None
    done = issue.issue(
        db, counter.request(), counter.estimate, Issuer.from_settings(settings.get(db)), "58mm", tmp_path / "r.pdf"
    )
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    print_flow.setup_page(printer, done.receipt)
    assert abs(printer.pageLayout().fullRect(QPageLayout.Unit.Millimeter).width() - 58) < 0.5  # a 58 mm roll
    print_flow.paint_receipt(printer, done.receipt)
    text = pdf_text(out)
    for line in done.receipt.lines:
        if line.text and line.style != "rule":
            assert line.text.split()[0] in text.replace(" ", "") or line.text.replace(" ", "")[:6] in text.replace(
                " ", ""
            ), line.text
    assert done.number in text.replace(" ", "")


def test_function_keys_open_their_screens(qtbot, window, monkeypatch):
    from desktop.ui.updates_dialog import UpdatesDialog

    opened = []
    monkeypatch.setattr(UpdatesDialog, "exec", lambda self: opened.append(self) or 0)
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert opened and window.counter.search.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_F7)
    assert window.tabs.currentWidget() is window.browser
    assert "F4" in window.counter.keybar.text() and "F5" in window.counter.keybar.text()
