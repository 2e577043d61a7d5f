"""Crash safety: SIGKILL the applying process at random moments; the database is old or new, never half (#3)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.sync import apply, build, keys
from tests.soak import budget

ROOT = Path(__file__).resolve().parents[2]
#: Kills per scenario: a handful by default, hundreds under ``make soak``.
KILLS = budget(8, 200)

CHILD = r"""
import sys
from pathlib import Path
from desktop.sync import apply, keys, package
db_path, pkg_path, trust_dir = sys.argv[1:4]
trust = keys.trust_store(Path(trust_dir))
package.verify_package(pkg_path, trust)  # warm up imports and caches before the signal
print("ready", flush=True)
sys.stdin.readline()
apply.apply_package(db_path, pkg_path, trust=trust)
print("done", flush=True)
"""


def _state(path: Path) -> tuple[str, str | None, int, int]:
    """(integrity, installed package id, entry rows, history rows) of a database file."""
    con = sqlite3.connect(path)
    try:
        integrity = con.execute("pragma integrity_check").fetchone()[0]
        row = con.execute("select package_id from edition where name = '2024'").fetchone()
        entries = con.execute("select count(*) from entry").fetchone()[0]
        history = con.execute("select count(*) from sync_history").fetchone()[0]
        fts = con.execute("select count(*) from entry_fts").fetchone()[0]
        assert fts == entries, "search index out of step with the rows"
    finally:
        con.close()
    return integrity, row[0] if row else None, entries, history


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only (docs/windows.md)")
def test_sigkill_at_random_moments(tmp_path: Path, yao_2024: r.EditionData, key: keys.PrivateKey, trust: dict) -> None:
    # Old state: a small real edition. New: the whole 西药 section (1,398 numbered rows and their ★ rows).
    from tests.sync.conftest import small_edition

    old = small_edition(yao_2024)
    west = [replace(x, seq=i) for i, x in enumerate((x for x in yao_2024.rows if x.section == r.WEST), start=1)]
    new = r.EditionData(yao_2024.info, west, {r.WEST: yao_2024.sections[r.WEST]})
    old_pkg = build.edition_package(old, tmp_path / "old.zip", key, package_id="kill-old", sequence=1)
    new_pkg = build.edition_package(new, tmp_path / "new.zip", key, package_id="kill-new", sequence=2)
    trust_dir = tmp_path / "trust"
    trust_dir.mkdir()
    (trust_dir / "test.json").write_text(json.dumps(keys.public_json(key.public)), encoding="utf-8")

    template = tmp_path / "template.sqlite3"
    apply.apply_package(template, old_pkg, trust=trust, backup=False)
    db = store.open_db(template)
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    old_state = _state(template)
    assert old_state[1] == "kill-old"

    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def run(db_path: Path, delay: float | None) -> tuple[float, bool]:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db_path), str(new_pkg), str(trust_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        start = time.perf_counter()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        try:
            if delay is None:
                proc.wait(timeout=60)
                assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
                return time.perf_counter() - start, False
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            return delay, proc.returncode == -signal.SIGKILL
        finally:
            for stream in (proc.stdout, proc.stderr, proc.stdin):
                if stream:
                    stream.close()

    def fresh(n: int) -> Path:
        path = tmp_path / f"db{n}.sqlite3"
        shutil.copy(template, path)
        return path

    # Calibrate: how long one apply takes here, so the kills spread over all of it.
    full_db = fresh(0)
    duration, _ = run(full_db, None)
    new_state = _state(full_db)
    assert new_state[1] == "kill-new" and new_state[2] == len(west)

    rng = random.Random(20260101)
    outcomes = {"old": 0, "new": 0}
    killed = 0
    n = 0
    # A run the kill misses (the apply finished first on a machine faster than at calibration) is retried.
    while killed < KILLS and n < KILLS * 3 // 2 + 10:
        n += 1
        path = fresh(n)
        _, was_killed = run(path, rng.uniform(0, duration * 0.9))
        killed += was_killed
        state = _state(path)  # opening recovers from the WAL / rolls back the hot transaction
        assert state[0] == "ok"
        if state[1:] == old_state[1:]:
            outcomes["old"] += 1
        else:
            assert state[1:] == new_state[1:], f"half applied after kill {n}: {state}"
            outcomes["new"] += 1
        db = store.open_db(path)  # and the application itself opens it
        assert len(store.editions(db)) == 1
        db.close()
        path.unlink()
        for side in path.parent.glob(path.name + "*"):
            side.unlink()
    assert killed >= KILLS
    assert outcomes["old"] > 0  # the kills did land before the commit
    print(f"apply {duration:.2f}s; {n} runs, {killed} killed: {outcomes}")


FIRST_START = r"""
import sys
from pathlib import Path
from desktop.storage import catalogue as store
from desktop.sync import bundled
db_path = sys.argv[1]
bundled.bundled_packages()  # warm up: imports, verification caches
store.open_db(db_path).close()
print("ready", flush=True)
sys.stdin.readline()
bundled.install_bundled(db_path)
print("done", flush=True)
"""


def _first_start_state(path: Path) -> tuple[str, tuple[str, ...], int, int, int]:
    """(integrity, installed package ids, entry rows, overlay items, history rows)."""
    con = sqlite3.connect(path)
    try:
        integrity = con.execute("pragma integrity_check").fetchone()[0]
        ids = tuple(
            x
            for (x,) in con.execute(
                "select package_id from edition union all select package_id from overlay order by 1"
            )
        )
        counts = [
            con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("entry", "overlay_item", "sync_history")
        ]
    finally:
        con.close()
    return integrity, ids, *counts  # type: ignore[return-value]


def _run_child(script: str, args: list[str], delay: float | None) -> bool:
    """Run ``script`` until it says ready, let it go, SIGKILL it after ``delay`` (None: let it finish)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=ROOT,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        proc.stdin.write("go\n")
        proc.stdin.flush()
        if delay is None:
            proc.wait(timeout=300)
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
            return False
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        return proc.returncode == -signal.SIGKILL
    finally:
        for stream in (proc.stdout, proc.stderr, proc.stdin):
            if stream:
                stream.close()


