"""UpdatesDialog (F9): open or drop a catalogue package, see its verification and diff, apply, history, rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.errors import UserFacingError
from desktop.storage import catalogue as store
from desktop.ui.workers import Job, Pool, run_in_background

HISTORY_HEADERS = ("时间", "操作", "更新包", "内容", "对象", "摘要", "操作人", "状态", "来源")
ACTION_LABELS = {"apply": "应用", "rollback": "撤销"}
KIND_LABELS = {"edition": "目录版本", "revision": "修订", "overlay": "地方/专项目录"}
COUNT_LABELS = {
    "added": "新增",
    "removed": "删除",
    "changed": "变更",
    "renumbered": "仅编号变化",
    "sections_loaded": "新载入",
    "overlay_added": "名单新增",
    "overlay_removed": "名单删除",
}


class _PathEdit(QLineEdit):
    """The path box: Enter verifies the package typed, and does nothing else."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.returnPressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


def _sync_api() -> Any:
    """desktop.sync.apply, imported when the dialog first needs it (it is not needed at start-up)."""
    import desktop.sync.apply

    return desktop.sync.apply


class UpdatesDialog(QDialog):
    """Catalogue updates from signed packages.

    Signals:
        applied(object): a package was applied or rolled back (carries the report or history entry).
    """

    applied = Signal(object)

    # Longer than 60 lines: widget construction in layout order; split, it would only scatter one dialog's layout.
    def __init__(
        self,
        db: Database,
        db_path: Path | None,
        parent: QWidget | None = None,
        *,
        trust: dict | None = None,
        pool: Pool | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.db_path = db_path
        self.trust = trust
        self.pool = pool
        self.package: Path | None = None
        self.verified: Any = None
        self.job: Job | None = None
        self.setWindowTitle("目录更新（F9）")
        self.resize(900, 640)
        self.setAcceptDrops(True)

        self.path_edit = _PathEdit()
        self.path_edit.setObjectName("packagePath")
        self.path_edit.setPlaceholderText(
            "更新包文件（.yaomu）的路径，按 Enter 校验；也可拖放到此窗口，或按 Ctrl+O 选择"
        )
        self.path_edit.returnPressed.connect(self._path_entered)
        self.browse_button = QPushButton("选择更新包…(&O)")
        self.browse_button.setObjectName("browseButton")
        self.browse_button.clicked.connect(self.browse)
        self.verify_label = QLabel("尚未选择更新包。")
        self.verify_label.setObjectName("verifyLabel")
        self.verify_label.setWordWrap(True)
        self.diff_text = QPlainTextEdit()
        self.diff_text.setObjectName("diffText")
        self.diff_text.setReadOnly(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setValue(0)
        self.apply_button = QPushButton("应用更新(&A)")
        self.apply_button.setObjectName("applyButton")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("取消应用(&C)")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.history_table = QTableWidget(0, len(HISTORY_HEADERS))
        self.history_table.setObjectName("history")
        self.history_table.setHorizontalHeaderLabels(HISTORY_HEADERS)
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.verticalHeader().hide()
        self.history_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history_table.horizontalHeader().setStretchLastSection(True)
        self.rollback_button = QPushButton("撤销最近一次更新(&R)…")
        self.rollback_button.setObjectName("rollbackButton")
        self.rollback_button.clicked.connect(self.rollback)
        close = QPushButton("关闭(&X)")
        close.clicked.connect(self.accept)
        for button in (self.browse_button, self.apply_button, self.cancel_button, self.rollback_button, close):
            button.setAutoDefault(False)  # Enter in the path box verifies; it never also presses a button

        top = QHBoxLayout()
        top.addWidget(self.path_edit, 1)
        top.addWidget(self.browse_button)
        run = QHBoxLayout()
        run.addWidget(self.progress, 1)
        run.addWidget(self.apply_button)
        run.addWidget(self.cancel_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.rollback_button)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.verify_label)
        layout.addWidget(QLabel("与当前目录相比的变化："))
        layout.addWidget(self.diff_text, 2)
        layout.addLayout(run)
        layout.addWidget(QLabel("更新记录："))
        layout.addWidget(self.history_table, 1)
        layout.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+O"), self).activated.connect(self.browse)
        self.reload_history()

    # --- choosing a package ---
    def _path_entered(self) -> None:
        text = self.path_edit.text().strip().strip('"')
        if not text:
            self._set_verify("请输入更新包文件的路径，或按 Ctrl+O 选择文件。", False)
            return
        self.open_package(Path(text))

    def browse(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, "选择目录更新包", "", "药目更新包 (*.yaomu *.zip);;所有文件 (*)"
        )
        if name:
            self.open_package(Path(name))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_package(Path(urls[0].toLocalFile()))

    def open_package(self, path: Path) -> None:
        """Verify the package (once) and show what it would change; both off the GUI thread.

        The verified package is kept and carried to ``apply``: the file is not read again.
        """
        self.package = path
        self.verified = None
        self.path_edit.setText(str(path))
        self.apply_button.setEnabled(False)
        self.diff_text.setPlainText("")
        self._set_verify("正在校验更新包的签名和内容…", None)
        api = _sync_api()
        db_path, trust = self.db_path, self.trust

        def work(_job: Job) -> tuple[Any, Any]:
            verified = api.verify_package(path, trust)
            reader = store.open_db(db_path, readonly=True) if db_path else None
            try:
                diff = api.diff_package(reader, verified) if reader is not None else None
            finally:
                if reader is not None:
                    reader.close()
            return verified, diff

        self.job = run_in_background(work, self._verified, self._refused, pool=self.pool)

    def _verified(self, result: tuple[Any, Any]) -> None:
        verified, diff = result
        self.verified = verified
        m = verified.manifest
        self._set_verify(
            f"✔ 签名有效：发布方 {verified.publisher}（密钥 {verified.key_id}），更新包 {m.package_id}，"
            f"类型 {KIND_LABELS.get(m.kind, m.kind)}，对象 {m.target}。",
            True,
        )
        self.diff_text.setPlainText(diff.text() if diff is not None else "")
        self.apply_button.setEnabled(True)
        self.apply_button.setFocus()

    def _refused(self, err: BaseException) -> None:
        self.verified = None
        self.apply_button.setEnabled(False)
        if not isinstance(err, UserFacingError):
            raise err
        self._set_verify(f"✘ 更新包被拒绝：{err.for_window()}", False)  # said once, here
        self.path_edit.setFocus()
        self.path_edit.selectAll()

    def _set_verify(self, text: str, ok: bool | None) -> None:
        self.verify_label.setText(text)
        colour = {True: "#1b7f3b", False: "#b3261e", None: "#5f6368"}[ok]
        self.verify_label.setStyleSheet(f"color:{colour}; font-weight:bold")

    def _error(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "目录更新", message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        box.exec()

    # --- apply, cancel ---
    def apply(self) -> None:
        if self.package is None or self.verified is None:
            self._error("请先打开一个通过校验的更新包。")
            return
        if self.db_path is None:
            self._error("当前数据库只在内存中，无法在后台更新。请用数据库文件启动药目后重试。")
            return
        api = _sync_api()
        verified, db_path = self.verified, self.db_path
        self.apply_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self._set_verify("正在应用更新包…（可按“取消应用”，数据库将保持不变）", None)
        self.job = run_in_background(
            lambda job: api.apply_package(db_path, verified, on_progress=job.report, should_cancel=job.cancelled),
            self._applied,
            self._apply_failed,
            on_progress=self._progress,
            pool=self.pool,
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    def cancel(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.cancel_button.setEnabled(False)

    def _applied(self, report: Any) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self._set_verify("✔ " + report.text(), True)
        self.verified = None
        self.reload_history()
        self.applied.emit(report)

    def _apply_failed(self, err: BaseException) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.apply_button.setEnabled(self.verified is not None)
        if not isinstance(err, UserFacingError):
            raise err
        self._set_verify(f"✘ {err.for_window()}", False)  # said once, here

    # --- history, rollback ---
    def reload_history(self) -> None:
        rows: list[Any] = []
        try:
            rows = _sync_api().history(self.db)
        except UserFacingError as err:
            self.verify_label.setText(str(err))
        self.history_table.setRowCount(len(rows))
        for i, h in enumerate(rows):
            counts = (h.summary or {}).get("counts") or {}
            summary = "、".join(f"{COUNT_LABELS.get(k, k)} {v}" for k, v in counts.items() if v)
            status = "已撤销" if h.rolled_back_by else ""
            for j, value in enumerate(
                (
                    h.at,
                    ACTION_LABELS.get(h.action, h.action),
                    h.package_id,
                    KIND_LABELS.get(h.kind, h.kind),
                    h.target,
                    summary,
                    h.who,
                    status,
                    getattr(h, "feed_url", None) or "",  # the feed it came from (issue 14)
                )
            ):
                self.history_table.setItem(i, j, QTableWidgetItem(str(value or "")))
        self.rollback_button.setEnabled(bool(rows))

    def rollback(self) -> None:
        """Undo the latest apply (after a question), off the GUI thread like an apply."""
        api = _sync_api()
        if self.db_path is None:
            self._error("内存数据库无法撤销更新。")
            return
        answer = QMessageBox.question(
            self,
            "撤销更新",
            "撤销最近一次应用的更新包，恢复到应用之前的目录？\n（撤销前会自动备份数据库）",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        db_path = self.db_path
        self.rollback_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self._set_verify("正在撤销最近一次更新…", None)
        self.job = run_in_background(
            lambda _job: api.rollback(db_path), self._rolled_back, self._rollback_failed, pool=self.pool
        )

    def _rolled_back(self, entry: Any) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self._set_verify(f"✔ 已撤销更新包 {entry.package_id}（{entry.target}）。", True)
        self.reload_history()
        self.applied.emit(entry)

    def _rollback_failed(self, err: BaseException) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.reload_history()
        self.apply_button.setEnabled(self.verified is not None)
        if not isinstance(err, UserFacingError):
            raise err
        self._set_verify(f"✘ {err.for_window()}", False)  # said once, here

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and self.job is not None and not self.job.done:
            self.cancel()  # Esc during an apply cancels it instead of closing the dialog
            return
        super().keyPressEvent(event)
