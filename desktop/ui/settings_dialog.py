"""SettingsDialog (F12): pharmacy name and code, region profile and its parameters, counter, staff, printer, paper.

The form is built from the fields of ``desktop.settings.Settings`` so it follows that dataclass as it
grows: text fields become line edits, booleans check boxes, the profile and the paper width choices,
and nested parameters (dicts, lists) a JSON editor. Saving goes through ``settings.save``, which
validates; its Chinese message is shown and the dialog stays open.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.errors import UserFacingError
from desktop.ui import services

#: Labels of the settings fields staff see (unknown fields show their name).
FIELD_LABELS = {
    "pharmacy_name": "药店名称",
    "pharmacy_code": "定点机构编码",
    "institution_code": "定点机构编码",
    "profile": "地区政策",
    "region_profile": "地区政策",
    "region": "地区政策",
    "parameters": "地区政策参数",
    "profile_parameters": "地区政策参数",
    "policy": "地区政策参数",
    "counter": "收银台",
    "staff": "当班人员",
    "printer": "打印机",
    "paper": "收据纸张",
    "confidential_standards": "保密支付标准",
    "receipt_format": "收据纸张",
    "paper_width": "收据纸张",
    "feed_url": "目录源地址",
    "feed_poll_minutes": "检查更新间隔（分钟）",
    "feed_auto_apply": "营业时间外自动应用目录更新",
    "opening_hours": "营业时间",
}
PAPER_CHOICES = {"58mm": "58 mm 热敏纸", "80mm": "80 mm 热敏纸", "a5": "A5 纸"}
PROFILE_LABELS = {"national": "全国（仅国家规定）", "jilin": "吉林省", "hunan": "湖南省", "weihai": "山东省威海市"}


#: Fields whose values are never shown (the province's real confidential payment standards).
SECRET_FIELDS = ("confidential_standards",)


def profiles() -> list[str]:
    """Policy profiles shipped in resources/policies/ (national first)."""
    return sorted(services.policy().available(), key=lambda n: (n != "national", n))


class SettingsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("设置（F12）")
        self.resize(640, 520)
        self.module = services.settings()
        self.current: Any = None
        self.editors: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存(&S)")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.current = self.module.get(db)
        form = QFormLayout()
        for f in dataclasses.fields(self.current):
            if f.name in SECRET_FIELDS:
                form.addRow("保密支付标准：", self._confidential_button())
                continue
            editor = self._editor(f, getattr(self.current, f.name))
            editor.setObjectName(f"setting_{f.name}")
            self.editors[f.name] = editor
            form.addRow(FIELD_LABELS.get(f.name, f.name) + "：", editor)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _confidential_button(self) -> QWidget:
        """Opens the entry form of the "*" standards (desktop.ui.confidential_dialog); values are never shown."""
        from PySide6.QtWidgets import QPushButton

        button = QPushButton("录入/导入保密支付标准(&K)…")
        button.setObjectName("setting_confidential_standards")

        def open_form() -> None:
            from desktop.ui.confidential_dialog import ConfidentialDialog

            ConfidentialDialog(self.db, self).exec()

        button.clicked.connect(open_form)
        return button

    def _editor(self, f: dataclasses.Field, value: Any) -> QWidget:
        name = f.name
        if isinstance(value, bool):
            box = QCheckBox()
            box.setChecked(value)
            return box
        if name in ("profile", "region_profile", "region"):
            return self._choice({p: PROFILE_LABELS.get(p, p) for p in profiles()}, value)
        if "paper" in name or name == "receipt_format":
            return self._choice(PAPER_CHOICES, value)
        if isinstance(value, dict | list | tuple):
            edit = QPlainTextEdit(json.dumps(value, ensure_ascii=False, indent=2, default=str))
            edit.setMaximumHeight(120)
            return edit
        line = QLineEdit("" if value is None else str(value))
        return line

    @staticmethod
    def _choice(options: dict[str, str], value: Any) -> QComboBox:
        box = QComboBox()
        for code, label in options.items():
            box.addItem(label, code)
        if value not in options and value is not None:
            box.addItem(str(value), value)
        box.setCurrentIndex(max(box.findData(value), 0))
        return box

    def values(self) -> dict[str, Any]:
        """The form's values, typed like the current settings' fields; ValueError with a Chinese message."""
        out: dict[str, Any] = {}
        hints = typing.get_type_hints(type(self.current))
        for name, editor in self.editors.items():
            old = getattr(self.current, name)
            label = FIELD_LABELS.get(name, name)
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                out[name] = editor.currentData()
            elif isinstance(editor, QPlainTextEdit):
                try:
                    value = json.loads(editor.toPlainText() or "null")
                except json.JSONDecodeError as err:
                    raise ValueError(f"“{label}”不是有效的 JSON（第 {err.lineno} 行）：请检查括号和引号。") from None
                out[name] = tuple(value) if isinstance(old, tuple) and isinstance(value, list) else value
            else:
                assert isinstance(editor, QLineEdit)
                text = editor.text().strip()
                hint = str(hints.get(name, ""))
                if not text and (old is None or "None" in hint):
                    out[name] = None
                elif isinstance(old, Decimal) or "Decimal" in hint:
                    try:
                        out[name] = Decimal(text)
                    except ArithmeticError:
                        raise ValueError(f"“{label}”应为数字，如 0.10。") from None
                elif isinstance(old, int) or hint in ("int", "<class 'int'>"):
                    if not text.isdigit():
                        raise ValueError(f"“{label}”应为整数。")
                    out[name] = int(text)
                else:
                    out[name] = text
        return out

    def save(self) -> None:
        try:
            new = dataclasses.replace(self.current, **self.values())
            self.module.save(self.db, new)
        except (ValueError, TypeError, UserFacingError) as err:
            box = QMessageBox(
                QMessageBox.Icon.Warning, "设置未保存", f"{err}\n请修改后再保存。", QMessageBox.StandardButton.Ok, self
            )
            box.setObjectName("errorDialog")
            box.exec()
            return
        self.current = new
        self.accept()
