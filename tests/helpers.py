"""Helpers shared by the test folders."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of the SQLite database at ``source`` (the backup API, WAL included)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target
