"""Search terms of products (``product_term``): how a brand, name, maker or 批准文号 is typed at the counter.

Apart from ``desktop.storage.products`` so that the migration step (``storage.catalogue``) can rebuild
the index without importing the products queries, which read the catalogue's entries.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from functools import lru_cache

from desktop.catalogue.normalise import normalise_name

_CJK = re.compile(r"[\u4e00-\u9fff]")

#: Fields whose text is a search term, and the label staff see.
TERM_FIELDS = {
    "brand": "商品名",
    "registered_name": "注册名称",
    "manufacturer": "生产企业",
    "approval_no": "批准文号",
}


@lru_cache(maxsize=100_000)
def term(text: str) -> str:
    """The search form of a text: normalised, upper-case ASCII, no spaces, no 国药准字.

    >>> term(" 国药准字h20000001 ")
    'H20000001'
    """
    return normalise_name(text).replace(" ", "").upper().removeprefix("国药准字")


def approval_term(text: str) -> str:
    """批准文号 as a term: ASCII already, so no name normalisation (one per product: no cache either).

    >>> approval_term("国药准字h20000001")
    'H20000001'
    """
    return text.replace(" ", "").upper().removeprefix("国药准字")


#: Brands are typed by pinyin at the counter (拜新同: ``bxt`` or ``baixintong``): derived terms of the brand.
BRAND_KEYS = ("brand_initials", "brand_pinyin")


@lru_cache(maxsize=200_000)  # brands repeat across packs and makers: each is converted once per process
def brand_key(brand: str | None, which: str) -> str | None:
    """The brand's pinyin initials or full pinyin as a term; ``None`` when the brand has no Chinese.

    >>> brand_key("拜新同", "brand_initials"), brand_key("拜新同", "brand_pinyin")
    ('BXT', 'BAIXINTONG')
    >>> brand_key("ABC", "brand_initials") is None  # a Latin brand is its own term already
    True
    """
    if not brand or not _CJK.search(brand):
        return None
    from desktop.catalogue import pinyin  # only the indexing step pays for pypinyin, never a keystroke

    full, initials = pinyin.keys(normalise_name(brand))
    return (initials if which == "brand_initials" else full).upper() or None


def _terms(row: Iterable[object]) -> Iterable[tuple[str, int, str]]:
    pid, *values = row
    for fname, value in zip(TERM_FIELDS, values, strict=True):
        if value:
            yield (approval_term if fname == "approval_no" else term)(value), pid, fname  # type: ignore[arg-type, misc]
    for key in BRAND_KEYS:
        derived = brand_key(values[0], key)
        if derived:
            yield derived, pid, key  # type: ignore[misc]


def add_terms(conn: sqlite3.Connection, rows: Iterable[Iterable[object]]) -> None:
    """Index products given as (id, brand, registered_name, manufacturer, approval_no) tuples."""
    conn.executemany("insert or ignore into product_term values (?,?,?)", (t for r in rows for t in _terms(r)))


def drop_terms(conn: sqlite3.Connection, rows: Iterable[Iterable[object]]) -> None:
    """Remove the terms of products given as their (id, …) tuples before the change."""
    conn.executemany(
        "delete from product_term where term = ? and product_id = ? and field = ?",
        (t for r in rows for t in _terms(r)),
    )


def index_all(conn: sqlite3.Connection) -> None:
    """Index every product in one statement per field: SQLite sorts the terms, so the B-tree only appends."""
    conn.execute("delete from product_term")
    conn.create_function("yaomu_term", 1, term, deterministic=True)
    conn.create_function("yaomu_approval", 1, approval_term, deterministic=True)
    conn.create_function("yaomu_brand_key", 2, brand_key, deterministic=True)
    union = " union all ".join(
        [
            f"select {'yaomu_approval' if f == 'approval_no' else 'yaomu_term'}({f}), id, '{f}' from product "
            f"where {f} is not null and {f} != ''"
            for f in TERM_FIELDS
        ]
        + [
            f"select yaomu_brand_key(brand, '{k}') t, id, '{k}' from product where brand is not null and brand != ''"
            for k in BRAND_KEYS
        ]
    )
    # A brand without Chinese has no pinyin key (NULL): "or ignore" skips those rows (term is NOT NULL).
    conn.execute(f"insert or ignore into product_term {union} order by 1, 2, 3")
