"""``yaomu search``/``show``: odd queries are refused cleanly (exit 2), control characters never reach the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.catalogue import search
from desktop.cli import main
from desktop.storage import catalogue as store


@pytest.mark.parametrize(
    ("query", "limit", "says"),
    [
        ("²", "20", "上标或带圈"),
        ("①", "20", "上标或带圈"),
        ("12345678901234567890", "20", "20 位数字"),
        ("阿莫西林", "99999999999999999999", "--limit"),
        ("阿莫西林", "0", "--limit"),
        ("   ", "20", "为空"),
        ("阿莫\x1b[2J", "20", "控制字符"),
        ("药" * 65, "20", "过长"),
    ],
)
def test_odd_queries_are_refused_with_exit_2(real_db_path: Path, query: str, limit: str, says: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--db", str(real_db_path), "search", query, "--limit", limit]) == 2
    err = capsys.readouterr().err
    assert says in err and "内部错误" not in err


@pytest.mark.parametrize("query", ["²", "①", "12345678901234567890", "9" * 40])
def test_the_search_core_never_crashes_on_them(real_db, query: str) -> None:  # type: ignore[no-untyped-def]
    assert search.search(real_db, query, limit=5).query == query  # an answer (maybe empty), not an exception


def test_control_characters_in_stored_names_are_escaped_in_search_and_show(real_db_copy: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = store.open_db(real_db_copy)
    (entry_id,) = db.execute("select id from entry where name = '阿莫西林' limit 1").fetchone()
    db.execute("update entry set remark = ? where id = ?", ["限\x1b[2J成人\u202e反向", entry_id])
    db.close()
    assert main(["--db", str(real_db_copy), "show", entry_id]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b[2J" in out and "\\u202e" in out
    assert main(["--db", str(real_db_copy), "show", entry_id, "--json"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert json.loads(out)["remark"] == "限\x1b[2J成人\u202e反向"  # escaped on screen, intact as data
