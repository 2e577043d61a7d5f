"""Benchmark: median time of one in-process estimate of a 20-line basket on the real catalogue (target <= 2 ms).

Usage: .venv/bin/python bench/estimate.py [DB_PATH]   (without a path, the bundled catalogue is
installed into a temporary database first).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.rules import service  # noqa: E402
from desktop.settings import Settings  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402
from desktop.sync import bundled  # noqa: E402

RUNS = 300


def main() -> int:
    if len(sys.argv) > 1:
        db = store.open_db(sys.argv[1])
    else:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        bundled.install(str(path))
        db = store.open_db(path)
    # 20 real 2024 rows: class A and B Western drugs, Chinese patent medicines and negotiated drugs.
    rows = db.execute(
        "select e.id from entry e join edition d on d.id = e.edition_id where d.name = '2024' and e.section in "
        "('西药', '中成药', '协议期内谈判药品') and e.payment_standard is not '*' order by e.seq"
    ).fetchall()
    ids = [row[0] for row in rows[:: max(1, len(rows) // 20)]][:20]
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "patient_group": "general",
        "channel": "outpatient",
        "deductible_remaining": "100.00",
        "items": [
            {"entry": i, "unit_price": "12.34", "quantity": 2, "confirmed": ["restriction", "second_line"]} for i in ids
        ],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
    }
    settings = Settings(profile="jilin")
    typed = service.parse_request(db, request, settings)
    result = service.estimate(db, typed, settings)  # warm-up (policy files, statement cache)
    runs = (
        ("estimate (typed request, as the counter screen)", lambda: service.estimate(db, typed, settings)),
        ("parse + estimate + JSON (yaomu estimate --json)", lambda: service.estimate_json(db, request, settings)),
    )
    for label, run in runs:
        times, cpu = [], []
        for _ in range(RUNS):
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        times.sort()
        # CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
        print(
            f"{label}, {len(ids)} lines, {RUNS} runs: median {statistics.median(times):.2f} ms, "
            f"p99 {times[int(RUNS * 0.99)]:.2f} ms, max {times[-1]:.2f} ms; "
            f"CPU median {statistics.median(cpu):.2f} ms (target: median <= 2 ms)"
        )
    t = result.amounts
    print(f"total {t.total}, fund {t.fund}, patient {t.patient_total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
