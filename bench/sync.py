"""Benchmark of catalogue packages: verify and apply times with the progress callback active.

Targets (issue #3): verify <= 1 s, full apply <= 3 s, revision <= 0.5 s; install_bundled of
both editions <= 5 s. Uses the bundled signed packages and a throw-away key for the revision
(the 2024 first publication -> the revised variant, built from resources/sources/).

Run: .venv/bin/python bench/sync.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataclasses import replace  # noqa: E402

from desktop.catalogue import records as r  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402
from desktop.sync import apply, build, bundled, keys  # noqa: E402
from desktop.sync import package as p  # noqa: E402

PACKAGES = ROOT / "resources" / "packages"


def timed(fn, repeat: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    calls = {"n": 0}

    def progress(done: int, total: int) -> None:  # what the GUI's progress bar receives
        calls["n"] += 1

    trust = keys.trust_store()
    tmp = Path(tempfile.mkdtemp(prefix="yaomu-bench-"))
    for name in ("nrdl-2024-revised.zip", "nrdl-2025-official.zip"):
        pkg = PACKAGES / name
        t, v = timed(lambda pkg=pkg: p.verify_package(pkg, trust))
        print(f"verify {name:28s} {t:6.3f} s  ({len(v.rows)} rows, target <= 1 s)")
        applies = []
        for i in range(3):
            db_path = tmp / f"{name}-{i}.sqlite3"
            store.open_db(db_path).close()
            start = time.perf_counter()
            apply.apply_package(db_path, pkg, trust=trust, on_progress=progress)
            applies.append(time.perf_counter() - start)
        print(f"apply  {name:28s} {statistics.median(applies):6.3f} s  (fresh database, median of 3, target <= 3 s)")

    # Re-apply over an installed variant (back-up, snapshot for rollback, replace).
    key = keys.generate("bench")
    trust_b = {key.key_id: key.public, **trust}
    first = build.read_source("2024-first")
    revised = build.read_source("2024-revised")
    base_pkg = build.edition_package(first, tmp / "first.zip", key, package_id="bench-2024-first", sequence=1)
    rev_pkg = build.revision_package(
        first.rows, "bench-2024-first", revised, tmp / "rev.zip", key, package_id="bench-2024-rev", sequence=2
    )
    full_pkg = build.edition_package(revised, tmp / "full.zip", key, package_id="bench-2024-full", sequence=2)
    # yao.xlsx lacks the 中药饮片 section that the first publication (PDF) has, so the revision
    # above also adds 924 pieces. The revision as published only moves two drugs and renumbers:
    # measure it too, over the first publication completed with the (unchanged) pieces.
    pieces = [x for x in revised.rows if x.section in (r.PIECES, r.PIECES_EXCLUDED)]
    whole_rows = [replace(x, seq=i) for i, x in enumerate(first.rows + pieces, 1)]
    whole = r.EditionData(
        first.info, whole_rows, {**first.sections, **{s: revised.sections[s] for s in (r.PIECES, r.PIECES_EXCLUDED)}}
    )
    whole_pkg = build.edition_package(whole, tmp / "whole.zip", key, package_id="bench-2024-whole", sequence=1)
    rev2_pkg = build.revision_package(
        whole.rows, "bench-2024-whole", revised, tmp / "rev2.zip", key, package_id="bench-2024-rev2", sequence=2
    )
    v = p.verify_package(rev_pkg, trust_b)
    print(f"revision first->revised: {len(v.added)} added, {len(v.changed)} changed, {len(v.removed)} removed rows")
    t, _ = timed(lambda: p.verify_package(rev_pkg, trust_b))
    print(f"verify revision                     {t:6.3f} s")
    v2 = p.verify_package(rev2_pkg, trust_b)
    print(f"revision as published:  {len(v2.added)} added, {len(v2.changed)} changed, {len(v2.removed)} removed rows")
    for label, base, pkg in (
        ("revision (delta)", base_pkg, rev_pkg),
        ("revision as published", whole_pkg, rev2_pkg),
        ("full edition over installed", base_pkg, full_pkg),
    ):
        runs = []
        for i in range(3):
            db_path = tmp / f"rev-{label[:12]}-{i}.sqlite3"
            apply.apply_package(db_path, base, trust=trust_b)
            start = time.perf_counter()
            apply.apply_package(db_path, pkg, trust=trust_b, on_progress=progress)
            runs.append(time.perf_counter() - start)
        print(f"apply  {label:28s} {statistics.median(runs):6.3f} s  (over the first publication, incl. back-up)")

    db_path = tmp / "bundled.sqlite3"
    start = time.perf_counter()
    reports = bundled.install_bundled(db_path, on_progress=progress)
    print(f"install_bundled ({len(reports)} packages)       {time.perf_counter() - start:6.3f} s  (target <= 5 s)")
    print(f"progress callbacks: {calls['n']}")


if __name__ == "__main__":
    main()
