"""Start-up of the ``yaomu`` command: ``--version`` and ``search``, each in a fresh process.

Usage: python bench/cli_start.py [--db PATH] [--runs N]

"Of its own" is the process's wall time minus that of the bare interpreter (``python -c pass``,
same interpreter and site-packages), measured interleaved so load on the machine hits both alike.
Prints median and p99 of each. Target: <= 0.1 s of its own for both (the command parses its
arguments first and imports only the group it runs; ``search`` reads through plain sqlite3).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.1
QUERIES = ["amxl", "布洛芬", "xj01", "656", "阿莫西林"]


#: As installed: byte-code cached (a PYTHONDONTWRITEBYTECODE shell would compile every module every run).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr.read().decode()}")
    proc.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database with the catalogue (default: a new one in a temp dir)")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "bench.sqlite3"
    py = sys.executable
    subprocess.run([py, "-m", "desktop", "--db", str(db), "init"], cwd=ROOT, check=True, capture_output=True)
    commands = {
        "yaomu --version": lambda i: [py, "-m", "desktop", "--version"],
        "yaomu search": lambda i: [py, "-m", "desktop", "--db", str(db), "search", QUERIES[i % len(QUERIES)]],
    }
    bare_cmd = [py, "-c", "pass"]
    for make in commands.values():  # warm the OS file cache and write the byte-code
        run(make(0))
    own: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    bare: list[tuple[float, float]] = []
    for i in range(args.runs):
        b = run(bare_cmd)
        bare.append(b)
        for name, make in commands.items():
            w, c = run(make(i))
            own[name].append((w - b[0], c - b[1]))
    walls, cpus = [w for w, _ in bare], [c for _, c in bare]
    print(
        f"bare interpreter (python -c pass): wall median {statistics.median(walls):.3f} s, p99 {p99(walls):.3f} s; "
        f"CPU median {statistics.median(cpus):.3f} s"
    )
    for name, xs in own.items():
        walls, cpus = [w for w, _ in xs], [c for _, c in xs]
        med, cpu = statistics.median(walls), statistics.median(cpus)
        # On a loaded machine the wall time counts waiting for a core (compare the bare interpreter's
        # wall and CPU times above); the CPU time is the process's own work.
        verdict = f"wall {'ok' if med <= TARGET_S else 'OVER'}, CPU {'ok' if cpu <= TARGET_S else 'OVER'}"
        print(
            f"{name}: start-up of its own median {med:.3f} s, p99 {p99(walls):.3f} s wall; "
            f"CPU median {statistics.median(cpus):.3f} s, p99 {p99(cpus):.3f} s over {args.runs} runs "
            f"(target <= {TARGET_S:.1f} s: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
