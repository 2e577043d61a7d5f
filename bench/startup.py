"""Time from process start to the first painted frame of the main window, from source and from the
PyInstaller bundle, next to a bare PySide6 window on the same machine.

Usage: python bench/startup.py [--db PATH] [--runs N]

Each run starts a fresh process with ``--smoke-test`` (offscreen) on a database that already holds
the catalogue, and stops the clock when the process prints that the window's first frame was
painted and flushed (interpreter start, imports, database open, fonts, window built, shown and
painted; what the window defers until after that frame, and teardown, excluded). Prints median and
p99. Target: <= 0.5 s from source (dist/yaomu/yaomu, built by `make bundle`, is timed when present).
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
TARGETS = {"source": 0.5, "bundle": 0.8, "bare PySide6 window": 0.5}

#: The floor: a bare PySide6 window, timed the same way.
BARE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication(sys.argv[:1])

class W(QLabel):
    done = False

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.done:
            self.done = True
            QTimer.singleShot(0, lambda: (print(\"smoke test ok\", flush=True), app.quit()))

w = W(\"药目\")
w.show()
app.exec()
"""


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_window(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from process start to the first-frame line, and the process's CPU seconds by then."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=ROOT)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("smoke test ok"):
            elapsed = time.perf_counter() - started
            cpu = _cpu_s(proc.pid)
            proc.wait(timeout=30)
            return elapsed, cpu
    proc.wait(timeout=30)
    raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr.read() if proc.stderr else ''}")


def prepare_db(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from desktop.storage import catalogue as store
    from desktop.sync import bundled

    db = store.open_db(path)
    if bundled.needs_install(db):
        t = time.perf_counter()
        bundled.install(path)
        print(f"bundled catalogue installed in {time.perf_counter() - t:.2f} s (not part of the start-up time)")
    db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database with the catalogue (default: a new one in a temp dir)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "bench.sqlite3"
    prepare_db(db)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: byte-code cached
    variants = {
        "bare PySide6 window": [sys.executable, "-c", BARE],
        "source": [sys.executable, "-m", "desktop", "--db", str(db), "--smoke-test"],
    }
    bundle = ROOT / "dist" / "yaomu" / "yaomu"
    if bundle.exists():
        variants["bundle"] = [str(bundle), "--db", str(db), "--smoke-test"]
    else:
        print("bundle: dist/yaomu/yaomu not built (make bundle); skipped")
    for name, cmd in variants.items():
        time_to_window(cmd, env)  # warm the OS file cache once
        runs = [time_to_window(cmd, env) for _ in range(args.runs)]
        times, cpus = [w for w, _ in runs], [c for _, c in runs]
        med = statistics.median(times)
        p99 = statistics.quantiles(times, n=100, method="inclusive")[98]
        verdict = "ok" if med <= TARGETS[name] else "OVER TARGET"
        print(
            f"{name}: time to first painted frame median {med:.3f} s, p99 {p99:.3f} s, min {min(times):.3f} s "
            f"over {args.runs} runs (target <= {TARGETS[name]:.1f} s: {verdict}); CPU by then median "
            f"{statistics.median(cpus):.3f} s (wall well above CPU: the machine is busy)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
