"""Benchmark: median time of one in-process estimate of a 20-line basket on the real catalogue (target <= 2 ms).

Two figures:

1. the same basket estimated again and again, as the counter re-estimates on every quantity change
   (typed request; and parse + estimate + JSON, as ``yaomu estimate --json``);
2. ``BASKETS`` different 20-line baskets of real entries of the 2024 and 2025 editions (class A and B,
   negotiated, restricted lines; fixed seed), each parsed and estimated as the counter does for a new
   sale: most of their entries are read for the first time, so no cache flatters the figure. The same
   baskets once more (entries then read before) are shown beside it.

Usage: .venv/bin/python bench/estimate.py [DB_PATH]   (without a path, the bundled catalogue is
installed into a temporary database first).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.rules import policy, service  # noqa: E402
from desktop.settings import Settings  # noqa: E402
from desktop.storage import catalogue as store  # noqa: E402
from desktop.sync import bundled  # noqa: E402

RUNS = 300
BASKETS = 200
LINES = 20
SEED = 20261202
TARGET = "target: median <= 2 ms"


def _report(label: str, times: list[float], cpu: list[float]) -> None:
    # CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
    times = sorted(times)
    n = len(times)
    print(
        f"{label}, {n} runs: median {statistics.median(times):.2f} ms, "
        f"p99 {times[min(n - 1, int(n * 0.99))]:.2f} ms, max {times[-1]:.2f} ms; "
        f"CPU median {statistics.median(cpu):.2f} ms ({TARGET})"
    )


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    run()
    return (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000


def _baskets(db: Any) -> list[dict[str, Any]]:
    """``BASKETS`` requests of ``LINES`` real lines each: per basket 6 class A, 6 class B, 4 negotiated and
    4 restricted lines, drawn from both editions, dated in 2025 (2024 edition in force) or 2026 (2025)."""
    rows = db.execute(
        "select e.id, e.section, e.class, e.flags from entry e join edition d on d.id = e.edition_id "
        "where d.name in ('2024', '2025') and e.section in ('西药', '中成药', '协议期内谈判药品', '竞价药品') "
        "order by e.pk"
    ).fetchall()
    pools: dict[str, list[str]] = {"A": [], "B": [], "negotiated": [], "restricted": []}
    for entry_id, section, cls, flags in rows:
        if "限定支付范围" in flags:
            pools["restricted"].append(entry_id)
        elif section in ("协议期内谈判药品", "竞价药品"):
            pools["negotiated"].append(entry_id)
        elif cls == "甲":
            pools["A"].append(entry_id)
        elif cls == "乙":
            pools["B"].append(entry_id)
    rng = random.Random(SEED)
    profiles = policy.available()
    out = []
    for n in range(BASKETS):
        ids = [
            *rng.sample(pools["A"], 6),
            *rng.sample(pools["B"], 6),
            *rng.sample(pools["negotiated"], 4),
            *rng.sample(pools["restricted"], 4),
        ]
        rng.shuffle(ids)
        out.append(
            {
                "date": rng.choice(["2025-03-01", "2025-09-15", "2026-03-01"]),
                "profile": profiles[n % len(profiles)],
                "insurance": rng.choice(["employee", "retiree", "resident"]),
                "patient_group": "general",
                "channel": rng.choice(["outpatient"] * 8 + ["chronic", "dual_channel"]),
                "deductible_remaining": rng.choice(["0", "100.00", "500.00"]),
                "items": [
                    {
                        "entry": i,
                        "unit_price": f"{rng.randint(100, 30000) / 100:.2f}",
                        "quantity": rng.randint(1, 5),
                        "confirmed": ["restriction", "second_line"] if rng.random() < 0.5 else [],
                    }
                    for i in ids
                ],
                "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
            }
        )
    return out


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
    for profile in policy.available():
        policy.load(profile)  # the policy files are read once per process, before any figure
    runs = (
        ("estimate (typed request, as the counter screen)", lambda: service.estimate(db, typed, settings)),
        ("parse + estimate + JSON (yaomu estimate --json)", lambda: service.estimate_json(db, request, settings)),
    )
    print(f"1. The same {len(ids)}-line basket again and again (the counter re-estimates on every change):")
    for label, run in runs:
        times, cpu = [], []
        for _ in range(RUNS):
            wall, used = _timed(run)
            times.append(wall)
            cpu.append(used)
        _report(f"   {label}, {len(ids)} lines", times, cpu)

    baskets = _baskets(db)
    print(f"2. {len(baskets)} different {LINES}-line baskets of real 2024 and 2025 entries (seed {SEED}):")
    results: list[Any] = []

    def counter(data: dict[str, Any]) -> None:
        results.append(service.estimate(db, service.parse_request(db, data, settings), settings))

    for label in ("each for the first time", "the same baskets again"):
        times, cpu = [], []
        results.clear()
        for data in baskets:
            wall, used = _timed(lambda data=data: counter(data))
            times.append(wall)
            cpu.append(used)
        _report(f"   parse + estimate (as the counter), {label}", times, cpu)
    t = result.amounts
    print(f"total {t.total}, fund {t.fund}, patient {t.patient_total}")
    fund = sum(e.amounts.fund for e in results)
    patient = sum(e.amounts.patient_total for e in results)
    print(f"{len(baskets)} baskets: total {sum(e.amounts.total for e in results)}, fund {fund}, patient {patient}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
