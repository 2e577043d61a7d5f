"""Time the work one keystroke causes in the counter's search box (on the GUI thread), on the real catalogue.

Usage: python bench/keystroke.py DB

Types realistic queries one character at a time (pinyin, Chinese, official numbers) into the real
CounterWidget offscreen and times each keystroke from key event to results shown (the core search,
the results model reset, the first row selected), plus Enter (pick: eligibility and detail panel).
Target (issue #6): no keystroke waits more than 50 ms; the core search itself <= 5 ms a query.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = ["amxl", "blf", "smglt", "zsy", "xa10", "656", "1010", "ylsw"]
CHINESE = ["阿莫西林", "布洛芬", "司美格鲁肽", "维生素", "连花清瘟"]


def main(db_path: str) -> int:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.app import register_fonts
    from desktop.storage import catalogue as store
    from desktop.ui.main_window import MainWindow

    app = QApplication([])
    register_fonts(app)
    db = store.open_db(db_path, readonly=True)
    win = MainWindow(db, Path(db_path))
    win.show()
    # Staff need longer than this to start typing; the window warms up its imports meanwhile. (An event
    # loop, not QTest.qWait: qWait keeps the GIL, so the warm-up thread would not run.)
    loop = QEventLoop()
    QTimer.singleShot(500, loop.quit)
    loop.exec()
    counter = win.counter
    keys: list[float] = []
    picks: list[float] = []
    labels: list[str] = []
    pick_labels: list[str] = []
    for _ in range(3):
        for q in QUERIES:
            counter.search.clear()
            for ch in q:
                t = time.perf_counter()
                QTest.keyClick(counter.search, ch)
                keys.append(time.perf_counter() - t)
                labels.append(counter.search.text())
            t = time.perf_counter()
            QTest.keyClick(counter.search, Qt.Key.Key_Return)
            picks.append(time.perf_counter() - t)
            pick_labels.append(counter.search.text())
        for word in CHINESE:
            counter.search.clear()
            for i in range(1, len(word) + 1):
                event = QInputMethodEvent()
                event.setCommitString(word[i - 1])
                t = time.perf_counter()
                QApplication.sendEvent(counter.search, event)
                keys.append(time.perf_counter() - t)
                labels.append(counter.search.text())
            t = time.perf_counter()
            QTest.keyClick(counter.search, Qt.Key.Key_Return)
            picks.append(time.perf_counter() - t)
            pick_labels.append(counter.search.text())
    for name, xs in (("keystroke (search + results)", keys), ("Enter (pick: eligibility + detail)", picks)):
        xs = sorted(xs)
        p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
        print(
            f"{name}: n={len(xs)} median {statistics.median(xs) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {xs[-1] * 1000:.1f} ms (target: every keystroke <= 50 ms)"
        )
    slow = sorted(zip(keys, labels, strict=True), reverse=True)[:5]
    print("slowest keystrokes:", ", ".join(f"{label!r} {t * 1000:.1f} ms" for t, label in slow))
    slow = sorted(zip(picks, pick_labels, strict=True), reverse=True)[:3]
    print("slowest picks:", ", ".join(f"{label!r} {t * 1000:.1f} ms" for t, label in slow))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
