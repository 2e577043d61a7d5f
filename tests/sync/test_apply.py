"""Applying packages: progress, cancellation, history, rollback, revisions, overlays, back-ups (#3)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.errors import ImportCountMismatch
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov
from desktop.sync import apply, build, keys
from desktop.sync import package as p
from desktop.sync.apply import apply_package


def _catalogue_hash(db) -> str:  # noqa: ANN001 - sqlite_utils.Database
    """Hash of the catalogue tables only (the history legitimately grows)."""
    import hashlib

    h = hashlib.sha256()
    for sql in (
        "select name, variant, package_id from edition order by name",
        "select section, complete, expected, note from edition_section order by section",
        "select id, key, seq, section, number, star_of, name_published, dosage_form, class, remark, "
        "payment_standard, agreement_text from entry order by id",
        "select overlay_id, kind, complete, note from overlay order by overlay_id",
        "select name, dosage_form, action, attrs from overlay_item order by name, action",
    ):
        h.update(repr(db.execute(sql).fetchall()).encode())
    return h.hexdigest()


def test_apply_reports_progress_and_records_history(small_pkg: Path, db_path: Path, trust: dict) -> None:
    seen: list[tuple[int, int]] = []
    report = apply.apply_package(db_path, small_pkg, trust=trust, on_progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] > 0
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    db = store.open_db(db_path)
    (h,) = apply.history(db)
    assert (h.package_id, h.kind, h.target, h.action) == ("test-2024-small", "edition", "2024", "apply")
    assert h.sha256 == p.sha256_file(small_pkg) and "@" in h.who
    assert report.diff.counts()["added"] == sum(store.editions(db)[0].counts.values())
    assert store.editions(db)[0].counts and store.editions(db)[0].label == "2024年版（首次公布）"


def test_cancel_rolls_back(small_pkg: Path, db_path: Path, trust: dict) -> None:
    db = store.open_db(db_path)
    before = store.content_hash(db)
    calls = {"n": 0}

    def cancel_after_first_batch() -> bool:
        calls["n"] += 1
        return calls["n"] > 3  # past verification and staging, inside the transaction

    with pytest.raises(apply.Cancelled):
        apply.apply_package(db, small_pkg, trust=trust, should_cancel=cancel_after_first_batch)
    assert store.content_hash(db) == before
    assert calls["n"] > 3


def test_confirm_refused_changes_nothing(small_pkg: Path, db_path: Path, trust: dict) -> None:
    db = store.open_db(db_path)
    before = store.content_hash(db)
    shown = []
    with pytest.raises(apply.Cancelled):
        apply.apply_package(db, small_pkg, trust=trust, yes=False, confirm=lambda diff: shown.append(diff) or False)
    assert shown and shown[0].counts()["added"] > 0
    assert store.content_hash(db) == before


def test_rollback_restores_previous_variant(
    tmp_path: Path, small_2024: r.EditionData, db_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    first = build.edition_package(small_2024, tmp_path / "a.zip", key, package_id="t-first", sequence=1)
    changed_rows = [replace(x, remark="测试修订") if i == 0 else x for i, x in enumerate(small_2024.rows)]
    second_data = r.EditionData(replace(small_2024.info, variant="revised"), changed_rows, small_2024.sections)
    second = build.edition_package(second_data, tmp_path / "b.zip", key, package_id="t-second", sequence=2)
    apply.apply_package(db_path, first, trust=trust)
    db = store.open_db(db_path)
    after_first = _catalogue_hash(db)
    report = apply.apply_package(db, second, trust=trust)
    assert [c.fields[0].field for c in report.diff.changed] == ["remark"]
    assert _catalogue_hash(db) != after_first
    undone = apply.rollback(db)
    assert undone.package_id == "t-second"
    assert _catalogue_hash(db) == after_first
    assert store.editions(db)[0].variant == "first"
    # Search works on the restored rows (the FTS index was rebuilt).
    from desktop.catalogue.search import search

    name = store.get_entry(db, next(iter(store.entries(db, store.editions(db)[0].id))).id).name
    assert search(db, name).entries
    apply.rollback(db)
    assert store.editions(db) == []
    with pytest.raises(apply.NothingToRollBack):
        apply.rollback(db)
    # Rolled back packages may be applied again.
    apply.apply_package(db, first, trust=trust)
    assert _catalogue_hash(db) == after_first
    actions = [h.action for h in apply.history(db)]
    assert actions == ["apply", "rollback", "rollback", "apply", "apply"]


def test_revision_equals_full_edition(
    tmp_path: Path, small_2024: r.EditionData, db_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    rows = list(small_2024.rows)
    new_rows = (
        [replace(rows[0], remark="修订后的备注")]
        + rows[2:]
        + [replace(rows[1], section=r.NEGOTIATED, seq=999, payment_standard="*")]
    )
    new = r.EditionData(replace(small_2024.info, variant="revised"), new_rows, small_2024.sections)
    base = build.edition_package(small_2024, tmp_path / "base.zip", key, package_id="t-base", sequence=1)
    rev = build.revision_package(rows, "t-base", new, tmp_path / "rev.zip", key, package_id="t-rev", sequence=2)
    full = build.edition_package(new, tmp_path / "full.zip", key, package_id="t-full", sequence=2)
    verified = p.verify_package(rev, trust)
    assert (len(verified.added), len(verified.changed), len(verified.removed)) == (1, 1, 1)

    apply.apply_package(db_path, base, trust=trust)
    db = store.open_db(db_path)
    diff = apply.diff_package(db, rev, trust)
    moved = [c for c in diff.changed if any(f.field == "section" for f in c.fields)]
    assert len(moved) == 1 and moved[0].to_json()["changes"][1]["new"] == "保密"
    apply.apply_package(db, rev, trust=trust)
    via_revision = _catalogue_hash(db)
    assert store.editions(db)[0].counts[r.NEGOTIATED] >= 1

    other = tmp_path / "other.sqlite3"
    apply.apply_package(other, full, trust=trust)
    db2 = store.open_db(other)
    # Same rows, except the edition's package id.
    db.execute("update edition set package_id = 'x'")
    db2.execute("update edition set package_id = 'x'")
    assert _catalogue_hash(db2) == _catalogue_hash(db)
    assert via_revision


def test_backups_kept_last_three(small_pkg: Path, db_path: Path, trust: dict, tmp_path: Path) -> None:
    for _ in range(5):
        apply.apply_package(db_path, small_pkg, trust=trust)
        apply.rollback(db_path)
    backups = sorted(db_path.parent.glob(f"{db_path.name}.sync-*.bak"))
    assert len(backups) == apply.KEEP_BACKUPS
    import sqlite3

    con = sqlite3.connect(backups[-1])
    assert con.execute("pragma integrity_check").fetchone() == ("ok",)
    con.close()


def test_overlay_apply_diff_and_facts(tmp_path: Path, db_path: Path, key: keys.PrivateKey, trust: dict) -> None:
    info = ov.OverlayInfo(
        "jilin-dual-channel-test",
        ov.DUAL_CHANNEL,
        "jilin",
        "吉林双通道（测试）",
        complete=False,
        note="只含通知点名的药品",
    )
    items = [
        ov.OverlayItem("依沃西单抗", "add", "注射剂", start=None),
        ov.OverlayItem("乌帕替尼", "remove", "口服常释剂型"),
    ]
    pkg = build.overlay_package(info, items, tmp_path / "o.zip", key, package_id="t-overlay", sequence=1)
    db = store.open_db(db_path)
    diff = apply.diff_package(db, pkg, trust)
    assert len(diff.overlay_added) == 2 and "不完整" in diff.text()
    apply.apply_package(db, pkg, trust=trust)
    (fact,) = ov.facts_for(db, "jilin", "依沃西单抗", "注射剂")
    assert fact.item.action == "add" and not fact.overlay.complete
    assert ov.facts_for(db, "hunan", "依沃西单抗") == []
    apply.rollback(db)
    assert ov.facts_for(db, "jilin", "依沃西单抗") == []


def test_provincial_csv_makes_a_complete_overlay(tmp_path: Path, key: keys.PrivateKey, trust: dict) -> None:
    from desktop.paths import resource_path

    csv_path = tmp_path / "hunan.csv"
    csv_path.write_text(
        "name,dosage_form,action,attrs,start,end,source\n"
        "依沃西单抗,注射剂,add,,2025-01-01,2025-12-31,湖南省医保“双通道”单行支付管理药品目录（2025年）\n",
        encoding="utf-8",
    )
    definition = resource_path("overlays/hunan-single-payment-2025.json")
    frame = p.verify_package(build.overlay_from_def(definition, tmp_path / "frame.zip", key), trust)
    assert frame.manifest.overlay is not None and not frame.manifest.overlay.complete
    assert "省级" in (frame.manifest.overlay.note or "")
    full = p.verify_package(build.overlay_from_def(definition, tmp_path / "full.zip", key, items_csv=csv_path), trust)
    assert full.manifest.overlay is not None and full.manifest.overlay.complete
    assert [i.name for i in full.items] == ["依沃西单抗"]
    assert full.manifest.sequence > frame.manifest.sequence


def test_an_edition_whose_counts_disagree_with_its_fanli_is_refused(
    tmp_path: Path, yao_2024: r.EditionData, key: keys.PrivateKey, trust: dict, db_path: Path
) -> None:
    """A signed, well-formed package of an official edition still has to match its 凡例 (issue #2)."""
    dropped = next(row for row in yao_2024.rows if row.section == r.WEST and row.number == 881)
    rows = [replace(row, seq=i) for i, row in enumerate((x for x in yao_2024.rows if x is not dropped), 1)]
    pkg = build.edition_package(
        r.EditionData(yao_2024.info, rows, yao_2024.sections),
        tmp_path / "short.zip",
        key,
        package_id="test-2024-short",
        sequence=1,
    )
    before = store.content_hash(store.open_db(db_path))
    with pytest.raises(ImportCountMismatch) as err:
        apply_package(db_path, pkg, trust=trust)
    assert "西药部分：凡例为 1398 个，读入 1397 个" in str(err.value)
    assert store.content_hash(store.open_db(db_path)) == before
