"""No SQL outside desktop/storage/ (and db/migrations/): every query is a storage function returning records (#9)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "desktop"
STORAGE = ROOT / "storage"

#: SQL statements as they appear in string literals (case-insensitive), and placeholders of a WHERE clause.
SQL = re.compile(
    r"\bselect\s+(distinct\s+)?([\w.*]+\s*(,|\bfrom\b)|\w+\()|\binsert\s+(or\s+\w+\s+)?into\b|\bupdate\s+\w+\s+set\b|\bdelete\s+from\b"
    r"|\b(create|alter|drop)\s+(table|index|view|trigger|virtual)\b|\bpragma\s+\w+|\b\w+\.\w+\s*(=|>=|<|in)\s*\(?\?",
    re.IGNORECASE,
)
#: Connection methods that run SQL (sqlite3 and sqlite_utils).
SQL_CALLS = {"execute", "executemany", "executescript", "query", "rows_where"}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            out.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: SQL text {node.value[:60]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            out.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: .{node.func.attr}(...)")
    return out


def test_the_pattern_finds_sql() -> None:
    for text in (
        "select * from entry where id = ?",
        "insert or ignore into receipt_key (id) values (1)",
        "update sync_history set rolled_back_by = ?",
        "delete from overlay where overlay_id = ?",
        "PRAGMA synchronous = FULL",
        "e.edition_id = ? and ",
        "select exists(select 1 from edition)",
        "select e.*, d.name as edition_name from entry e",
    ):
        assert SQL.search(text), text
    for text in ("请选择要打印的收据", "Select the edition from the list", "a = b"):
        assert not SQL.search(text), text


@pytest.mark.parametrize(
    "path", sorted(p for p in ROOT.rglob("*.py") if STORAGE not in p.parents), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_sql_outside_storage(path: Path) -> None:
    assert _offences(path) == []


def test_storage_modules_hold_the_sql() -> None:
    found = {p.stem for p in STORAGE.glob("*.py") if _offences(p)}
    assert found >= {"catalogue", "overlays", "receipts", "settings", "history"}
