"""↑/↓ typed in a filter box move the selection of the list below it (the pickers of the 对码 screens)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QListWidget


def move_selection(listing: QListWidget, event: QEvent) -> bool:
    """Move ``listing``'s current row for an ↑/↓ key press; True when the event was used."""
    if not (isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress):
        return False
    if event.key() not in (Qt.Key.Key_Up, Qt.Key.Key_Down):
        return False
    row = listing.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
    listing.setCurrentRow(max(0, min(listing.count() - 1, row)))
    return True
