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
from tests.ui.helpers import drive_modals, key, pdf_text
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


def _sale(qtbot, window):  # type: ignore[no-untyped-def]
    window.counter.refresh_settings()
    add_with_price(qtbot, window, pinyin="amxl", price="12.50")
    assert window.counter.estimate is not None


def _receipt_count(db) -> int:  # type: ignore[no-untyped-def]
    return db.execute("select count(*) from receipt").fetchone()[0]


def test_cancelling_the_preview_issues_and_records_nothing(qtbot, window, db, pharmacy, monkeypatch, tmp_path):
    from desktop import paths

    monkeypatch.setattr(paths, "data_dir", lambda: tmp_path)
    _sale(qtbot, window)
    before = _receipt_count(db)
    seen = []

    def in_print_dialog(dialog):  # type: ignore[no-untyped-def]
        seen.append(type(dialog).__name__)
        key(dialog, Qt.Key.Key_Return)  # 打印… is the default button: opens the preview

    def in_preview(dialog):  # type: ignore[no-untyped-def]
        seen.append(type(dialog).__name__)
        assert _receipt_count(db) == before  # the preview takes no number
        key(dialog, Qt.Key.Key_Escape)

    timer = drive_modals(in_print_dialog, in_preview)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    timer.stop()
    assert seen == ["PrintDialog", "PreviewDialog"]
    assert _receipt_count(db) == before
    assert not list(tmp_path.rglob("*.pdf"))
    assert window.receipt_label.text() == ""
    qtbot.waitUntil(window.counter.search.hasFocus)


def test_printing_from_the_preview_issues_once_and_says_so(qtbot, window, db, pharmacy, monkeypatch, tmp_path):
    from desktop import paths

    monkeypatch.setattr(paths, "data_dir", lambda: tmp_path)
    printed = tmp_path / "printer.pdf"

    def pdf_printer(_name=""):  # type: ignore[no-untyped-def]
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return printer

    monkeypatch.setattr(print_flow, "make_printer", pdf_printer)
    _sale(qtbot, window)
    before = _receipt_count(db)
    timer = drive_modals(lambda d: key(d, Qt.Key.Key_Return), lambda d: key(d, Qt.Key.Key_Return))
    qtbot.keyClick(window, Qt.Key.Key_F5)
    timer.stop()
    assert _receipt_count(db) == before + 1
    number = db.execute("select number from receipt order by id desc limit 1").fetchone()[0]
    assert window.receipt_label.text().startswith(f"已开具 {number}")
    assert number in pdf_text(printed).replace(" ", "")
    assert (tmp_path / "receipts" / f"{number}.pdf").is_file()
    qtbot.waitUntil(window.counter.search.hasFocus)


def test_save_as_pdf_starts_in_documents_and_remembers_the_folder(qtbot, window, db, pharmacy, monkeypatch, tmp_path):
    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QFileDialog

    _sale(qtbot, window)
    asked = []
    chosen = tmp_path / "收据" / "a.pdf"
    chosen.parent.mkdir()

    def fake_save(_parent, _title, suggested, _filter):  # type: ignore[no-untyped-def]
        asked.append(Path(suggested).parent)
        return str(chosen), "PDF"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    monkeypatch.setattr(print_flow.PrintDialog, "exec", lambda self: self.pdf_button.click())
    qtbot.keyClick(window, Qt.Key.Key_F5)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert asked[0] == Path(docs) and asked[0] != Path.cwd()
    assert chosen.read_bytes().startswith(b"%PDF")
    assert window.receipt_label.text().startswith("已开具 ")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert asked[1] == chosen.parent  # the folder used last


def test_f8_resets_the_settlement_date_to_today(qtbot, window):
    from PySide6.QtCore import QDate

    counter = window.counter
    counter.day.setDate(QDate(2024, 6, 30))
    qtbot.keyClick(window, Qt.Key.Key_F8)
    today = counter.today()
    assert counter.as_of() == today
