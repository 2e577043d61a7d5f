"""Applying and rolling back packages through the sync path drops what the store cached (issue #10).

The estimate reads entries, editions and overlays through per-connection caches (``storage.memo``);
the counter's connection stays open while a package is applied through it, through a worker's own
connection, or by ``yaomu sync apply`` in another process. Each case must answer from the new rows.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from desktop.catalogue import records as r
from desktop.rules import service
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov
from desktop.sync import apply, build, keys

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2025, 3, 1)


def _packages(tmp_path: Path, small: r.EditionData, key: keys.PrivateKey) -> tuple[Path, Path, r.SourceRow]:
    """The small edition, and its revised variant in which one Western row (no remark) is restricted."""
    row = next(x for x in small.rows if not x.remark and x.section == r.WEST)
    changed = [replace(x, remark="限测试修订后的适应症。") if x is row else x for x in small.rows]
    first = build.edition_package(small, tmp_path / "a.zip", key, package_id="t-first", sequence=1)
    revised = r.EditionData(replace(small.info, variant="revised"), changed, small.sections)
    second = build.edition_package(revised, tmp_path / "b.zip", key, package_id="t-second", sequence=2)
    return first, second, row


def _entry_id(db, row: r.SourceRow) -> str:  # noqa: ANN001 - a sqlite-utils Database
    edition = store.editions(db, details=False)[0]
    return next(e.id for e in store.entries(db, edition.id) if e.seq == row.seq)


def _restriction(db, entry_id: str) -> str:  # noqa: ANN001
    """The 限定支付范围 text ``check`` gives for the entry (read through the caches), "" when none."""
    result = service.check(db, entry_id, DAY, "national", "employee")
    return next((x.text for x in result.reasons if x.code == "restriction"), "")


def test_an_apply_and_a_rollback_through_the_counters_connection_are_seen(
    tmp_path: Path, small_2024: r.EditionData, db_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    first, second, row = _packages(tmp_path, small_2024, key)
    db = store.open_db(db_path)
    apply.apply_package(db, first, trust=trust)
    entry_id = _entry_id(db, row)
    before = store.entries_by_ids(db, [entry_id])[entry_id]
    assert store.entries_by_ids(db, [entry_id])[entry_id] is before  # the cache answers
    assert "测试修订" not in _restriction(db, entry_id)
    assert store.editions(db, details=False)[0].variant == "first"

    apply.apply_package(db, second, trust=trust)
    assert store.entries_by_ids(db, [entry_id])[entry_id].remark == "限测试修订后的适应症。" != before.remark
    assert "测试修订" in _restriction(db, entry_id)
    assert store.editions(db, details=False)[0].variant == "revised"

    apply.rollback(db)
    assert store.entries_by_ids(db, [entry_id])[entry_id] == before
    assert "测试修订" not in _restriction(db, entry_id)
    assert store.editions(db, details=False)[0].variant == "first"
    db.close()


def test_an_apply_by_a_worker_connection_and_by_another_process_is_seen(
    tmp_path: Path, small_2024: r.EditionData, db_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    first, second, row = _packages(tmp_path, small_2024, key)
    apply.apply_package(db_path, first, trust=trust)  # opened and closed by the sync path itself
    counter = store.open_db(db_path)  # stays open, like the window's connection
    entry_id = _entry_id(counter, row)
    assert "测试修订" not in _restriction(counter, entry_id)

    apply.apply_package(db_path, second, trust=trust)  # a worker's own connection
    assert "测试修订" in _restriction(counter, entry_id)

    code = "import sys; from desktop.sync import apply; apply.rollback(sys.argv[1])"  # another process
    subprocess.run([sys.executable, "-c", code, str(db_path)], cwd=ROOT, check=True)
    assert "测试修订" not in _restriction(counter, entry_id)
    assert store.editions(counter, details=False)[0].variant == "first"
    counter.close()


def test_an_overlay_applied_elsewhere_changes_the_next_answer(
    tmp_path: Path, small_2024: r.EditionData, db_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    first, _second, _row = _packages(tmp_path, small_2024, key)
    apply.apply_package(db_path, first, trust=trust)
    counter = store.open_db(db_path)
    edition = store.editions(counter, details=False)[0]
    drug = next(e for e in store.entries(counter, edition.id) if e.section == r.NEGOTIATED and e.dosage_form is None)
    ask = {"date": DAY.isoformat(), "profile": "jilin", "insurance": "employee", "channel": "dual_channel"}
    request = {**ask, "items": [{"entry": drug.id, "unit_price": "10.00", "quantity": 1}]}
    before = service.estimate_json(counter, request)["lines"][0]
    assert "dual_channel_listed" not in [x["code"] for x in before["reasons"]]

    info = ov.OverlayInfo("t-dual", ov.DUAL_CHANNEL, "jilin", "吉林双通道（测试）", complete=False, note="测试")
    pkg = build.overlay_package(
        info, [ov.OverlayItem(drug.name, "add")], tmp_path / "o.zip", key, package_id="t-o", sequence=1
    )
    apply.apply_package(db_path, pkg, trust=trust)
    after = service.estimate_json(counter, request)["lines"][0]
    assert "dual_channel_listed" in [x["code"] for x in after["reasons"]]

    apply.rollback(db_path)
    assert service.estimate_json(counter, request)["lines"][0] == before
    counter.close()
