"""Fuzz ``yaomu search``: any query and any --limit is answered (0) or refused (2), never an internal error."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.conftest import examples, run_cli

#: Characters that broke search once, and their neighbours: super/subscripts, circled and full-width
#: digits, CJK, pinyin, FTS5 operators and quotes, controls, bidi overrides, surrogates' neighbours.
TRICKY = "²³¹①⑳⒈０９阿莫西林胶囊颗粒注射剂ÄäǖüZzXx09\"'*^():-+ NEAR OR AND NOT\x00\x1b\r\n\t\u202e\u2028\ufeff%_\\"
queries = st.one_of(
    st.text(alphabet=TRICKY, max_size=30),
    st.text(max_size=80),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.from_regex(r"[0-9]{1,40}", fullmatch=True),
)
limits = st.one_of(st.integers(min_value=-5, max_value=2000), st.integers(min_value=-(10**25), max_value=10**25))


@examples(120, 5000)
@given(query=queries, limit=limits)
@example(query="²", limit=20)
@example(query="①", limit=20)
@example(query="12345678901234567890", limit=20)
@example(query="阿莫西林", limit=10**20)
def test_search_never_fails_internally(real_db_path: Path, query: str, limit: int) -> None:
    if query.startswith("-"):  # argparse reads it as an option: that is a refusal too, tested as such
        query = " " + query
    code, _out, err = run_cli(
        ["--db", str(real_db_path), "search", query, "--limit", str(limit), "--date", "2025-06-01"]
    )
    assert code in (0, 2), err
    assert "内部错误" not in err
