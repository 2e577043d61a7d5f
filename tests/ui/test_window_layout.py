"""The window: laid out for 1366×768 up to 1920×1080 with nothing cut off, resizable, its layout remembered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect


def _inside(window, widget) -> bool:  # type: ignore[no-untyped-def]
    """``widget`` is shown whole inside the window (not clipped by its bottom or right edge)."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    rect = QRect(top_left, widget.size())
    return widget.isVisible() and window.rect().contains(rect)


@pytest.mark.parametrize(("width", "height"), [(1366, 768 - 40), (1920, 1080 - 40)])  # minus a taskbar
def test_nothing_is_cut_off(qtbot, window, width, height):
    window.setWindowState(window.windowState() & ~window.windowState())
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().width() == width and window.size().height() == height)
    counter = window.counter
    for widget in (counter.keybar, window.statusBar(), window.edition_label, counter.search, counter.patient_box):
        assert _inside(window, widget), widget.objectName()
    # The key bar and the status bar say all they have to say at this width.
    assert counter.keybar.width() >= counter.keybar.sizeHint().width()
    label = window.edition_label
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    # Every patient field fits.
    for field in (counter.insurance, counter.group, counter.channel, counter.deductible, counter.day):
        assert _inside(window, field) and field.height() >= field.minimumSizeHint().height()
    assert counter.basket.height() >= 90 and counter.results.height() >= 150


#: Run in a child process on a 1920×1080 offscreen screen (the test session's offscreen screen is 800×800,
#: and Qt rightly shrinks a restored window to the screen it is on).
REMEMBER = """
import json, sys
from datetime import date
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop.storage import catalogue as store
from desktop.ui.main_window import MainWindow
db = store.open_db(sys.argv[1])
win = MainWindow(db, None, today=lambda: date(2025, 3, 1))
win.show()
app.processEvents()
out = {"first": [win.width(), win.height(), win.isMaximized(), win.minimumWidth(), win.minimumHeight()]}
win.setWindowState(win.windowState() & ~win.windowState())
win.resize(1500, 860)
app.processEvents()
win.counter.splitters["main"].setSizes([300, 450])
out["sizes"] = win.counter.splitters["main"].sizes()
win.close()
again = MainWindow(db, None, today=lambda: date(2025, 3, 1))
again.show()
app.processEvents()
out["second"] = [again.width(), again.height()]
out["second_sizes"] = again.counter.splitters["main"].sizes()
print(json.dumps(out))
"""


def test_window_is_resizable_and_its_layout_remembered(db_path, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "s",
                        "x": 0,
                        "y": 0,
                        "width": 1920,
                        "height": 1080,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen}")
    done = subprocess.run(
        [sys.executable, "-c", REMEMBER, str(db_path)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    width, height, _maximized, min_w, min_h = out["first"]
    assert (width, height) == (1440, 900)  # the first start: sized for the screen
    assert min_w <= 1366 and min_h <= 728  # resizable down to a 1366×768 screen with its taskbar
    assert out["second"] == [1500, 860]
    assert out["second_sizes"] == out["sizes"]
