"""run_in_background: the work runs on a pool thread; progress, results and errors arrive on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from desktop.errors import UserFacingError
from desktop.ui.workers import SynchronousPool, run_in_background


def test_result_and_progress_arrive_on_the_gui_thread(qtbot):
    gui = QThread.currentThread()
    seen: dict[str, object] = {"progress": []}

    def work(job):  # type: ignore[no-untyped-def]
        seen["worker"] = threading.current_thread() is not threading.main_thread()
        for i in range(1, 4):
            job.report(i, 3)
        return 42

    def done(value):  # type: ignore[no-untyped-def]
        seen["done"] = (value, QThread.currentThread() is gui)

    def progress(d, t):  # type: ignore[no-untyped-def]
        seen["progress"].append((d, t, QThread.currentThread() is gui))  # type: ignore[union-attr]

    job = run_in_background(work, done, lambda err: seen.setdefault("error", err), on_progress=progress)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen["worker"] is True
    assert seen["done"] == (42, True)
    assert seen["progress"] == [(1, 3, True), (2, 3, True), (3, 3, True)]
    assert "error" not in seen


def test_error_arrives_and_cancel_is_seen(qtbot):
    errors = []

    def work(job):  # type: ignore[no-untyped-def]
        while not job.cancelled():
            QThread.msleep(5)
        raise UserFacingError("已取消。")

    job = run_in_background(work, lambda _v: None, errors.append)
    job.cancel()
    with qtbot.waitSignal(job.failed, timeout=5000):
        pass
    assert len(errors) == 1 and str(errors[0]) == "已取消。"


def test_synchronous_pool_runs_at_once():
    out = []
    run_in_background(lambda job: 7, out.append, out.append, pool=SynchronousPool())
    assert out == [7]
