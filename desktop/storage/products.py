"""Products in the one search box: 商品名 (brand), 注册名称, manufacturer, 批准文号, 本位码, 医保药品代码 (SQL).

Names, manufacturers and 批准文号 live in ``product_term`` (a WITHOUT ROWID B-tree); codes and
本位码 in ``product``'s own indexes. A query is one range scan over what starts with it, so the cost
is the same at 270,000 or 1,000,000 products. The catalogue search merges ``entry_pks``: the
entries the matching products link to, so a brand name finds its generic entry.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop.storage.product_terms import TERM_FIELDS, term

if TYPE_CHECKING:  # the search box reads with plain sqlite3 (``yaomu search`` imports no sqlite_utils)
    from sqlite_utils import Database

    from desktop.storage.catalogue import Connection

#: How many matching products one keystroke reads at most.
SCAN_LIMIT = 200
_COLS = ", ".join(TERM_FIELDS)
#: A product, item, mapping or import as a plain dict of its columns.
Row = dict[str, Any]


def rows_of(conn: sqlite3.Connection, ids: list[int]) -> list[tuple]:  # type: ignore[type-arg]
    out: list[tuple] = []  # type: ignore[type-arg]
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        out += conn.execute(f"select id, {_COLS} from product where id in ({','.join('?' * len(part))})", part)
    return out


def _range_end(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CODE_START = re.compile(r"^[XZ][A-Z]\d{2}[A-Z]{2}[A-Z0-9]+$")


_LETTERS = re.compile(r"^[A-Z]{2,}$")


def worth_searching(text: str) -> bool:
    """Short digit and code fragments are catalogue numbers or category codes, not products; two letters or
    more may be a brand's pinyin (``FBD`` 芬必得).

    >>> worth_searching("FBD"), worth_searching("F"), worth_searching("XA01"), worth_searching("H20000")
    (True, False, False, True)
    """
    if _CJK.search(text):
        return len(text) >= 2
    return bool(_LETTERS.match(text)) or len(text) >= 6


def matching_ids(db: Connection, text: str, limit: int = SCAN_LIMIT) -> list[tuple[int, str]]:
    """(product id, field) of products with a name, maker, 批准文号, code or 本位码 starting with ``text``."""
    t = term(text)
    if not t or not worth_searching(t):
        return []
    end = _range_end(t)
    if t.isdigit():
        sql = "select id, 'standard_code' from product where standard_code >= ? and standard_code < ? limit ?"
    elif _CODE_START.match(t):
        sql = "select id, 'code' from product where code >= ? and code < ? limit ?"
    else:
        sql = "select product_id, field from product_term where term >= ? and term < ? limit ?"
    return [(pid, f) for pid, f in db.execute(sql, [t, end, limit])]


def products(db: Database, text: str, limit: int = 50) -> list[Row]:
    """Product rows matching ``text`` (for the 对码 screen and the command line)."""
    ids = list(dict.fromkeys(pid for pid, _ in matching_ids(db, text)))[:limit]
    if not ids:
        return []
    rows = {r["id"]: r for r in db.query(f"select * from product where id in ({','.join('?' * len(ids))})", ids)}
    return [rows[i] for i in ids if i in rows]


def entry_pks(db: Connection, text: str, edition_id: int, limit: int) -> list[int]:
    """Catalogue row ids (``entry.pk``) of the edition that products matching ``text`` link to, in edition order."""
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
    return [
        pk
        for (pk,) in db.execute(
            # WORKAROUND: unary "+" keeps the planner on the key index, not walking the edition by seq.
            f"select pk from entry where +edition_id = ? and key in ({','.join('?' * len(keys))}) "
            "order by +seq limit ?",
            [edition_id, *keys, limit],
        )
    ]


# --- 追溯码 on receipts (desktop/products/trace.py) ---------------------------------------------


def trace_prefix_owner(db: Database, prefix: str) -> str | None:
    """The store item a 药品标识码 was learned for, if any."""
    row = db.execute("select item_id from trace_prefix where prefix = ?", [prefix]).fetchone()
    return row[0] if row else None


def live_trace_codes(db: Database, codes: list[str]) -> list[tuple[str, str]]:
    """(code, receipt number) of the given codes that are on an issued, not refunded receipt."""
    out: list[tuple[str, str]] = []
    for start in range(0, len(codes), 500):
        part = codes[start : start + 500]
        out += db.execute(
            "select code, receipt_number from receipt_trace where released_at is null and code in "
            f"({','.join('?' * len(part))})",
            part,
        ).fetchall()
    return out


def insert_trace_codes(db: Database, rows: list[tuple[str, str, int]], when: str) -> None:
    """Store (code, receipt number, line) sold at ``when`` (inside the receipt's transaction)."""
    db.conn.executemany(
        "insert into receipt_trace (code, receipt_number, line, sold_at) values (?,?,?,?)",
        [(*row, when) for row in rows],
    )


def receipt_exists(db: Database, number: str) -> bool:
    return db.execute("select 1 from receipt where number = ?", [number]).fetchone() is not None


def release_trace_codes(db: Database, number: str, when: str) -> int:
    with db.atomic():
        cur = db.conn.execute(
            "update receipt_trace set released_at = ? where receipt_number = ? and released_at is null",
            [when, number],
        )
    return cur.rowcount


def trace_codes_of(db: Database, number: str) -> list[Row]:
    return list(db.query("select * from receipt_trace where receipt_number = ? order by line, code", [number]))


# --- product imports (desktop/products/database.py, the command line) ---------------------------


def latest_import_id(db: Database) -> int | None:
    found = db.execute("select max(id) from product_import").fetchone()[0]
    return None if found is None else int(found)


def import_exists(db: Database, import_id: int) -> bool:
    return db.execute("select 1 from product_import where id = ?", [import_id]).fetchone() is not None


# --- lookups of a scan and of item/product request lines (desktop/products/scan.py, request.py) -------


def _one(db: Database, sql: str, params: list[object]) -> Row | None:
    return next(iter(db.query(sql, params)), None)


def item_by_barcode(db: Database, barcode: str) -> Row | None:
    return _one(db, "select * from store_item where barcode = ? limit 1", [barcode])


def item_by_trace_prefix(db: Database, prefix: str) -> Row | None:
    return _one(db, "select i.* from trace_prefix t join store_item i on i.id = t.item_id where t.prefix = ?", [prefix])


def item_by_standard_code(db: Database, code: str) -> Row | None:
    return _one(db, "select * from store_item where standard_code = ? limit 1", [code])


def item_by_id(db: Database, item_id: str) -> Row | None:
    return _one(db, "select * from store_item where id = ?", [item_id])


def item_of_product(db: Database, product_code: str) -> Row | None:
    """The store item whose applied or confirmed 对码 is this product."""
    return _one(
        db,
        "select i.* from item_match m join store_item i on i.id = m.item_id where m.product_code = ? "
        "and m.status != 'suggested' limit 1",
        [product_code],
    )


def product_by_code(db: Database, code: str) -> Row | None:
    return _one(db, "select * from product where code = ?", [code])


def product_by_standard_code(db: Database, code: str) -> Row | None:
    return _one(db, "select * from product where standard_code = ? order by code limit 1", [code])


def match_of(db: Database, item_id: str) -> Row | None:
    return _one(db, "select * from item_match where item_id = ?", [item_id])


def entry_row_by_key(db: Database, edition_id: int, key: str) -> Row | None:
    """The catalogue row (``ENTRY_SELECT`` shape) of ``key`` in an edition."""
    from desktop.storage.catalogue import ENTRY_SELECT

    # WORKAROUND: unary "+" keeps the planner on the key index, not walking the edition by seq.
    return _one(db, f"{ENTRY_SELECT} where +e.edition_id = ? and e.key = ? order by +e.seq limit 1", [edition_id, key])


# --- links of products to entries (desktop/products/link.py) ------------------------------------

_LINK_COLUMNS = "id, code, insurance_name, registered_name, insurance_form, form, class, number, edition"


def entries_for_linking(db: Database, edition_id: int) -> list[Row]:
    """An edition's entries with the fields a product link compares, in publication order."""
    return list(
        db.query(
            "select key, name, dosage_form, class, section, number, star_of, category_code from entry "
            "where edition_id = ? order by seq",
            [edition_id],
        )
    )


def linked_codes(db: Database) -> list[tuple[str, str]]:
    """(code, entry key) of products linked by 编号 or name (the segment fallback reads these)."""
    return db.execute(
        "select code, entry_key from product where entry_key is not null and link_method in ('number', 'name')"
    ).fetchall()


def products_to_link(db: Database, ids: list[int] | None) -> list[Row]:
    if ids is None:
        return list(db.query(f"select {_LINK_COLUMNS} from product"))
    rows: list[Row] = []
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows += db.query(f"select {_LINK_COLUMNS} from product where id in ({','.join('?' * len(part))})", part)
    return rows


def set_links(db: Database, updates: list[tuple[object, ...]]) -> None:
    """(entry key, method, problem, product id) for each product."""
    db.conn.executemany("update product set entry_key = ?, link_method = ?, link_problem = ? where id = ?", updates)


def link_counts(db: Database) -> tuple[int, int]:
    unlinked = db.execute("select count(*) from product where entry_key is null").fetchone()[0]
    disagree = db.execute(
        "select count(*) from product where entry_key is not null and link_problem is not null"
    ).fetchone()[0]
    return int(unlinked), int(disagree)


def link_report(db: Database, limit: int | None = None) -> list[Row]:
    sql = (
        "select code, coalesce(insurance_name, registered_name) as name, entry_key, link_method, link_problem "
        "from product where entry_key is null or link_problem is not null order by code"
    )
    return list(db.query(sql + (f" limit {int(limit)}" if limit else "")))


# --- stocking duty (desktop/products/duty.py) ---------------------------------------------------


def stocked_entry_keys(db: Database) -> list[str]:
    """Entry keys of the store's items whose 对码 answers (applied or confirmed, not stale)."""
    return [
        k
        for (k,) in db.execute(
            "select distinct p.entry_key from item_match m join product p on p.code = m.product_code "
            "where m.status in ('applied', 'confirmed') and m.stale is null and p.entry_key is not null"
        )
    ]


def entries_by_keys(db: Database, edition_id: int, keys: list[str], sections: tuple[str, ...] = ()) -> list[Row]:
    """key, name, form and agreement dates of an edition's entries with these keys (optionally in sections)."""
    out: list[Row] = []
    where = f" and section in ({','.join('?' * len(sections))})" if sections else ""
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        out += db.query(
            f"select key, name, dosage_form, agreement_start, agreement_end from entry where +edition_id = ?{where} "
            f"and key in ({','.join('?' * len(part))})",
            [edition_id, *sections, *part],
        )
    return out


def high_value_lists(db: Database, region: str, day: str) -> list[tuple[int, int, str]]:
    """(overlay row id, complete, title) of the region's high-value lists in force on ``day``."""
    return db.execute(
        "select id, complete, title from overlay where kind = 'high_value' and region = ? "
        "and (effective_start is null or effective_start <= ?) and (effective_end is null or effective_end >= ?)",
        [region, day, day],
    ).fetchall()


def added_overlay_names(db: Database, overlay_ids: list[int]) -> dict[str, str]:
    """match key -> name of the drugs these overlays add."""
    return {
        mk: name
        for mk, name in db.execute(
            f"select match_key, name from overlay_item where action = 'add' and overlay_id in "
            f"({','.join('?' * len(overlay_ids))})",
            overlay_ids,
        )
    }


# --- the import itself, its history and its rollback (desktop/products/database.py) ---------------


def _marks(n: int) -> str:
    return ",".join("?" * n)


def installed_digests(db: Database) -> dict[str, tuple[int, str]]:
    """code -> (product id, digest) of every installed product."""
    return {code: (pid, dig) for pid, code, dig in db.execute("select id, code, digest from product")}


def digests_by_code(db: Database, codes: list[str]) -> dict[str, tuple[int, str]]:
    """code -> (product id, digest) of the installed products among ``codes``."""
    out: dict[str, tuple[int, str]] = {}
    for start in range(0, len(codes), 500):
        part = codes[start : start + 500]
        for code, pid, dig in db.conn.execute(
            f"select code, id, digest from product where code in ({_marks(len(part))})", part
        ):
            out[code] = (pid, dig)
    return out


def installed_sources(db: Database) -> dict[str, str]:
    """source digest -> code of every installed product, in id order; a product without a source digest
    is keyed '#' + code (no digest starts so): one table scan gives the fast path and every code."""
    return dict(db.execute("select coalesce(source_digest, '#' || code), code from product order by id"))


def set_source_digests(db: Database, updates: list[tuple[str | None, int]]) -> None:
    """(source digest, product id): a row read again, its fields the same, its cells not."""
    db.conn.executemany("update product set source_digest = ? where id = ?", updates)


def former_codes(db: Database) -> dict[str, str]:
    """code -> 曾用码 (';'-separated) of the products that name former codes."""
    return dict(db.execute("select code, former_codes from product where former_codes is not null"))


def widen_cache(db: Database) -> None:
    """64 MB of page cache for this connection: a full import rebuilds large indexes."""
    db.conn.execute("PRAGMA cache_size = -65536")


def insert_import(db: Database, values: list[object]) -> int:
    """Record an import (source, format, checksum, imported_at, rows_read, rows_bad, added, changed,
    removed, replaced, problems); returns its id."""
    cur = db.conn.execute(
        "insert into product_import (source, format, checksum, imported_at, rows_read, rows_bad, added, changed,"
        " removed, replaced, problems) values (?,?,?,?,?,?,?,?,?,?,?)",
        values,
    )
    return int(cur.lastrowid or 0)


def delete_products(db: Database, ids: list[int]) -> None:
    db.conn.executemany("delete from product where id = ?", [(pid,) for pid in ids])


def update_products(db: Database, fields: Sequence[str], rows: list[tuple[object, ...]]) -> None:
    """Rows of (*fields, digest, source_digest, import_id, entry_key, link_method, link_problem, id)."""
    db.conn.executemany(
        f"update product set {', '.join(f'{f} = ?' for f in fields)}, digest = ?, source_digest = ?, "
        "import_id = ?, entry_key = ?, link_method = ?, link_problem = ? where id = ?",
        rows,
    )


def insert_products(db: Database, fields: Sequence[str], rows: list[tuple[object, ...]]) -> None:
    """Rows of (*fields, digest, source_digest, import_id, entry_key, link_method, link_problem)."""
    db.conn.executemany(
        f"insert into product ({', '.join(fields)}, digest, source_digest, import_id, entry_key, link_method, "
        f"link_problem) values ({', '.join('?' * (len(fields) + 6))})",
        rows,
    )


def drop_product_indexes(db: Database) -> list[str]:
    """Drop product's secondary indexes; returns the statements that recreate them exactly."""
    rows = db.conn.execute(
        "select name, sql from sqlite_master where type = 'index' and tbl_name = 'product' and sql is not null"
    ).fetchall()
    for name, _ in rows:
        db.conn.execute(f'drop index "{name}"')
    return [str(sql) for _, sql in rows]


def recreate_indexes(db: Database, statements: list[str]) -> None:
    """Run the statements ``drop_product_indexes`` returned."""
    for sql in statements:
        db.conn.execute(sql)


def insert_changes(db: Database, changes: list[tuple[object, ...]], added: list[str], import_id: int) -> None:
    """Record (import_id, code, action, replaced_by, fields, old) changes and the codes an import added."""
    db.conn.executemany("insert into product_change values (?,?,?,?,?,?)", changes)
    db.conn.executemany(
        "insert into product_change (import_id, code, action) values (?,?,'added')",
        [(import_id, c) for c in added],
    )


def ids_of_import(db: Database, import_id: int) -> list[tuple[int, str]]:
    """(id, code) of the products an import wrote."""
    return [
        (pid, code) for pid, code in db.conn.execute("select id, code from product where import_id = ?", [import_id])
    ]


def products_by_code(db: Database, fields: Sequence[str], codes: list[str]) -> dict[str, Row]:
    """code -> {id, *fields} of the products with these codes."""
    out: dict[str, Row] = {}
    cols = "id, " + ", ".join(fields)
    for start in range(0, len(codes), 500):
        part = codes[start : start + 500]
        cur = db.conn.execute(f"select {cols} from product where code in ({_marks(len(part))})", part)
        names = [d[0] for d in cur.description]
        for values in cur:
            row = dict(zip(names, values, strict=True))
            out[row["code"]] = row
    return out


def import_history(db: Database) -> list[Row]:
    return list(db.query("select * from product_import order by id desc"))


def import_changes(db: Database, import_id: int) -> list[Row]:
    return list(db.query("select * from product_change where import_id = ? order by code", [import_id]))


def last_live_import(db: Database) -> tuple[int, str] | None:
    """(id, source) of the latest import not rolled back."""
    row = db.execute(
        "select id, source from product_import where rolled_back_at is null order by id desc limit 1"
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def change_rows(db: Database, import_id: int) -> list[tuple[str, str, str | None]]:
    """(code, action, old row as JSON) of an import's changes."""
    return [
        (code, action, old)
        for code, action, old in db.conn.execute(
            "select code, action, old from product_change where import_id = ?", [import_id]
        )
    ]


def previous_live_import(db: Database, import_id: int) -> int | None:
    found = db.conn.execute(
        "select max(id) from product_import where id < ? and rolled_back_at is null", [import_id]
    ).fetchone()[0]
    return None if found is None else int(found)


def mark_rolled_back(db: Database, import_id: int, when: str) -> None:
    db.conn.execute("update product_import set rolled_back_at = ? where id = ?", [when, import_id])


def product_count(db: Database) -> int:
    return int(db.execute("select count(*) from product").fetchone()[0])


def any_product(db: Database) -> bool:
    return db.execute("select 1 from product limit 1").fetchone() is not None


def all_products(db: Database, fields: Sequence[str]) -> list[Row]:
    """These columns of every product, in code order."""
    return list(db.query(f"select {', '.join(fields)} from product order by code"))


# --- store items and their 对码 (desktop/products/items.py) ---------------------------------------


def upsert_items(db: Database, cols: Sequence[str], rows: list[tuple[object, ...]]) -> None:
    """Insert store items given as tuples of ``cols`` (the first is ``id``), updating those already there."""
    db.conn.executemany(
        f"insert into store_item ({', '.join(cols)}) values ({', '.join('?' * len(cols))}) on conflict(id) do "
        f"update set {', '.join(f'{c} = excluded.{c}' for c in cols if c != 'id')}",
        rows,
    )


def delete_match(db: Database, item_id: str) -> None:
    db.execute("delete from item_match where item_id = ?", [item_id])


def products_by_standard_code(db: Database, code: str) -> list[Row]:
    """code, spec, registered_spec of the products with this 本位码."""
    return list(db.query("select code, spec, registered_spec from product where standard_code = ?", [code]))


def products_by_approval(db: Database, approval: str) -> list[Row]:
    """code, spec, registered_spec of the products with this 批准文号 (with or without 国药准字)."""
    return list(
        db.query(
            "select code, spec, registered_spec from product where approval_no in (?, ?)",
            [approval, "国药准字" + approval],
        )
    )


def products_for_suggestion(db: Database, ids: list[int]) -> list[Row]:
    """code, names, spec and manufacturer of these products (a fuzzy 对码 compares them)."""
    return list(
        db.query(
            "select code, registered_name, brand, spec, registered_spec, manufacturer from product "
            f"where id in ({_marks(len(ids))})",
            ids,
        )
    )


def save_match(db: Database, values: list[object]) -> None:
    """Store an item's mapping: (item_id, product_code, method, confidence, reason, status, product_digest,
    counter_digest, entry_key, entry_digest, matched_at); the mapping is current (not stale)."""
    db.execute(
        "insert or replace into item_match (item_id, product_code, method, confidence, reason, status, product_digest,"
        " counter_digest, entry_key, entry_digest, stale, matched_at) values (?,?,?,?,?,?,?,?,?,?,null,?)",
        values,
    )


def all_matches(db: Database) -> list[Row]:
    return list(db.query("select * from item_match"))


def replaced_codes(db: Database) -> dict[str, str]:
    """old code -> new code of replacements by imports not rolled back (the latest wins)."""
    return {
        code: new
        for code, new in db.execute(
            "select code, replaced_by from product_change c join product_import i on i.id = c.import_id "
            "where c.action = 'replaced' and i.rolled_back_at is null order by c.import_id"
        )
    }


def matched_products(db: Database) -> dict[str, tuple[str, str | None]]:
    """code -> (digest, entry key) of the products some mapping names."""
    return {
        code: (dig, key)
        for code, dig, key in db.execute(
            "select code, digest, entry_key from product where code in (select product_code from item_match)"
        )
    }


def field_changes(db: Database, codes: list[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """code -> (imported_at, changed fields) of its changes by imports not rolled back, oldest first."""
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for start in range(0, len(codes), 500):
        part = codes[start : start + 500]
        for code, when, fields in db.conn.execute(
            "select c.code, i.imported_at, c.fields from product_change c join product_import i on i.id = c.import_id "
            f"where c.action = 'changed' and i.rolled_back_at is null and c.code in ({_marks(len(part))}) "
            "order by c.import_id",
            part,
        ):
            out.setdefault(code, []).append((when, json.loads(fields or "[]")))
    return out


def set_match_digests(db: Database, updates: list[tuple[str, str | None, str]]) -> None:
    """(product digest, counter digest, item id): a current mapping now stands for the product as it is."""
    db.conn.executemany("update item_match set product_digest = ?, counter_digest = ? where item_id = ?", updates)


def set_stale(db: Database, updates: list[tuple[str | None, str]]) -> None:
    """(stale reason or None, item id) for each mapping whose freshness changed."""
    db.conn.executemany("update item_match set stale = ? where item_id = ?", updates)


def stale_count(db: Database) -> int:
    return int(db.execute("select count(*) from item_match where stale is not null").fetchone()[0])


def item_listing(db: Database, *, unmatched: bool = False, stale: bool = False) -> list[Row]:
    """Store items with their mapping and mapped product, in file order."""
    where = []
    if unmatched:
        where.append("(m.item_id is null or m.status = 'suggested')")
    if stale:
        where.append("m.stale is not null")
    sql = (
        "select i.*, m.product_code, m.method, m.confidence, m.reason, m.status, m.stale, "
        "p.registered_name as product_name, p.spec as product_spec, p.manufacturer as product_manufacturer "
        "from store_item i left join item_match m on m.item_id = i.id left join product p on p.code = m.product_code"
    )
    if where:
        sql += " where " + " and ".join(where)
    return list(db.query(sql + " order by i.line, i.id"))


def find_items(db: Database, text: str, limit: int = 200) -> list[Row]:
    """Store items whose name, generic name, code or manufacturer contains ``text``."""
    like = f"%{text.strip()}%"
    return list(
        db.query(
            "select id, name, spec, manufacturer from store_item where name like ? or generic_name like ? "
            "or id like ? or manufacturer like ? order by name limit ?",
            [like, like, like, like, limit],
        )
    )


def learn_trace_prefix(db: Database, prefix: str, item_id: str, when: str) -> None:
    db.execute(
        "insert into trace_prefix (prefix, item_id, learned_at) values (?,?,?) "
        "on conflict(prefix) do update set item_id = excluded.item_id, learned_at = excluded.learned_at",
        [prefix, item_id, when],
    )


def mapped_items(db: Database) -> list[Row]:
    """Every mapped store item with its mapping and the product's form, unit, spec and 批准文号 (3301 export)."""
    return list(
        db.query(
            "select i.id, i.name, i.spec, i.unit, i.approval_no, m.product_code, m.status, m.stale, "
            "p.form, p.pack_unit, p.spec as pspec, p.approval_no as papproval from store_item i "
            "join item_match m on m.item_id = i.id join product p on p.code = m.product_code order by i.id"
        )
    )


def item_count(db: Database) -> int:
    return int(db.execute("select count(*) from store_item").fetchone()[0])
