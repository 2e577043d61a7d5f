"""Counter workflows end to end on the real catalogue: type, pick, scan."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent


def type_chinese(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type Chinese as an input method commits it (keyClicks with non-ASCII aborts Qt, PLATFORM.md)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(widget, event)


def test_pinyin_initials_find_amoxicillin(qtbot, window):
    counter = window.counter
    assert counter.search.hasFocus()
    qtbot.keyClicks(counter.search, "amxl")
    names = [e.name for e in counter.results_model.entries()]
    assert names and names[0] == "阿莫西林"
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    assert counter.current is not None and counter.current.name == "阿莫西林"
    assert counter.current.edition == "2024"  # as of 2025-03-01
    assert "阿莫西林" in counter.detail.name.text()
