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

ROOT = Path(__file__).resolve().parents[2]
#: A handful of kills by default; the full 50 under ``make soak`` (YAOMU_SOAK=1).
KILLS = 50 if os.environ.get("YAOMU_SOAK") else 5

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
    while killed < KILLS and n < KILLS * 3 // 2:
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
