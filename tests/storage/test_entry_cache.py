"""The per-connection caches of the store (``storage.memo``): same records as a fresh read, dropped by any write.

Issue #10: entries, editions and overlays are read once per generation of the connection. Whatever
writes (this connection, another connection, another process) must be seen by the next read; nothing
read inside a transaction may outlive it.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.storage import confidential as cs
from desktop.storage import memo
from desktop.storage import overlays as ov
from tests.storage.test_catalogue import small_edition


def _remark(db, entry_id: str, text: str) -> None:  # noqa: ANN001 - a sqlite-utils Database
    """A write to an entry row as any write path makes it (tests may run SQL; the product may not)."""
    db.execute("update entry set remark = ? where id = ?", [text, entry_id])


def test_entries_read_through_the_cache_equal_the_rows_as_stored(real_db) -> None:  # noqa: ANN001
    """Every entry of both editions built from the plain-row select equals ``row_to_entry`` of ``select e.*``."""
    ids = [row[0] for row in real_db.execute("select id from entry order by pk")]
    assert len(ids) > 9000
    found = store.entries_by_ids(real_db, ids)
    assert list(found) == sorted(ids)  # in id order, as one query returns them
    by_row = {e.id: e for edition in store.editions(real_db) for e in store.entries(real_db, edition.id)}
    assert found == by_row
    tiers = [e for e in found.values() if any(p.tiers for p in e.payment_standards)]
    assert tiers and all(isinstance(t, tuple) for e in tiers for p in e.payment_standards for t in p.tiers)
    # Read again: the same objects (the cache answers), the same records after it is dropped.
    sample = random.Random(10).sample(ids, 40)
    again = store.entries_by_ids(real_db, sample)
    assert all(again[i] is found[i] for i in sample)
    memo.forget(real_db)
    fresh = store.entries_by_ids(real_db, [*sample, "no-such-id"])
    assert fresh == {i: found[i] for i in sorted(sample)} and not any(fresh[i] is found[i] for i in sample)


def test_entries_of_keys_are_the_editions_entries_of_each_drug_in_publication_order(real_db) -> None:  # noqa: ANN001
    eds = store.editions(real_db, details=False)
    for edition in eds:
        rows = list(store.entries(real_db, edition.id))
        keys = sorted({e.key for e in rows})[::7] + ["no-such-key"]
        got = store.entries_of_keys(real_db, edition.id, keys)
        want = {k: tuple(e for e in rows if e.key == k) for k in keys}
        assert got == want and got["no-such-key"] == ()
        assert store.entries_of_keys(real_db, edition.id, keys) == want  # cached, same answer


def test_a_drug_in_two_sections_of_an_edition_comes_in_publication_order() -> None:
    data = small_edition()
    twin = replace(data.rows[0], section=r.BIDDING, number=1, seq=6)  # the same key in another section
    db = store.open_db(":memory:")
    store.load_edition(db, r.EditionData(data.info, [*data.rows, twin], data.sections), None)
    edition = store.editions(db)[0]
    [first, *_] = store.entries(db, edition.id)
    got = store.entries_of_keys(db, edition.id, [first.key])[first.key]
    assert [(e.section, e.seq) for e in got] == [(r.WEST, 1), (r.BIDDING, 6)]


def test_a_write_on_the_same_connection_is_seen() -> None:
    db = store.open_db(":memory:")
    store.load_edition(db, small_edition(), None)
    entry = next(iter(store.entries(db, store.editions(db)[0].id)))
    assert store.entries_by_ids(db, [entry.id])[entry.id].remark is None
    assert store.entries_by_ids(db, [entry.id])[entry.id] is store.entries_by_ids(db, [entry.id])[entry.id]
    _remark(db, entry.id, "限儿童")
    assert store.entries_by_ids(db, [entry.id])[entry.id].remark == "限儿童"
    # Editions too: a reload of another variant is a new generation.
    assert store.editions(db, details=False)[0].variant == "official"
    store.load_edition(db, small_edition(variant="revised"), None)
    assert store.editions(db, details=False)[0].variant == "revised"
    assert store.entries_by_ids(db, [entry.id])[entry.id].remark is None  # the reload replaced the row


def test_nothing_read_inside_a_transaction_outlives_it() -> None:
    db = store.open_db(":memory:")
    store.load_edition(db, small_edition(), None)
    entry = next(iter(store.entries(db, store.editions(db)[0].id)))
    store.entries_by_ids(db, [entry.id])  # cached outside
    with pytest.raises(RuntimeError), db.atomic():
        _remark(db, entry.id, "回滚前")
        assert store.entries_by_ids(db, [entry.id])[entry.id].remark == "回滚前"  # the transaction sees its write
        assert store.editions(db, details=False)
        raise RuntimeError("roll back")
    assert store.entries_by_ids(db, [entry.id])[entry.id].remark is None


def test_a_write_inside_a_held_answer_is_still_seen() -> None:
    db = store.open_db(":memory:")
    store.load_edition(db, small_edition(), None)
    entry = next(iter(store.entries(db, store.editions(db)[0].id)))
    with memo.held(db):
        assert store.entries_by_ids(db, [entry.id])[entry.id].remark is None
        _remark(db, entry.id, "同一连接写入")
        assert store.entries_by_ids(db, [entry.id])[entry.id].remark == "同一连接写入"


def test_a_schema_change_is_a_new_generation() -> None:
    db = store.open_db(":memory:")
    before = memo.generation(db)
    db.execute("create table scratch (x)")  # DDL changes no row: total_changes alone would miss it
    assert memo.generation(db) != before


def _file_db(tmp_path: Path) -> Path:
    path = tmp_path / "cache.sqlite3"
    db = store.open_db(path)
    store.load_edition(db, small_edition(), None)
    db.close()
    return path


def test_a_second_connections_commit_is_seen(tmp_path: Path) -> None:
    path = _file_db(tmp_path)
    reader, writer = store.open_db(path, readonly=True), store.open_db(path)
    light = store.open_reader(path)
    assert light is not None
    entry = next(iter(store.entries(writer, store.editions(writer)[0].id)))
    assert store.entries_by_ids(reader, [entry.id])[entry.id].remark is None
    assert store.entries_by_ids(light, [entry.id])[entry.id].remark is None
    assert [e.variant for e in store.editions(light, details=False)] == ["official"]
    _remark(writer, entry.id, "另一连接写入")
    store.load_edition(writer, small_edition(name="2024", start=date(2025, 1, 1), end=date(2025, 12, 31)), None)
    assert store.entries_by_ids(reader, [entry.id])[entry.id].remark == "另一连接写入"
    assert store.entries_by_ids(light, [entry.id])[entry.id].remark == "另一连接写入"
    assert [e.name for e in store.editions(light, details=False)] == ["2024", "2025"]
    assert store.edition_on(reader, date(2025, 6, 1)).edition.name == "2024"  # type: ignore[union-attr]
    for db in (reader, writer, light):
        db.close()


def test_overlays_and_confidential_values_are_read_again_after_a_write(tmp_path: Path) -> None:
    path = _file_db(tmp_path)
    reader, writer = store.open_db(path, readonly=True), store.open_db(path)
    assert ov.overlays(reader, "jilin") == [] and ov.region_facts(reader, "jilin") == []
    assert ov.transition_class(reader, "环孢素滴眼液(Ⅲ)") is None
    info = ov.OverlayInfo("t-transition", ov.TRANSITION, "national", "过渡期（测试）", complete=False)
    items = [ov.OverlayItem("环孢素滴眼液(Ⅲ)", "add", attrs={"class": "甲"})]
    ov.store_overlay(writer, info, items)
    assert [o.overlay_id for o in ov.overlays(reader, "jilin")] == ["t-transition"]
    assert [f.item.name for f in ov.region_facts(reader, "jilin")] == ["环孢素滴眼液(Ⅲ)"]
    assert ov.transition_class(reader, "环孢素滴眼液(Ⅲ)") == "甲"
    ov.delete_overlay(writer, "t-transition")
    assert ov.overlays(reader, "jilin") == [] and ov.transition_class(reader, "环孢素滴眼液(Ⅲ)") is None

    secret = next(e for e in store.entries(writer, store.editions(writer)[0].id) if e.confidential)
    start, end = secret.agreement_start or date.min, secret.agreement_end or date.max
    assert cs.for_entry(reader, secret.key, start, end) == []
    cs.put(writer, [cs.Stored(secret.key, "", "", start, end, Decimal("12.30"), "test")])
    assert [v.amount for v in cs.for_entry(reader, secret.key, start, end)] == [Decimal("12.30")]
    cs.delete(writer, secret.key, start, end)
    assert cs.for_entry(reader, secret.key, start, end) == []
    reader.close()
    writer.close()


def test_one_threads_held_answer_does_not_hold_another_threads_reads(tmp_path: Path) -> None:
    """A read-only connection may serve two threads: only the thread inside ``held`` skips the look."""
    import threading

    path = _file_db(tmp_path)
    shared, writer = store.open_db(path, readonly=True), store.open_db(path)
    entry = next(iter(store.entries(writer, store.editions(writer)[0].id)))
    seen: list[str | None] = []
    with memo.held(shared):
        assert store.entries_by_ids(shared, [entry.id])[entry.id].remark is None
        _remark(writer, entry.id, "另一线程应看到")
        other = threading.Thread(target=lambda: seen.append(store.entries_by_ids(shared, [entry.id])[entry.id].remark))
        other.start()
        other.join()
    assert seen == ["另一线程应看到"]
    assert store.entries_by_ids(shared, [entry.id])[entry.id].remark == "另一线程应看到"
    shared.close()
    writer.close()
