"""Take the screenshots in docs/screenshots/ (offscreen, with the bundled font): python docs/screenshots/take.py DB."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop.app import register_fonts  # noqa: E402
from desktop.catalogue import store  # noqa: E402

OUT = Path(__file__).resolve().parent


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def save(widget: QWidget, name: str, app: QApplication) -> None:
    settle(app)
    widget.grab().save(str(OUT / f"{name}.png"))
    print("wrote", OUT / f"{name}.png")


def type_chinese(widget: QWidget, text: str) -> None:
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def main(db_path: str, only: str | None = None) -> None:
    app = QApplication.instance() or QApplication([])
    register_fonts(app)
    from desktop.ui.main_window import MainWindow

    db = store.open_db(db_path)
    day = date(2025, 3, 1)
    win = MainWindow(db, Path(db_path), today=lambda: day)
    win.resize(1400, 860)
    win.show()
    c = win.counter
    QTest.keyClicks(c.search, "amxl")
    QTest.keyClick(c.search, Qt.Key.Key_Return)
    save(win, "counter-search", app)
    type_chinese(c.search, "司美格鲁肽")
    QTest.keyClick(c.search, Qt.Key.Key_Return)
    save(win, "counter-detail", app)
    if only == "counter":
        return
    win.open_browser()
    b = win.browser
    b.checks["negotiated"].setChecked(True)
    save(win, "browser", app)


if __name__ == "__main__":
    main(sys.argv[1], *(sys.argv[2:3]))
