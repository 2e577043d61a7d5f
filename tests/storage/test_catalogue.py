"""The store: migrations, loading editions, answering as of a date."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from desktop import paths
from desktop.catalogue import records as r
from desktop.errors import DatabaseError, NotFound
from desktop.storage import catalogue as store

MIGRATIONS = paths.migrations_dir()


def small_edition(
    name: str = "2025", variant: str = "official", start: date = date(2026, 1, 1), end: date | None = None
) -> r.EditionData:
    """Real rows of the 2025 edition (china_nrdl_2025_west.json, medins-2025.txt)."""
    rows = [
        r.SourceRow(
            r.WEST, "阿莫西林", 1, number=656, dosage_form="口服常释剂型", drug_class="甲", category_code="XJ01CA"
        ),
        r.SourceRow(r.WEST, "阿莫西林", 2, star_of=656, dosage_form="颗粒剂", drug_class="甲", category_code="XJ01CA"),
        r.SourceRow(r.WEST, "地塞米松", 3, number=534, dosage_form="软膏剂", drug_class="乙", category_code="XD07"),
        r.SourceRow(
            r.NEGOTIATED,
            "安奈拉唑钠肠溶片",
            4,
            subsection=r.WEST,
            number=2,
            drug_class="乙",
            category_code="XA02BC",
            remark="限十二指肠溃疡。",
            payment_standard="*",
            agreement_text="2026年1月1日至2027年12月31日",
        ),
        r.SourceRow(
            r.NEGOTIATED,
            "注射用艾普拉唑钠",
            5,
            subsection=r.WEST,
            number=1,
            drug_class="乙",
            category_code="XA02BC",
            remark="限：1.预防重症患者应激性溃疡出血；2.消化性溃疡出血。",
            payment_standard="52.60元(10mg/瓶)",
            agreement_text="2026年1月1日至2027年12月31日",
        ),
    ]
    info = r.EditionInfo(
        name, variant, f"{name}年国家医保药品目录", "医保发〔2025〕33号", None, start, end, "test", "0" * 64
    )
    return r.EditionData(
        info, rows, {r.WEST: r.SectionInfo(r.WEST, True), r.NEGOTIATED: r.SectionInfo(r.NEGOTIATED, True)}
    )


def test_fresh_database_has_the_schema(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "y.sqlite3")
    assert {"edition", "edition_section", "entry", "entry_fts", "overlay"} <= set(db.table_names())
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_database_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "y.sqlite3"
    db = store.open_db(path)
    db["_sqlite_migrations"].insert({"migration_set": "yaomu", "name": "9999_future.sql", "applied_at": "x"})
    db.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="更新版本"):
        store.open_db(path)
    assert path.read_bytes() == before


def test_not_a_database_gives_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "y.sqlite3"
    path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(DatabaseError, match="无法打开数据库"):
        store.open_db(path)


def test_database_is_backed_up_before_migrating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "migrations"
    old.mkdir()
    shutil.copy(MIGRATIONS / "0001_catalogue.sql", old)
    monkeypatch.setattr(paths, "migrations_dir", lambda: old)
    path = tmp_path / "y.sqlite3"
    store.open_db(path).close()
    assert not list(tmp_path.glob("*.bak"))
    shutil.copy(MIGRATIONS / "0002_overlays.sql", old)
    db = store.open_db(path)
    assert "overlay" in db.table_names()
    backups = list(tmp_path.glob("y.sqlite3.migrate-*.bak"))
    assert len(backups) == 1
    assert "overlay" not in store.open_db(backups[0], migrate=False).table_names()


def test_load_and_read_back_an_edition() -> None:
    db = store.open_db(":memory:")
    store.load_edition(db, small_edition(), None)
    [edition] = store.editions(db)
    assert edition.counts == {r.WEST: 3, r.NEGOTIATED: 2}
    rows = list(store.entries(db, edition.id))
    assert [e.seq for e in rows] == [1, 2, 3, 4, 5]
    star = rows[1]
    assert star.star_of == 656 and star.display_number == "★(656)"
    secret = rows[3]
    assert secret.confidential and secret.payment_standard == "*"
    assert "支付标准保密" in secret.flags and "限定支付范围" in secret.flags
    assert (secret.agreement_start, secret.agreement_end) == (date(2026, 1, 1), date(2027, 12, 31))
    priced = rows[4]
    assert priced.payment_standards[0].amount == "52.60" and priced.payment_standards[0].spec == "10mg/瓶"
    assert store.get_entry(db, secret.id) == secret
    with pytest.raises(NotFound):
        store.get_entry(db, "2025-000000000000")


def test_loading_a_variant_replaces_the_installed_one() -> None:
    db = store.open_db(":memory:")
    store.load_edition(db, small_edition(variant="first"), None)
    store.load_edition(db, small_edition(variant="revised"), None)
    [edition] = store.editions(db)
    assert edition.variant == "revised"
    assert db.execute("select count(*) from entry").fetchone()[0] == 5
    assert db.execute("select count(*) from entry_fts").fetchone()[0] == 5


def test_entry_ids_are_stable_across_reloads() -> None:
    a, b = store.open_db(":memory:"), store.open_db(":memory:")
    store.load_edition(a, small_edition(), None)
    store.load_edition(b, small_edition(), None)
    ids = [row["id"] for row in a.query("select id from entry order by seq")]
    assert ids == [row["id"] for row in b.query("select id from entry order by seq")]


def test_answers_from_the_nearest_edition_and_says_so() -> None:
    db = store.open_db(":memory:")
    store.load_edition(db, small_edition("2024", "revised", date(2025, 1, 1), date(2025, 12, 31)), None)
    inside = store.edition_on(db, date(2025, 6, 1))
    assert inside.exact and inside.note is None
    after = store.edition_on(db, date(2026, 3, 1))
    assert not after.exact and after.edition is not None and after.edition.name == "2024"
    assert "2026-03-01" in (after.note or "") and "最近" in (after.note or "")
    empty = store.edition_on(store.open_db(":memory:"), date(2026, 3, 1))
    assert empty.edition is None and "没有任何目录版本" in (empty.note or "")


def _entries_without_pk(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    cur = db.execute("select * from entry order by key, section")
    columns = [c[0] for c in cur.description]
    keep = [i for i, c in enumerate(columns) if c not in ("pk", "edition_id")]
    return [tuple(row[i] for i in keep) for row in cur.fetchall()]


def test_update_edition_drug_by_drug_ends_where_a_reload_ends() -> None:
    """First publication of 2024 -> revised variant, row by row (issue #3 revision speed)."""
    from desktop.catalogue import bundled, search

    first, revised = bundled.read_2024_first(), bundled.read_2024_revised()
    updated = store.open_db(":memory:")
    store.load_edition(updated, first, None)
    progress: list[tuple[int, int]] = []
    store.update_edition(updated, revised, None, on_progress=lambda d, t: progress.append((d, t)))
    fresh = store.open_db(":memory:")
    store.load_edition(fresh, revised, None)

    assert _entries_without_pk(updated) == _entries_without_pk(fresh)
    [a], [b] = store.editions(updated), store.editions(fresh)
    assert (a.variant, a.counts, a.sections) == (b.variant, b.counts, b.sections)
    assert progress and progress[-1][0] == progress[-1][1]
    # The search index covers exactly the rows, and still ranks shortest names first.
    fts = updated.execute("select rowid, chars from entry_fts order by rowid").fetchall()
    rows = updated.execute("select pk, name from entry order by pk").fetchall()
    assert [(pk, store.fts_chars(name)) for pk, name in rows] == fts
    lengths = [len(name) for _, name in rows]
    assert lengths == sorted(lengths)
    day = date(2025, 6, 1)
    for query in ("阿伐替尼", "多种微量", "amxl", "片", "881"):
        assert [e.id for e in search.search(updated, query, day=day).entries] == [
            e.id for e in search.search(fresh, query, day=day).entries
        ], query
