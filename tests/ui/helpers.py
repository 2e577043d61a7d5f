"""Keyboard helpers for the GUI tests."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desktop.settings import Settings

#: What a pharmacy enters in its settings (F12): name and code, counter, staff, the local fund figures.
PHARMACY = Settings(
    pharmacy_name="测试大药房",
    institution_code="P22010100001",
    counter="1号柜台",
    staff="张药师",
    profile="national",
    parameters={"fund_ratio": "0.80", "first_self_pay": "0.10"},
    paper="80mm",
)


def type_chinese(widget: QWidget, text: str) -> None:
    """Type Chinese as an input method commits it (keyClicks with non-ASCII aborts Qt, PLATFORM.md)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def drive_modals(*steps: Callable[[QWidget], None]) -> QTimer:
    """Run ``steps`` in turn, each on the next modal dialog that opens (as staff would press keys in it).

    Each step runs from its own event (so a step may open another modal dialog). Keep the returned
    timer referenced while the dialogs run; stop it afterwards.
    """
    state: dict[str, object] = {"last": None, "i": 0}

    def tick() -> None:
        widget = QApplication.activeModalWidget()
        i = int(state["i"])  # type: ignore[call-overload]
        if widget is None or widget is state["last"] or i >= len(steps):
            return
        state["last"] = widget
        state["i"] = i + 1
        QTimer.singleShot(0, lambda: steps[i](widget))

    timer = QTimer()
    timer.setInterval(30)
    timer.timeout.connect(tick)
    timer.start()
    return timer


def key(widget: QWidget, k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed where the keyboard focus is inside ``widget``'s window."""
    target = widget.focusWidget() or widget
    QTest.keyClick(target, k, modifier)
