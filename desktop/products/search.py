"""Products in the one search box: 商品名 (brand), 注册名称, manufacturer, 批准文号, 本位码, 医保药品代码.

Terms live in ``product_term`` (a WITHOUT ROWID B-tree); a query is one range scan over the
terms that start with it, so the cost is the same at 270,000 or 1,000,000 products. The
catalogue search merges ``entry_rows``: the entries the matching products link to, so a
brand name finds its generic entry.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

from sqlite_utils import Database

from desktop.catalogue.normalise import normalise_name

#: Fields whose text is a search term, and the label staff see.
TERM_FIELDS = {
    "brand": "商品名",
    "registered_name": "注册名称",
    "manufacturer": "生产企业",
    "approval_no": "批准文号",
    "standard_code": "本位码",
    "code": "医保药品代码",
}
#: How many matching terms one keystroke reads at most.
SCAN_LIMIT = 400


def term(text: str) -> str:
    """The search form of a text: normalised, upper-case ASCII, no spaces.

    >>> term(" 国药准字h20000001 ")
    '国药准字H20000001'
    """
    return normalise_name(text).replace(" ", "").upper()


def _terms(row: tuple) -> Iterable[tuple[str, int, str]]:  # type: ignore[type-arg]
    pid, *values = row
    for fname, value in zip(TERM_FIELDS, values, strict=True):
        if not value:
            continue
        t = term(value)
        yield t, pid, fname
        if fname == "approval_no" and t.startswith("国药准字"):
            yield t[4:], pid, fname  # staff type "H2000…" without the prefix


def index(conn: sqlite3.Connection, ids: list[int], *, fresh: bool) -> None:
    """(Re)build the terms of the given products; ``fresh``: the table is empty, index everything."""
    cols = ", ".join(TERM_FIELDS)
    if fresh:
        conn.execute("delete from product_term")
        rows = conn.execute(f"select id, {cols} from product")
        conn.executemany("insert or ignore into product_term values (?,?,?)", (t for r in rows for t in _terms(r)))
        return
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ",".join("?" * len(part))
        conn.execute(f"delete from product_term where product_id in ({marks})", part)
        rows = list(conn.execute(f"select id, {cols} from product where id in ({marks})", part))
        conn.executemany("insert or ignore into product_term values (?,?,?)", (t for r in rows for t in _terms(r)))


def _range_end(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def worth_searching(text: str) -> bool:
    """Short ASCII and digit fragments are catalogue numbers, pinyin or category codes, not products."""
    if re.search(r"[\u4e00-\u9fff]", text):
        return len(text) >= 2
    return len(text) >= 6


def matching_ids(db: Database, text: str, limit: int = SCAN_LIMIT) -> list[tuple[int, str]]:
    """(product id, field) of products with a term starting with ``text``, shortest terms first."""
    t = term(text)
    if not t or not worth_searching(t):
        return []
    rows = db.execute(
        "select product_id, field from product_term where term >= ? and term < ? limit ?",
        [t, _range_end(t), limit],
    ).fetchall()
    return [(pid, f) for pid, f in rows]


def products(db: Database, text: str, limit: int = 50) -> list[dict]:
    """Product rows matching ``text`` (for the 对码 screen and ``yaomu products search``)."""
    ids = list(dict.fromkeys(pid for pid, _ in matching_ids(db, text)))[:limit]
    if not ids:
        return []
    rows = {r["id"]: r for r in db.query(f"select * from product where id in ({','.join('?' * len(ids))})", ids)}
    return [rows[i] for i in ids if i in rows]


def entry_rows(db: Database, text: str, edition_id: int, limit: int) -> list[dict]:
    """Catalogue rows (as the catalogue search selects them) of the edition that matching products link to."""
    if limit <= 0:
        return []
    ids = [pid for pid, _ in matching_ids(db, text)]
    if not ids:
        return []
    keys = [
        k
        for (k,) in db.execute(
            f"select distinct entry_key from product where id in ({','.join('?' * len(ids))}) "
            "and entry_key is not null",
            ids,
        )
    ][:limit]
    if not keys:
        return []
    from desktop.storage.catalogue import ENTRY_SELECT

    return list(
        db.query(
            f"{ENTRY_SELECT} where e.edition_id = ? and e.key in ({','.join('?' * len(keys))}) order by e.seq limit ?",
            [edition_id, *keys, limit],
        )
    )
