"""GUI fixtures: the bundled catalogue (installed once per session), copied per test, and the main window."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from desktop.storage import catalogue as store
from tests.helpers import copy_database


@pytest.fixture(scope="session")
def ui_db_path(real_db_path: Path) -> Path:
    """The GUI tests' catalogue: the bundled one, installed once per session (tests/conftest.py)."""
    return real_db_path


@pytest.fixture()
def db_path(ui_db_path: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the session catalogue."""
    return copy_database(ui_db_path, tmp_path / "catalogue.sqlite3")


@pytest.fixture()
def db(db_path: Path):  # type: ignore[no-untyped-def]
    conn = store.open_db(db_path)
    yield conn
    conn.close()


#: The counter's date in the workflow tests: the 2024 edition (revised) is in force.
DAY_2024 = date(2025, 3, 1)


@pytest.fixture()
def window(qtbot, db, db_path):  # type: ignore[no-untyped-def]
    from desktop.ui.main_window import MainWindow

    win = MainWindow(db, db_path, today=lambda: DAY_2024)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture()
def dialogs(monkeypatch):  # type: ignore[no-untyped-def]
    """Message boxes record (title, text) instead of blocking; the test reads what staff would see."""
    from PySide6.QtWidgets import QMessageBox

    seen: list[tuple[str, str]] = []

    def fake_exec(box: QMessageBox) -> int:
        seen.append((box.windowTitle(), box.text()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(
            QMessageBox,
            name,
            staticmethod(
                lambda _parent, title, text, *a, **k: seen.append((title, text)) or QMessageBox.StandardButton.Ok
            ),
        )
    monkeypatch.setattr(
        QMessageBox,
        "question",
        staticmethod(
            lambda _parent, title, text, *a, **k: seen.append((title, text)) or QMessageBox.StandardButton.Yes
        ),
    )
    return seen


@pytest.fixture()
def pharmacy(db):  # type: ignore[no-untyped-def]
    """Settings a pharmacy would enter (F12), saved in the window's database."""
    from desktop import settings
    from tests.ui.helpers import PHARMACY

    settings.save(db, PHARMACY)
    return PHARMACY
