"""MainWindow: the counter, the catalogue browser, the dialogs behind the function keys, and the status bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout, QWidget
from sqlite_utils import Database

from desktop import APP_TITLE, __version__
from desktop.catalogue.records import VARIANT_LABELS
from desktop.errors import UserFacingError
from desktop.storage import catalogue as store
from desktop.ui import services
from desktop.ui.counter_widget import CounterWidget

if TYPE_CHECKING:  # imported when F7 first opens it
    from desktop.ui.browser_widget import BrowserWidget

log = logging.getLogger(__name__)

#: ui_state key of the window's size, place and splitter positions.
LAYOUT_STATE = "main_window"


def show_error(parent: QWidget | None, message: str, title: str = "提示") -> None:
    """Every error staff see: a dialog with what is wrong and what to do (never a traceback)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.exec()


class MainWindow(QMainWindow):
    """The application window. Holds the GUI thread's database connection and the database path for workers."""

    #: Emitted once, when the first frame of the window has been painted and flushed.
    first_frame_shown = Signal()

    def __init__(
        self,
        db: Database,
        db_path: Path | None,
        *,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.db_path = db_path
        self.today = today
        self.setWindowTitle(f"{APP_TITLE} {__version__}")
        self.setMinimumSize(1000, 600)

        self.counter = CounterWidget(db, today=today)
        self.counter.error_raised.connect(self.error)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background:#fdecea; color:#b3261e; padding:6px; font-weight:bold")
        self.banner.hide()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.counter, "柜台")
        self.browser: BrowserWidget | None = None
        self.tabs.currentChanged.connect(self._tab_changed)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.receipt_label = QLabel()  # "已开具 P…" after a receipt is issued
        self.receipt_label.setObjectName("receiptStatus")
        self.receipt_label.setStyleSheet("color:#1b7f3b; font-weight:bold; padding:0 8px")
        self.statusBar().addPermanentWidget(self.receipt_label)
        self.edition_label = QLabel()
        self.edition_label.setObjectName("editionStatus")
        self.statusBar().addPermanentWidget(self.edition_label, 1)
        self.counter.day.dateChanged.connect(lambda *_: self.refresh_status())
        self._actions()
        self.refresh_status()
        self.restore_layout()
        from desktop.ui import feed_watch

        self.feed_watch = feed_watch.install(self)  # background checks of the catalogue feed (issue 14)
        self.counter.focus_search()
        self._painted = False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._after_first_frame)  # runs once this frame is flushed

    def _after_first_frame(self) -> None:
        self.first_frame_shown.emit()
        # Anything not needed for the first frame starts only now, so it never delays it.
        self._warm_up()

    def _warm_up(self) -> None:
        """The rules (policy files, jsonschema, ~100 ms of imports) and the receipt font (~150 ms):
        loaded in the background before the first Enter or F5, not on it."""
        from desktop.ui import services
        from desktop.ui.workers import run_in_background

        profile = self.counter.profile

        def warm(_job: object) -> None:
            services.rules()
            services.settings()
            services.policy().load(profile)  # cached: the first check then costs what every check costs
            from desktop.receipts import pdf

            pdf.warm_up()  # font registration and the common subsets: the first receipt costs what any does

        run_in_background(warm, lambda _r: None, lambda err: log.warning("warm-up failed: %s", err))

    # --- actions behind the function keys ---
    def _actions(self) -> None:
        menu = self.menuBar().addMenu("功能(&F)")
        for key, title, slot in (
            ("F5", "打印收据…", self.print_receipt),
            ("F6", "收据记录…", self.open_receipt_history),
            ("F7", "目录浏览", self.open_browser),
            ("F9", "目录更新…", self.open_updates),
            ("F11", "对码…", self.open_matching),
            ("F12", "设置…", self.open_settings),
        ):
            action = QAction(f"{title}\t{key}", self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)
            setattr(self, "action_" + key.lower(), action)
        wizard = QAction("首次设置向导…", self)
        wizard.triggered.connect(self.run_setup_wizard)
        menu.addAction(wizard)
        quit_action = QAction("退出", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addSeparator()
        menu.addAction(quit_action)

    # --- layout, remembered ---
    def restore_layout(self) -> None:
        """The size, place and splitters of the last session; else sized to the screen (1366×768 up)."""
        from PySide6.QtCore import QByteArray

        state = None
        try:
            state = services.settings().ui_state(self.db, LAYOUT_STATE)
        except Exception:  # an unreadable state is no reason not to start: default layout
            log.warning("could not read the saved window layout", exc_info=True)
        if isinstance(state, dict) and state.get("geometry"):
            self.restoreGeometry(QByteArray.fromBase64(str(state["geometry"]).encode("ascii")))
            for name, splitter in self.counter.splitters.items():
                saved = (state.get("splitters") or {}).get(name)
                if saved:
                    splitter.restoreState(QByteArray.fromBase64(str(saved).encode("ascii")))
            return
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None:
            self.resize(1280, 760)
            return
        width, height = min(1440, screen.width()), min(900, screen.height())
        self.resize(max(width, self.minimumWidth()), max(height, self.minimumHeight()))
        if screen.width() <= 1440 or screen.height() <= 900:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def save_layout(self) -> None:
        state = {
            "geometry": bytes(self.saveGeometry().toBase64().data()).decode("ascii"),
            "splitters": {
                name: bytes(sp.saveState().toBase64().data()).decode("ascii")
                for name, sp in self.counter.splitters.items()
            },
        }
        try:
            services.settings().set_ui_state(self.db, LAYOUT_STATE, state)
        except Exception:  # a read-only or locked database: the layout is simply not remembered
            log.warning("could not save the window layout", exc_info=True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_layout()
        super().closeEvent(event)

    def run_setup_wizard(self) -> None:
        """The first-start set-up (also from the menu and from Settings)."""
        from desktop.ui.setup_wizard import SetupWizard

        self._exec_dialog(lambda: SetupWizard(self.db, self))
        self._settings_changed()

    def error(self, message: str) -> None:
        show_error(self, message)
        self.counter.focus_search()

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.counter:
            self.counter.focus_search()

    # --- status ---
    def refresh_status(self) -> None:
        """The status bar always says which edition answers, its variant and date; a banner when none is in force."""
        day = self.counter.as_of()
        choice = store.edition_on(self.db, day)
        ed = choice.edition
        if ed is None:
            text = f"目录：未安装 · 日期 {day.isoformat()}"
        else:
            end = ed.effective_end.isoformat() if ed.effective_end else "至今"
            text = (
                f"目录：{ed.name}年版 · {VARIANT_LABELS.get(ed.variant, ed.variant)} · "
                f"生效 {ed.effective_start.isoformat()}–{end} · 导入 {ed.loaded_at} · 查询日期 {day.isoformat()}"
            )
        self.edition_label.setText(text)
        if choice.note:
            self.banner.setText("⚠ " + choice.note)
            self.banner.show()
        else:
            self.banner.hide()

    def catalogue_changed(self) -> None:
        """After an update or rollback: re-read editions, redo the search and the estimate."""
        self.refresh_status()
        self.counter.run_search(self.counter.search.text())
        self.counter.show_current()
        self.counter.recompute()
        if self.browser is not None:
            self.browser.reload()

    # --- screens ---
    def open_browser(self) -> None:
        if self.browser is None:
            from desktop.ui.browser_widget import BrowserWidget

            self.browser = BrowserWidget(self.db, today=self.counter.as_of, db_path=self.db_path)
            self.browser.entry_activated.connect(self._browse_to_counter)
            self.tabs.addTab(self.browser, "目录浏览")
        self.tabs.setCurrentWidget(self.browser)
        self.browser.setFocus()

    def _browse_to_counter(self, entry: object) -> None:
        self.tabs.setCurrentWidget(self.counter)
        self.counter.show_entry(entry)  # type: ignore[arg-type]  # highlighted: F4 and Enter act on it

    def print_receipt(self) -> None:
        from desktop.ui.print_flow import print_receipt

        self.tabs.setCurrentWidget(self.counter)
        issued = None
        try:
            with self.feed_watch.paused():  # no catalogue check or update while a sale prints
                issued = print_receipt(self, self.counter)
        except UserFacingError as err:
            self.error(str(err))
        if issued is not None:
            self.receipt_label.setText(f"已开具 {issued.number}（校验码 {issued.check_value}）")
            self.receipt_label.setToolTip(f"PDF：{issued.path}")
        self.back_to_search()

    def open_receipt_history(self) -> None:
        from desktop.ui.receipt_history_dialog import ReceiptHistoryDialog

        self._exec_dialog(lambda: ReceiptHistoryDialog(self.db, self))

    def open_updates(self) -> None:
        """F9; the catalogue is re-read after it closes only when a package was applied or rolled back."""
        from desktop.ui.updates_dialog import UpdatesDialog

        changes: list[object] = []

        def make() -> UpdatesDialog:
            dialog = UpdatesDialog(self.db, self.db_path, self)
            dialog.applied.connect(changes.append)
            return dialog

        self._exec_dialog(make)
        if changes:
            self.catalogue_changed()

    def open_matching(self) -> None:
        from desktop.ui.matching_dialog import MatchingDialog

        self._exec_dialog(lambda: MatchingDialog(self.db, self))

    def open_settings(self) -> None:
        from desktop.ui.settings_dialog import SettingsDialog

        dialogs: list[SettingsDialog] = []

        def make() -> SettingsDialog:
            dialogs.append(SettingsDialog(self.db, self))
            return dialogs[-1]

        self._exec_dialog(make)
        self.feed_watch.start()
        self._settings_changed()
        if dialogs and dialogs[-1].wizard_requested:
            self.run_setup_wizard()

    def _settings_changed(self) -> None:
        self.counter.refresh_settings()
        self.counter.show_current()
        self.counter.recompute()

    def _exec_dialog(self, make: Callable[[], object]) -> None:
        try:
            dialog = make()
            dialog.exec()  # type: ignore[attr-defined]
        except UserFacingError as err:
            self.error(str(err))
        self.back_to_search()

    def back_to_search(self) -> None:
        """After a dialog: the window is active again and the search box has the keyboard."""
        self.activateWindow()
        self.counter.focus_search()
