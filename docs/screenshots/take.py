"""Take the screenshots in docs/screenshots/ with the bundled font: python docs/screenshots/take.py DB [PACKAGE].

DB is a database with the bundled catalogue (it is copied; the copy gets demo settings). Runs
offscreen by default; under Xvfb (``xvfb-run -a``) set QT_QPA_PLATFORM=xcb to grab a real window.
PACKAGE (optional) is a catalogue package to show in the updates dialog.

``--window`` instead fills the whole screen with the window during a sale and writes
``counter-WxH.png`` (W×H: the screen's size), e.g. for 1366×768 and 1920×1080::

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1366x768x24" python docs/screenshots/take.py DB --window

``--scan`` does the same for a sale of scanned boxes (issue #13): the real NHSA products imported into the
copy, a store list made of real product rows, a box scanned by its barcode, two packs by their 追溯码, one
box without its code (the line says 未扫码); writes ``counter-scan-WxH.png``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop.app import register_fonts  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402

OUT = Path(__file__).resolve().parent


def settle(app: QApplication, ms: int = 50) -> None:
    QTest.qWait(ms)


def save(widget: QWidget, name: str, app: QApplication) -> None:
    settle(app)
    widget.grab().save(str(OUT / f"{name}.png"))
    print("wrote", OUT / f"{name}.png")


def type_chinese(widget: QWidget, text: str) -> None:
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def add(counter, text: str, price: str, app: QApplication) -> None:  # type: ignore[no-untyped-def]
    counter.search.clear()
    if text.isascii():
        QTest.keyClicks(counter.search, text)
    else:
        type_chinese(counter.search, text)
    QTest.keyClick(counter.search, Qt.Key.Key_Return)
    counter.add_current()  # F4: the new line's price cell opens for typing
    settle(app)
    editor = counter.basket.indexWidget(counter.basket.currentIndex())
    if editor is not None:  # typed into the cell's editor, Enter (keys go to the widget: no window manager here)
        QTest.keyClicks(editor, price)
        QTest.keyClick(editor, Qt.Key.Key_Return)
    counter.focus_search()
    settle(app)


def main(db_source: str, package: str | None = None) -> None:
    app = QApplication.instance() or QApplication([])
    register_fonts(app)
    from desktop import settings
    from desktop.ui.main_window import MainWindow

    work = Path(tempfile.mkdtemp()) / "shots.sqlite3"
    shutil.copy(db_source, work)
    db = store.open_db(work)
    settings.save(
        db,
        settings.Settings(
            pharmacy_name="示例大药房（长春店）",
            institution_code="P22010100001",
            counter="1号柜台",
            staff="张药师",
            profile="jilin",
            parameters={"fund_ratio": "0.70", "deductible": "0.00"},
            paper="80mm",
        ),
    )
    day = date(2025, 3, 1)
    win = MainWindow(db, work, today=lambda: day)
    win.resize(1440, 900)
    win.show()
    c = win.counter
    QTest.keyClicks(c.search, "amxl")
    save(win, "counter-search", app)

    add(c, "amxl", "12.50", app)
    add(c, "布洛芬", "8.00", app)
    c.deductible.setText("0")
    c._patient_changed()
    type_chinese(c.search, "司美格鲁肽")
    QTest.keyClick(c.search, Qt.Key.Key_Return)
    save(win, "counter-sale", app)

    win.open_browser()
    b = win.browser
    b.checks["negotiated"].setChecked(True)
    save(win, "browser", app)
    win.tabs.setCurrentWidget(c)

    from desktop.ui.updates_dialog import UpdatesDialog

    trust = None
    if not package:  # a demo update: the 2024 revised edition without one real row, signed by a throw-away key
        from dataclasses import replace

        from desktop.catalogue import bundled
        from desktop.sync import build, keys

        key = keys.generate("示例发布方")
        trust = {key.key_id: key.public}
        data = bundled.read_2024_revised()
        rows = [row for row in data.rows if row.name_published != "氢醌"]
        data = replace(data, rows=[replace(row, seq=i) for i, row in enumerate(rows, start=1)])
        package = str(
            build.edition_package(data, work.with_name("demo.yaomu"), key, package_id="demo-2024-update", sequence=1000)
        )
    updates = UpdatesDialog(db, work, win, trust=trust)
    updates.show()
    if package:
        updates.open_package(Path(package))
        for _ in range(1200):
            if updates.job is None or updates.job.done:
                break
            settle(app, 25)
    save(updates, "updates", app)
    updates.close()

    from desktop.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(db, win)
    dialog.show()
    save(dialog, "settings", app)
    dialog.tabs.setCurrentIndex(2)
    save(dialog, "settings-figures", app)
    dialog.close()

    from desktop.ui.setup_wizard import SetupWizard

    wizard = SetupWizard(db, win)
    wizard.show()
    wizard.next()
    save(wizard, "setup-wizard", app)
    wizard.next()
    wizard.next()
    save(wizard, "setup-wizard-figures", app)
    wizard.done(0)

    from desktop.ui.print_flow import PrintDialog

    printing = PrintDialog(win, c)
    printing.show()
    save(printing, "print", app)
    printing.close()

    from desktop.receipts import issue
    from desktop.receipts.layout import Issuer

    issue.issue(
        db,
        c.request(),
        c.estimate,
        Issuer.from_settings(settings.get(db)),
        "80mm",
        Path(tempfile.mkdtemp()) / "r.pdf",
        patient_name="王某",
    )
    from desktop.ui.receipt_history_dialog import ReceiptHistoryDialog

    history = ReceiptHistoryDialog(db, win)
    history.show()
    save(history, "receipt-history", app)
    history.close()

    win.counter.day.setDate(win.counter.day.date().addYears(-2))
    save(win, "outside-editions", app)


def _shop(db_source: str, parameters: dict[str, str]):  # type: ignore[no-untyped-def]
    """A throw-away copy of ``db_source`` with the example pharmacy's settings; the app with fonts and zh_CN."""
    from desktop import settings
    from desktop.app import install_translations

    app = QApplication.instance() or QApplication([])
    register_fonts(app)
    install_translations(app)
    work = Path(tempfile.mkdtemp()) / "shots.sqlite3"
    shutil.copy(db_source, work)
    db = store.open_db(work)
    example = settings.Settings(
        pharmacy_name="示例大药房（长春店）",
        institution_code="P22010100001",
        counter="1号柜台",
        staff="张药师",
        profile="jilin",
        parameters=parameters,
        paper="80mm",
    )
    settings.save(db, example)
    return app, db, work