@pytest.mark.slow
def test_sigkill_during_first_start_leaves_nothing_or_everything(tmp_path: Path) -> None:
    """First-start installation is one unit: a kill leaves an empty catalogue, and the next start completes it."""
    from desktop.sync import bundled
    from desktop.sync import bundled as catalogue_bundled

    full = tmp_path / "full.sqlite3"
    start = time.perf_counter()
    assert not _run_child(FIRST_START, [str(full)], None)
    duration = time.perf_counter() - start
    complete = _first_start_state(full)
    assert complete[0] == "ok" and len(complete[1]) == len(bundled.bundled_packages())
    rng = random.Random(20261201)
    outcomes = {"empty": 0, "complete": 0}
    killed = 0
    for n in range(KILLS * 3):
        if killed >= KILLS:
            break
        path = tmp_path / f"first{n}.sqlite3"
        killed += _run_child(FIRST_START, [str(path)], rng.uniform(0, duration * 0.8))
        state = _first_start_state(path)
        assert state[0] == "ok"
        if state[1:] == ((), 0, 0, 0):
            outcomes["empty"] += 1
            db = store.open_db(path)
            assert catalogue_bundled.needs_install(db)  # the next start sees there is nothing, and redoes it
            db.close()
            bundled.install_bundled(path)
            assert _first_start_state(path)[1:] == complete[1:]
        else:
            assert state[1:] == complete[1:], f"half a first start after kill {n}: {state}"
            outcomes["complete"] += 1
        for side in path.parent.glob(path.name + "*"):
            side.unlink()
    assert killed >= KILLS and outcomes["empty"] > 0
    print(f"first start {duration:.2f}s; {killed} killed: {outcomes}")


ROLLBACK = r"""
import sys
from desktop.storage import catalogue as store
from desktop.sync import apply
db_path = sys.argv[1]
store.open_db(db_path).close()  # warm up imports
print("ready", flush=True)
sys.stdin.readline()
apply.rollback(db_path, backup=False)
print("done", flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_rollback_leaves_the_applied_or_the_previous_state(
    tmp_path: Path, key: keys.PrivateKey, trust: dict
) -> None:
    """A rollback killed at any moment leaves the edition as applied or as before the apply, never between."""
    from desktop.sync import bundled
    from tests.sync.conftest import small_edition

    pkg = next(v for v in bundled.bundled_packages() if v.package_id == "nrdl-2024-revised")
    full = r.EditionData(pkg.manifest.edition, pkg.rows, pkg.manifest.sections)
    old = small_edition(full)
    west = [replace(x, seq=i) for i, x in enumerate((x for x in full.rows if x.section == r.WEST), start=1)]
    new = r.EditionData(full.info, west, {r.WEST: full.sections[r.WEST]})
    template = tmp_path / "template.sqlite3"
    for data, pid, seq in ((old, "rb-old", 1), (new, "rb-new", 2)):
        made = build.edition_package(data, tmp_path / f"{pid}.zip", key, package_id=pid, sequence=seq)
        apply.apply_package(template, made, trust=trust, backup=False)
    db = store.open_db(template)
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    applied = _state(template)
    assert applied[1] == "rb-new"

    done = tmp_path / "done.sqlite3"
    shutil.copy(template, done)
    start = time.perf_counter()
    assert not _run_child(ROLLBACK, [str(done)], None)
    duration = time.perf_counter() - start
    rolled = _state(done)
    assert rolled[1] == "rb-old" and rolled[2] == len(old.rows)

    rng = random.Random(20261203)
    outcomes = {"applied": 0, "rolled back": 0}
    killed = 0
    for n in range(KILLS * 3):
        if killed >= KILLS:
            break
        path = tmp_path / f"rb{n}.sqlite3"
        shutil.copy(template, path)
        killed += _run_child(ROLLBACK, [str(path)], rng.uniform(0, duration * 0.8))
        state = _state(path)
        assert state[0] == "ok"
        if state[1:] == applied[1:]:
            outcomes["applied"] += 1
        else:
            assert state[1:] == rolled[1:], f"half rolled back after kill {n}: {state}"
            outcomes["rolled back"] += 1
        for side in path.parent.glob(path.name + "*"):
            side.unlink()
    assert killed >= KILLS and outcomes["applied"] > 0
    print(f"rollback {duration:.2f}s; {killed} killed: {outcomes}")
