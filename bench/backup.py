"""How long a verified back-up takes (copy + integrity check + rename) on the bundled catalogue.

Every apply and rollback makes one before it writes (issue 12: a back-up counts only once SQLite's
integrity check passes, and a damaged database is refused there). Prints median and p99 over runs.

    python bench/backup.py [RUNS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from desktop.storage import catalogue as store
from desktop.sync import bundled


def main(runs: int = 15) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "yaomu.sqlite3"
        bundled.install(path)
        db = store.open_db(path)
        size = path.stat().st_size
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            store.backup(db, path, reason="sync", keep=3)
            times.append(time.perf_counter() - start)
        check = []
        for _ in range(runs):
            start = time.perf_counter()
            store.check_intact(db)
            check.append(time.perf_counter() - start)
        db.close()
    times.sort()
    check.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"database {size / 1e6:.1f} MB, {runs} runs")
    print(f"verified back-up   median {statistics.median(times) * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms")
    print(f"quick check only   median {statistics.median(check) * 1000:7.1f} ms  p99 {check[-1] * 1000:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