def _full_screen(app: QApplication, db, work: Path, day: date):  # type: ignore[no-untyped-def]
    """The main window on ``day``, filling the screen."""
    from desktop.ui.main_window import MainWindow

    win = MainWindow(db, work, today=lambda: day)
    screen = app.primaryScreen().geometry()
    win.setGeometry(screen)
    win.show()
    return win, screen


def whole_screen(db_source: str) -> None:
    """The counter during a sale, the window filling the screen (nothing may be cut off)."""
    app, db, work = _shop(db_source, {"fund_ratio": "0.70", "deductible": "0.00"})
    win, screen = _full_screen(app, db, work, date(2025, 3, 1))
    c = win.counter
    add(c, "amxl", "12.50", app)
    add(c, "布洛芬", "8.00", app)
    c.deductible.setText("0")
    c._patient_changed()
    type_chinese(c.search, "司美格鲁肽")
    QTest.keyClick(c.search, Qt.Key.Key_Return)
    settle(app, 300)
    save(win, f"counter-{screen.width()}x{screen.height()}", app)


def scanned_sale(db_source: str) -> None:
    """Scanned boxes in the basket: item, store price, spec and maker, 追溯码 per pack (keys only, as a scanner)."""
    from desktop import paths
    from desktop.products import database, items
    from tests.products.conftest import barcode, linked_products, write_store_csv

    app, db, work = _shop(db_source, {"fund_ratio": "0.70", "first_self_pay": "0.10", "deductible": "0.00"})
    database.import_file(db, paths.resource_path("products/nhsa-first-batch.csv"))
    products = linked_products(db, 400)
    products.sort(key=lambda p: not p["code"].startswith("X"))  # a Western drug first, then another drug
    western: list[dict] = []
    for p in products:
        if all(w["entry_key"] != p["entry_key"] for w in western):
            western.append(p)
    western = western[:2]
    assert len(western) == 2, "the products CSV should link two different drugs"
    rows = [  # the store's own 商品编码, barcodes and prices (made up); the products are real rows
        {"id": f"SP{i + 1:04d}", "name": p["registered_name"], "insurance_code": p["code"], "barcode": barcode(i + 1),
         "price": price}
        for i, (p, price) in enumerate(zip(western, ("23.40", "15.80"), strict=False))
    ]  # fmt: skip
    items.import_file(db, write_store_csv(work.with_name("store.csv"), rows, dict(items.FIELD_LABELS)))
    items.link_prefix(db, "SP0001", "8123456")  # learned once: “这盒药是哪个商品？”
    # The 2024 edition; a 医保 sale needs each pack's 追溯码 since 2025-07-01.
    win, screen = _full_screen(app, db, work, date(2025, 8, 1))
    c = win.counter
    c.refresh_settings()
    for code in ("81234560000000000001", "81234560000000000002", barcode(2)):
        c.focus_search()
        QTest.keyClicks(c.search, code)  # a scanner types the digits, then Enter
        QTest.keyClick(c.search, Qt.Key.Key_Return)
        settle(app)
    c.focus_search()
    QTest.keyClicks(c.search, "81234560000000000003")  # the third pack: scanned, waiting for Enter
    QTest.keyClick(c.search, Qt.Key.Key_Return)
    c.basket.setCurrentIndex(c.basket_model.index(0, 4))
    c.focus_search()
    settle(app, 300)
    save(win, f"counter-scan-{screen.width()}x{screen.height()}", app)


if __name__ == "__main__":
    if "--scan" in sys.argv:
        scanned_sale(sys.argv[1])
    elif "--window" in sys.argv:
        whole_screen(sys.argv[1])
    else:
        main(*sys.argv[1:3])
