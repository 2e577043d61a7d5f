"""The core (catalogue, rules, sync, receipts) never imports Qt: the UI is a thin layer over it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DESKTOP = Path(__file__).resolve().parent.parent / "desktop"


def qt_imports(package: Path) -> list[tuple[str, str]]:
    """Every (module path, imported module) of a Qt binding under ``package``."""
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [(str(path), n) for n in names if n.split(".")[0] in ("PySide6", "shiboken6", "PyQt6", "PyQt5")]
    return found


@pytest.mark.parametrize("package", ["catalogue", "rules", "sync", "receipts"])
def test_core_is_qt_free(package: str) -> None:
    assert (DESKTOP / package).is_dir()
    assert qt_imports(DESKTOP / package) == []


def test_the_check_sees_qt_imports() -> None:
    assert qt_imports(DESKTOP / "ui")  # the UI does import Qt: the walker is not blind
