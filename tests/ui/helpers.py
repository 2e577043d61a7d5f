"""Keyboard helpers for the GUI tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget


def type_chinese(widget: QWidget, text: str) -> None:
    """Type Chinese as an input method commits it (keyClicks with non-ASCII aborts Qt, PLATFORM.md)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
