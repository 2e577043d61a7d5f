"""Rollback snapshots hold domain records and restore through the storage modules (#9)."""

from __future__ import annotations

import json
import shutil
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from desktop import paths
from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.storage import history as h
from desktop.storage import overlays as ov
from desktop.sync import apply, build, keys, snapshot

#: A later schema: a new column on the entries and on the overlay items (what a future migration might add).
LATER_MIGRATION = """
alter table entry add column origin text not null default 'package';
alter table overlay_item add column checked_at text;
"""


def _catalogue(db) -> tuple:  # noqa: ANN001 - sqlite_utils.Database
    """The installed catalogue as records: what a rollback must give back."""
    out = []
    for e in store.editions(db):
        info = (e.name, e.variant, e.title, e.document, e.published, e.effective_start, e.package_id, e.loaded_at)
        out.append((info, e.sections, e.counts, tuple(store.source_rows(db, e.id)), tuple(store.entries(db, e.id))))
    return tuple(out)


def _revision(small_2024: r.EditionData) -> r.EditionData:
    rows = [replace(x, remark="测试修订") if i == 0 else x for i, x in enumerate(small_2024.rows)]
    return r.EditionData(replace(small_2024.info, variant="revised"), rows, small_2024.sections)


def test_snapshot_migrate_roll_back(
    tmp_path: Path,
    small_2024: r.EditionData,
    db_path: Path,
    key: keys.PrivateKey,
    trust: dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = build.edition_package(small_2024, tmp_path / "a.zip", key, package_id="t-first", sequence=1)
    second = build.edition_package(_revision(small_2024), tmp_path / "b.zip", key, package_id="t-second", sequence=2)
    apply.apply_package(db_path, first, trust=trust)
    db = store.open_db(db_path)
    before = _catalogue(db)
    apply.apply_package(db, second, trust=trust)  # keeps a snapshot of the first
    db.close()

    later = tmp_path / "migrations"
    shutil.copytree(paths.migrations_dir(), later)
    (later / "9999_later.sql").write_text(LATER_MIGRATION, encoding="utf-8")
    monkeypatch.setattr(paths, "migrations_dir", lambda: later)
    db = store.open_db(db_path)  # migrates
    assert "origin" in db["entry"].columns_dict

    assert apply.rollback(db).package_id == "t-second"
    assert _catalogue(db) == before
    assert {row[0] for row in db.execute("select distinct origin from entry")} == {"package"}


def test_overlay_snapshot_restores_the_list_it_replaced(
    tmp_path: Path, db_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    info = ov.OverlayInfo("jilin-dual-channel-test", ov.DUAL_CHANNEL, "jilin", "吉林双通道（测试）", complete=True)
    old = [ov.OverlayItem("依沃西单抗", "add", "注射剂", attrs={"institution": "定点药店"})]
    new = [ov.OverlayItem("乌帕替尼", "add", "口服常释剂型")]
    a = build.overlay_package(info, old, tmp_path / "a.zip", key, package_id="t-o1", sequence=1)
    b = build.overlay_package(info, new, tmp_path / "b.zip", key, package_id="t-o2", sequence=2)
    apply.apply_package(db_path, a, trust=trust)
    db = store.open_db(db_path)
    before = ov.installed(db, info.overlay_id)
    apply.apply_package(db, b, trust=trust)
    assert ov.installed(db, info.overlay_id) != before
    apply.rollback(db)
    assert ov.installed(db, info.overlay_id) == before


def _version_1(db, target: str) -> bytes:  # noqa: ANN001 - sqlite_utils.Database
    """A snapshot as Yaomu wrote it before snapshots held records: the edition's table rows."""
    (head,) = db.query("select * from edition where name = ?", [target])
    sections = list(db.query("select * from edition_section where edition_id = ?", [head["id"]]))
    cur = db.execute("select * from entry where edition_id = ? order by rowid", [head["id"]])
    entries = {"columns": [c[0] for c in cur.description], "rows": cur.fetchall()}
    doc = {"kind": "edition", "target": target, "edition": head, "sections": sections, "entries": entries}
    return zlib.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8"), 1)


def test_version_1_snapshot_restores_as_records(
    tmp_path: Path, small_2024: r.EditionData, db_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    first = build.edition_package(small_2024, tmp_path / "a.zip", key, package_id="t-first", sequence=1)
    apply.apply_package(db_path, first, trust=trust)
    db = store.open_db(db_path)
    before = _catalogue(db)
    old_blob = _version_1(db, small_2024.info.name)
    assert snapshot.take(db, "edition", small_2024.info.name) != old_blob
    second = build.edition_package(_revision(small_2024), tmp_path / "b.zip", key, package_id="t-second", sequence=2)
    report = apply.apply_package(db, second, trust=trust)
    with db.atomic():  # the history row of the second apply carries the old-format snapshot
        db.execute("update sync_history set snapshot = ? where id = ?", [old_blob, report.history_id])
    apply.rollback(db)
    assert _catalogue(db) == before
    assert h.latest_apply(db) is not None and h.latest_apply(db).package_id == "t-first"
