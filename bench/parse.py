"""Time to read each bundled official source with its adapter (resources/sources/).

Usage: python bench/parse.py [--runs N]

Prints the median and p99 over N runs of yao_xlsx (the 2024 workbook), nhsa_api (the 2024 revised
NHSA query with the workbook) and nrdl2025 (the 2025 JSON and text). Target: each <= 2.0 s median
(the budget the tests used to assert, which a loaded machine broke).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop.catalogue import bundled  # noqa: E402

TARGET_S = 2.0
ADAPTERS = {"yao_xlsx (2024 first)": "2024-first", "nhsa_api (2024 revised)": "2024-revised", "nrdl2025": "2025"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    worst = 0.0
    for label, name in ADAPTERS.items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            data = bundled.read(name)
            times.append(time.perf_counter() - started)
        times.sort()
        median = statistics.median(times)
        p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
        worst = max(worst, median)
        print(f"{label:<26} {len(data.rows):6d} rows   median {median:5.2f} s   p99 {p99:5.2f} s")
    print(f"slowest median: {worst:.2f} s (target <= {TARGET_S:.1f} s)")
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
