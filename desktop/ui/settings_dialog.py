"""SettingsDialog (F12): the pharmacy, its region and printing, the local figures; the first-start wizard again.

The fields are ``desktop.ui.settings_form.SettingsForm``'s (the wizard shows the same ones), on
three tabs; Ctrl+Tab / Ctrl+PgDn change tab, Tab walks the fields. Saving goes through
``settings.save``, which validates; every problem is shown once and the cursor goes to the
first bad field, the dialog stays open. Confidential payment standards are only counted, never shown.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
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

#: Settings edited on the last tab (the catalogue feed, issue 14), with their labels.
OTHER_FIELDS = {
    "feed_url": "目录源地址",
    "feed_poll_minutes": "检查更新间隔（分钟）",
    "feed_auto_apply": "营业时间外自动应用目录更新",
    "opening_hours": "营业时间（如 08:00-22:00）",
}


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
        self.tabs.addTab(self._other_page(), "目录更新源(&4)")
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

    def _other_page(self) -> QWidget:
        """The settings outside the wizard's keys (the catalogue feed of issue 14), as plain fields."""
        page = QWidget()
        form = QFormLayout(page)
        self.other: dict[str, QWidget] = {}
        for name, label in OTHER_FIELDS.items():
            if not hasattr(self.current, name):
                continue
            value = getattr(self.current, name)
            editor: QWidget
            if isinstance(value, bool):
                editor = QCheckBox()
                editor.setChecked(value)
            else:
                editor = QLineEdit(str(value))
            editor.setObjectName(f"setting_{name}")
            self.other[name] = editor
            form.addRow(label + "：", editor)
        return page

    def _other_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, editor in self.other.items():
            old = getattr(self.current, name)
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(old, int):
                text = editor.text().strip()  # type: ignore[attr-defined]
                if not text.isdigit():
                    raise RequestError([f"“{OTHER_FIELDS[name]}”应为整数（分钟）。"])
                out[name] = int(text)
            else:
                out[name] = editor.text().strip()  # type: ignore[attr-defined]
        return out

    def _open_confidential(self) -> None:
        from desktop.ui.confidential_dialog import ConfidentialDialog

        ConfidentialDialog(self.db, self).exec()

    def run_wizard(self) -> None:
        self.wizard_requested = True
        self.reject()

    def save(self) -> None:
        try:
            new = dataclasses.replace(self.form.collect(), **self._other_values())
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
