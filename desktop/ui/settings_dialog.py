"""SettingsDialog (F12): the pharmacy, its region and printing, the local figures; the first-start wizard again.

The fields are ``desktop.ui.settings_form.SettingsForm``'s (the wizard shows the same ones), on
three tabs; Ctrl+Tab / Ctrl+PgDn change tab, Tab walks the fields. Saving goes through
``settings.save``, which validates; every problem is shown once and the cursor goes to the
first bad field, the dialog stays open. Confidential payment standards are only counted, never shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.errors import RequestError, UserFacingError
from desktop.ui import services
from desktop.ui.settings_form import SettingsForm


class SettingsDialog(QDialog):
    """Settings (F12).

    Attributes:
        wizard_requested: True when staff chose to run the first-start wizard instead (the window opens it).
    """

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("设置（F12）")
        self.module = services.settings()
        self.current: Any = self.module.get(db)
        self.wizard_requested = False
        self.form = SettingsForm(self.current)
        self.editors = self.form.editors
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.addTab(self.form.pharmacy_page, "药店(&1)")
        self.tabs.addTab(self.form.region_page, "地区与打印(&2)")
        self.tabs.addTab(self.form.figures_page, "本地支付比例(&3)")
        from desktop.ui.feed_watch import FeedSettingsPage  # the catalogue feed (issue 14)

        self.feed_page = FeedSettingsPage(self.current)
        self.tabs.addTab(self.feed_page, "目录更新源(&4)")
        secret = QPushButton("录入/导入保密支付标准(&K)…")  # values are never shown (desktop.ui.confidential_dialog)
        secret.setObjectName("setting_confidential_standards")
        secret.setAutoDefault(False)
        secret.clicked.connect(self._open_confidential)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存(&S)")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.wizard_button = QPushButton("首次设置向导…(&W)")
        self.wizard_button.setObjectName("wizardButton")
        self.wizard_button.setAutoDefault(False)
        self.wizard_button.clicked.connect(self.run_wizard)
        buttons.addButton(self.wizard_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(secret, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(buttons)
        self.resize(720, 600)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.editors["pharmacy_name"].setFocus()

    def _open_confidential(self) -> None:
        from desktop.ui.confidential_dialog import ConfidentialDialog

        ConfidentialDialog(self.db, self).exec()

    def run_wizard(self) -> None:
        self.wizard_requested = True
        self.reject()

    def save(self) -> None:
        try:
            new = self.feed_page.collect(self.form.collect())
            self.module.save(self.db, new)
        except RequestError as err:
            self._refuse("\n".join(f"- {p}" for p in err.problems))
            bad = self.form.first_bad_editor(err.problems)
            if bad is not None:
                page = bad.parentWidget()
                while page is not None and self.tabs.indexOf(page) < 0:
                    page = page.parentWidget()
                if page is not None:
                    self.tabs.setCurrentWidget(page)
                bad.setFocus()
            return
        except UserFacingError as err:
            self._refuse(str(err))
            return
        self.current = new
        self.accept()

    def _refuse(self, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, "设置未保存", f"{text}\n请修改后再保存。", QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("errorDialog")
        box.exec()
