"""Long work off the GUI thread: run a plain function on a QThreadPool, report back on the GUI thread.

The function receives the ``Job`` so it can report progress (``job.report(done, total)``, safe
to call from the worker thread) and ask whether staff pressed cancel (``job.cancelled()``).
Results, errors and progress reach the callbacks on the GUI thread through queued
connections: the private signals are connected to bound slots of the ``Job``, which lives
on the GUI thread (a plain Python callable as the receiver would run on the worker thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, SignalInstance, Slot

log = logging.getLogger(__name__)

#: Jobs still running; keeps their QObject alive until the result has been delivered.
_ACTIVE: set[Job] = set()


class Pool(Protocol):
    def start(self, runnable: QRunnable) -> None: ...


class Job(QObject):
    """One background call.

    Signals:
        progress(int, int): done and total, delivered on the GUI thread.
        finished(object): the function's return value.
        failed(object): the exception it raised.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)

    _progress_from_worker = Signal(int, int)
    _done_from_worker = Signal(object)
    _error_from_worker = Signal(object)

    def __init__(self, fn: Callable[[Job], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.done = False
        self._cancel = threading.Event()
        self._progress_from_worker.connect(self._on_progress)
        self._done_from_worker.connect(self._on_done)
        self._error_from_worker.connect(self._on_error)

    # Called from the worker thread.
    def report(self, done: int, total: int) -> None:
        self._progress_from_worker.emit(int(done), int(total))

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the function to stop at its next check (it decides how to roll back)."""
        self._cancel.set()

    def run(self) -> None:
        try:
            result = self.fn(self)
        except BaseException as err:  # delivered to on_error; never lost on the worker thread
            self._deliver(self._error_from_worker, err)
        else:
            self._deliver(self._done_from_worker, result)

    @staticmethod
    def _deliver(signal: SignalInstance, value: object) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window (and this job's QObject) is gone: the application is quitting
            log.info("background result dropped: its receiver was deleted")

    # Slots run on the GUI thread (queued from the worker).
    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.emit(done, total)

    @Slot(object)
    def _on_done(self, result: object) -> None:
        self.done = True
        _ACTIVE.discard(self)
        self.finished.emit(result)

    @Slot(object)
    def _on_error(self, err: object) -> None:
        self.done = True
        _ACTIVE.discard(self)
        self.failed.emit(err)


class _Runnable(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:
        self.job.run()


class SynchronousPool:
    """Runs the work at once on the calling thread (tests of the logic, as Picard's FakeThreadPool)."""

    def start(self, runnable: QRunnable) -> None:
        runnable.run()


def run_in_background(
    fn: Callable[[Job], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    *,
    on_progress: Callable[[int, int], None] | None = None,
    pool: Pool | None = None,
) -> Job:
    """Run ``fn(job)`` on the thread pool; the callbacks run on the GUI thread.

    Args:
        fn: the work; receives the ``Job`` for ``report(done, total)`` and ``cancelled()``.
        on_done: called with the return value.
        on_error: called with the exception (a ``UserFacingError`` for what staff can fix).
        on_progress: called with (done, total) as the work reports it.
        pool: defaults to ``QThreadPool.globalInstance()``.

    Returns:
        The job (keep it to cancel, or to wait on its ``finished``/``failed`` signals in tests).
    """
    job = Job(fn)
    job.finished.connect(on_done)
    job.failed.connect(on_error)
    if on_progress is not None:
        job.progress.connect(on_progress)
    _ACTIVE.add(job)
    (pool or QThreadPool.globalInstance()).start(_Runnable(job))
    return job
