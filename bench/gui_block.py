"""The longest stall of the GUI thread while the catalogue browser (F7) opens and reloads and F9 opens and closes.

Usage: python bench/gui_block.py [--db PATH] [--runs N]

A QTimer beats every 5 ms on the GUI thread; a stall is the time between two beats beyond the
interval, i.e. how long staff's keystrokes would wait. Each run, on the real bundled catalogue:
open the browser (a new widget, 2024 edition in force), reload it, switch it to the 2025 edition,
open F9 and close it without applying. Prints the worst stall of each step over all runs, the
median and p99 of the per-run worst, the GUI thread's own CPU time within the worst gap (on a loaded
machine a gap also holds time spent waiting for a CPU, or for the GIL a descheduled worker holds), the
load average, and, for reference, what the browser's read would stall if it ran on the GUI thread.
Target: worst <= 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.storage import catalogue as store  # noqa: E402
from desktop.sync import bundled  # noqa: E402

TARGET_MS = 100.0
BEAT_MS = 5
DAYS = {"2024": date(2025, 3, 1), "2025": date(2026, 3, 1)}


class Heartbeat:
    """Records the longest gap between beats of a GUI-thread timer since the last ``reset``.

    ``worst`` is wall time (what staff feel, including waiting for a CPU on a loaded machine);
    ``worst_cpu`` is the GUI thread's own CPU time within the gaps (the work that blocked it).
    """

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.reset()

    def _beat(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.worst = max(self.worst, (now - self.last) * 1000 - BEAT_MS)
        self.worst_cpu = max(self.worst_cpu, (cpu - self.last_cpu) * 1000)
        self.last, self.last_cpu = now, cpu

    def start(self) -> None:
        self.timer.start()

    def reset(self) -> None:
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        self.worst = self.worst_cpu = 0.0


def wait_for(signal, timeout_ms: int = 60000) -> None:  # noqa: ANN001 - a Qt signal
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def settle(ms: int = 50) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def one_run(window, day: list[date], beat: Heartbeat) -> dict[str, tuple[float, float]]:  # noqa: ANN001
    out: dict[str, tuple[float, float]] = {}
    day[0] = DAYS["2024"]
    if window.browser is not None:
        window.tabs.removeTab(window.tabs.indexOf(window.browser))
        window.browser.deleteLater()
        window.browser = None
    settle()
    beat.reset()
    window.open_browser()  # F7: builds the widget, reads the edition on a worker
    wait_for(window.browser.loaded)
    settle()
    out["open browser (F7)"] = (beat.worst, beat.worst_cpu)
    beat.reset()
    window.browser.reload()
    wait_for(window.browser.loaded)
    settle()
    out["reload browser"] = (beat.worst, beat.worst_cpu)
    day[0] = DAYS["2025"]
    beat.reset()
    window.browser.reload()
    wait_for(window.browser.loaded)
    settle()
    out["reload, other edition"] = (beat.worst, beat.worst_cpu)
    beat.reset()
    QTimer.singleShot(300, lambda: QApplication.activeModalWidget().reject())  # staff close F9 at once
    window.open_updates()
    settle()
    out["open and close F9"] = (beat.worst, beat.worst_cpu)
    return out


def synchronous_read(db_path: Path) -> float:
    """What the browser's read costs when done on the calling thread (the stall before this change)."""
    from desktop.ui.browser_widget import read_browser_data

    db = store.open_db(db_path, readonly=True)
    started = time.perf_counter()
    read_browser_data(db, DAYS["2024"])
    elapsed = (time.perf_counter() - started) * 1000
    db.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database with the catalogue (default: a new one in a temp dir)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    db_path = args.db or Path(tempfile.mkdtemp()) / "bench.sqlite3"
    db = store.open_db(db_path)
    if bundled.needs_install(db):
        bundled.install(db_path)
    app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive for the run
    from desktop.ui.main_window import MainWindow

    day = [DAYS["2024"]]
    window = MainWindow(db, db_path, today=lambda: day[0])
    window.show()
    settle(500)  # start-up warm-up (rules import) is not part of the measurement
    beat = Heartbeat()
    beat.start()
    runs = [one_run(window, day, beat) for _ in range(args.runs)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"GUI-thread stalls on the bundled catalogue, {args.runs} runs (heartbeat every {BEAT_MS} ms, load {load:.1f}):"
    )
    for step in runs[0]:
        walls = [run[step][0] for run in runs]
        cpus = [run[step][1] for run in runs]
        print(
            f"  {step:<24} worst {max(walls):6.1f} ms   median {statistics.median(walls):6.1f} ms"
            f"   (GUI-thread CPU in a gap: worst {max(cpus):5.1f} ms)"
        )
    worst_cpu = max(cpu for run in runs for _, cpu in run.values())
    worst_per_run = sorted(max(wall for wall, _ in run.values()) for run in runs)
    p99 = worst_per_run[min(len(worst_per_run) - 1, round(0.99 * (len(worst_per_run) - 1)))]
    worst = worst_per_run[-1]
    print(f"  per-run worst: median {statistics.median(worst_per_run):.1f} ms, p99 {p99:.1f} ms")
    work = f"{worst_cpu:.1f} ms of GUI-thread work"
    print(f"worst GUI-thread stall: {worst:.1f} ms wall, {work} (target <= {TARGET_MS:.0f} ms)")
    print(f"reference: the browser's read on the GUI thread would stall {synchronous_read(db_path):.0f} ms")
    window.close()
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip PySide6's interpreter-exit teardown of the widgets: nothing left to measure
