"""The window's side of a catalogue feed: poll in the background, say "有目录更新", apply at a safe moment.

``FeedWatcher`` polls the feed set in the settings every ``feed_poll_minutes`` on a worker thread
(``desktop.sync.feed.check`` with the download, so the diff is ready), never while a sale's receipt
is being printed (``paused()``; a poll due then runs right after). New packages show a button
"有目录更新" in the status bar; it (or Ctrl+U) opens ``FeedUpdateDialog`` with the diff, where staff
apply them when it suits. With ``feed_auto_apply`` they are applied by themselves outside the
opening hours. The status bar says when the feed was last checked and from where.

``install(window)`` is the one hook the main window calls.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserFacingError
from desktop.ui.workers import Job, Pool, run_in_background

log = logging.getLogger(__name__)

#: The first poll waits this long after start-up (the counter is usable first).
FIRST_POLL_MS = 20_000


def _feed() -> Any:
    import desktop.sync.feed

    return desktop.sync.feed


def _settings(db: Any) -> Any:
    from desktop.ui import services

    return services.settings().get(db)


class FeedWatcher(QObject):
    """Background checks of the configured feed.

    Signals:
        checked(object): a poll finished (the ``FeedReport``).
        update_available(object): a poll found packages not applied yet (the ``FeedReport``).
        applied(object): packages were applied (the ``FeedReport`` of the sync).
        failed(str): a poll or apply failed (the Chinese message).
        status_changed(str): the status-bar text.
    """

    checked = Signal(object)
    update_available = Signal(object)
    applied = Signal(object)
    failed = Signal(str)
    status_changed = Signal(str)

    def __init__(
        self,
        db: Any,
        db_path: Path | None,
        *,
        pool: Pool | None = None,
        now: Callable[[], datetime] = datetime.now,
        trust: dict | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.db_path = db_path
        self.pool = pool
        self.now = now
        self.trust = trust
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)
        self.job: Job | None = None
        self.report: Any = None  # the last check's report
        self.pending: list[Any] = []
        self._holds = 0
        self._deferred = False
        self.status = ""
        self.settings = _settings(db)
        app = QCoreApplication.instance()
        if app is not None:  # quitting cancels a download in progress instead of waiting for it
            app.aboutToQuit.connect(self.stop)

    def stop(self) -> None:
        self.timer.stop()
        if self.busy and self.job is not None:
            self.job.cancel()

    # --- configuration ---
    def start(self, first_delay_ms: int = FIRST_POLL_MS) -> None:
        """Read the settings and (re)start polling; nothing when no feed is set."""
        self.settings = _settings(self.db)
        self.timer.stop()
        self._set_status(self._last_checked_text())
        if not self.settings.feed_url or self.db_path is None:
            return
        self.timer.start(max(int(self.settings.feed_poll_minutes), 1) * 60_000)
        QTimer.singleShot(first_delay_ms, self.poll)

    def _last_checked_text(self) -> str:
        try:
            state = _feed().last_checked(self.db)
        except Exception:  # the status bar never breaks the window
            log.exception("reading the feed state failed")
            return ""
        return _feed().status_line(state)

    # --- never during a print ---
    @contextmanager
    def paused(self) -> Iterator[None]:
        """No poll or apply starts inside this block (a sale's print); a poll due meanwhile runs after it."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            if not self._holds and self._deferred:
                self._deferred = False
                self.poll()

    @property
    def busy(self) -> bool:
        return self.job is not None and not self.job.done

    # --- polling ---
    def poll(self) -> None:
        url = self.settings.feed_url
        if not url or self.db_path is None:
            return
        if self._holds:
            self._deferred = True
            return
        if self.busy:
            return
        feed, db_path, trust = _feed(), self.db_path, self.trust
        self.job = run_in_background(
            lambda job: feed.check(db_path, url, trust=trust, record=True, download=True, should_cancel=job.cancelled),
            self._checked,
            self._failed,
            pool=self.pool,
        )

    def _checked(self, report: Any) -> None:
        self.report = report
        self.pending = list(report.pending)
        self._set_status(self._last_checked_text())
        self.checked.emit(report)
        if not self.pending:
            return
        if self.settings.feed_auto_apply and not self._open_now():
            if self._holds:  # the check ended during a print (its dialog runs an event loop): after it
                self._deferred = True
            else:
                self.apply_now()
            return
        self.update_available.emit(report)

    def _open_now(self) -> bool:
        from desktop.schedule import within_hours

        return within_hours(self.now(), self.settings.opening_hours)

    def _failed(self, err: BaseException) -> None:
        if not isinstance(err, UserFacingError):
            log.error("feed job failed", exc_info=err)
            message = "目录源检查出错（内部错误，详情已记录）。"
        else:
            message = str(err).splitlines()[0]
        self._set_status(f"目录源：{message}")
        self.failed.emit(message)

    # --- applying ---
    def apply_now(
        self, on_progress: Callable[[int, int], None] | None = None, on_done: Callable[[Any], None] | None = None
    ) -> bool:
        """Apply what the feed offers, on a worker thread; False when now is not a safe moment."""
        if self._holds or self.busy or self.db_path is None or not self.settings.feed_url:
            return False
        feed, db_path, url, trust = _feed(), self.db_path, self.settings.feed_url, self.trust

        def done(report: Any) -> None:
            self.pending = []
            self._set_status(self._last_checked_text())
            self.applied.emit(report)
            if on_done:
                on_done(report)

        def failed(err: BaseException) -> None:
            self._failed(err)
            if on_done:
                on_done(err)

        self.job = run_in_background(
            lambda job: feed.sync(db_path, url, trust=trust, on_progress=job.report, should_cancel=job.cancelled),
            done,
            failed,
            on_progress=on_progress,
            pool=self.pool,
        )
        return True

    def _set_status(self, text: str) -> None:
        self.status = text
        self.status_changed.emit(text)


class FeedUpdateDialog(QDialog):
    """ "有目录更新": what the feed offers with its diff; 应用 now or later."""

    def __init__(self, watcher: FeedWatcher, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.watcher = watcher
        self.setWindowTitle("有目录更新")
        self.resize(820, 560)
        report = watcher.report
        self.summary = QLabel(
            f"目录源 {report.source} 有 {len(watcher.pending)} 个新的更新包。应用时会先备份数据库，"
            "每个更新包在一次事务中应用；打印收据时不会应用。"
            if report is not None
            else "没有待应用的目录更新。"
        )
        self.summary.setWordWrap(True)
        self.text = QPlainTextEdit(report.text() if report is not None else "")
        self.text.setObjectName("feedDiff")
        self.text.setReadOnly(True)
        self.progress = QProgressBar()
        self.progress.setValue(0)
        self.outcome = QLabel("")
        self.outcome.setObjectName("feedResult")
        self.outcome.setWordWrap(True)
        self.apply_button = QPushButton("立即应用(&A)")
        self.apply_button.setObjectName("feedApply")
        self.apply_button.setEnabled(bool(watcher.pending))
        self.apply_button.clicked.connect(self.apply)
        later = QPushButton("稍后(&L)")
        later.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(later)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.apply_button.setFocus()

    def apply(self) -> None:
        self.apply_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.outcome.setText("正在应用目录更新……")
        if not self.watcher.apply_now(self._progress, self._done):
            self.progress.setRange(0, 1)
            self.outcome.setText("现在不能应用（正在打印或正在检查），请稍后再试。")
            self.apply_button.setEnabled(True)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    def _done(self, outcome: Any) -> None:
        self.progress.setRange(0, 1)
        if isinstance(outcome, BaseException):
            self.progress.setValue(0)
            self.outcome.setText(f"✘ {outcome}")
            self.apply_button.setEnabled(True)
            return
        self.progress.setValue(1)
        self.outcome.setText(
            "✔ " + "\n".join(a.text() for a in outcome.applied) if outcome.applied else "本机目录已是最新。"
        )


class FeedSettingsPage(QWidget):
    """The feed's settings as fields (a tab of the settings dialog): address, interval, automatic apply, hours.

    ``collect(settings)`` returns ``settings`` with these fields replaced; ``desktop.settings.save``
    validates them (``desktop.schedule.feed_problems``) with every other setting.
    """

    def __init__(self, current: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from desktop.schedule import MAX_POLL_MINUTES, MIN_POLL_MINUTES

        self.url = QLineEdit(current.feed_url)
        self.url.setObjectName("setting_feed_url")
        self.url.setPlaceholderText("总部提供的目录源网址（https://…/）或共享文件夹；留空则不检查")
        self.minutes = QSpinBox()
        self.minutes.setObjectName("setting_feed_poll_minutes")
        self.minutes.setRange(MIN_POLL_MINUTES, MAX_POLL_MINUTES)
        self.minutes.setSuffix(" 分钟")
        self.minutes.setValue(min(max(int(current.feed_poll_minutes), MIN_POLL_MINUTES), MAX_POLL_MINUTES))
        self.auto = QCheckBox("营业时间外自动应用目录更新(&Z)")
        self.auto.setObjectName("setting_feed_auto_apply")
        self.auto.setChecked(bool(current.feed_auto_apply))
        self.hours = QLineEdit(current.opening_hours)
        self.hours.setObjectName("setting_opening_hours")
        self.hours.setPlaceholderText("如 08:00-22:00；跨午夜可写 20:00-02:00")
        form = QFormLayout(self)
        form.addRow("目录源地址(&U)：", self.url)
        form.addRow("检查更新间隔(&I)：", self.minutes)
        form.addRow("营业时间(&H)：", self.hours)
        form.addRow("", self.auto)
        note = QLabel(
            "窗口在后台按间隔检查目录源（打印收据时不检查），有更新时状态栏显示“有目录更新”，可随时应用；"
            "勾选自动应用后，营业时间以外检查到的更新会自动应用。"
        )
        note.setWordWrap(True)
        note.setStyleSheet("color:#5f6368")
        form.addRow(note)

    def collect(self, settings: Any) -> Any:
        return dataclasses.replace(
            settings,
            feed_url=self.url.text().strip(),
            feed_poll_minutes=self.minutes.value(),
            feed_auto_apply=self.auto.isChecked(),
            opening_hours=self.hours.text().strip(),
        )


def install(window: Any, *, pool: Pool | None = None, now: Callable[[], datetime] = datetime.now) -> FeedWatcher:
    """Give the main window its feed watcher: status-bar text and button, Ctrl+U, refresh after an apply."""
    watcher = FeedWatcher(window.db, window.db_path, pool=pool, now=now, parent=window)
    label = QLabel()
    label.setObjectName("feedStatus")
    button = QPushButton("有目录更新")
    button.setObjectName("feedUpdateButton")
    button.setStyleSheet("color:#b36b00; font-weight:bold")
    button.hide()
    window.statusBar().addPermanentWidget(label)
    window.statusBar().addPermanentWidget(button)
    watcher.feed_label, watcher.feed_button = label, button  # type: ignore[attr-defined]

    def show_dialog() -> None:
        if not watcher.pending:
            return
        dialog = FeedUpdateDialog(watcher, window)
        dialog.exec()

    def available(report: Any) -> None:
        button.setText(f"有目录更新（{len(report.pending)} 个更新包，Ctrl+U 查看）")
        button.show()

    def applied(_report: Any) -> None:
        button.hide()
        window.catalogue_changed()

    button.clicked.connect(show_dialog)
    action = QAction("查看目录更新", window)
    action.setShortcut(QKeySequence("Ctrl+U"))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(show_dialog)
    window.addAction(action)
    watcher.status_changed.connect(label.setText)
    watcher.update_available.connect(available)
    watcher.checked.connect(lambda r: button.setVisible(bool(r.pending) and button.isVisible()))
    watcher.applied.connect(applied)
    QTimer.singleShot(0, watcher.start)  # after the first paint: start-up does not wait for the feed's state
    return watcher
