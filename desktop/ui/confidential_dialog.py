"""The entry form of confidential payment standards ("*"): the one place a value is typed, never shown again.

Lists every "*" drug of the edition in force with "未录入" or "已录入（规格；有效至 …）"; the amount
field is masked and cleared after each entry. The province's file (CSV / xlsx) is imported from
here too, with every row that matched no drug listed. Keyboard: type to filter, ↑/↓ to pick,
Tab to the spec and amount, Enter to save.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.errors import UserFacingError

_COLUMNS = ("药品名称", "剂型", "协议有效期", "保密支付标准")


class ConfidentialDialog(QDialog):
    def __init__(
        self, db: Database, parent: QWidget | None = None, *, day: date | None = None, entry_id: str | None = None
    ) -> None:
        from desktop.rules import confidential

        super().__init__(parent)
        self.db = db
        self.day = day or date.today()
        self.setWindowTitle("保密支付标准录入")
        self.resize(760, 560)
        self.entries: list[r.Entry] = confidential.confidential_entries(db, self.day)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("输入药品名称筛选")
        self.filter.setObjectName("confidentialFilter")
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setObjectName("confidentialTable")
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.spec = QLineEdit()
        self.spec.setObjectName("confidentialSpec")
        self.spec.setPlaceholderText("规格（只有一个规格时可不填）")
        self.amount = QLineEdit()
        self.amount.setObjectName("confidentialAmount")
        self.amount.setEchoMode(QLineEdit.EchoMode.Password)  # typed once, never on screen
        self.amount.setPlaceholderText("本省下发的支付标准（元）")
        self.amount.returnPressed.connect(self.save_current)
        self.message = QLabel("")
        self.message.setObjectName("confidentialMessage")
        self.message.setWordWrap(True)
        save = QPushButton("录入(&E)")
        save.clicked.connect(self.save_current)
        importer = QPushButton("导入本省文件(&I)…")
        importer.clicked.connect(self.choose_file)
        form = QFormLayout()
        form.addRow("规格：", self.spec)
        form.addRow("支付标准（元）：", self.amount)
        row = QHBoxLayout()
        row.addWidget(save)
        row.addWidget(importer)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        label = QLabel(f"{self.day.isoformat()} 生效目录中的“*”药品 {len(self.entries)} 种。数值录入后不再显示。")
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.refresh()
        if entry_id:
            self.select(entry_id)
        self.filter.setFocus()

    def refresh(self) -> None:
        from desktop.rules import confidential

        statuses = confidential.statuses(self.db, self.entries)
        self.table.setRowCount(len(statuses))
        for i, s in enumerate(statuses):
            e = s.entry
            period = (
                f"{e.agreement_start.isoformat()} 至 {e.agreement_end.isoformat()}"
                if e.agreement_start and e.agreement_end
                else ""
            )
            for j, text in enumerate((e.name, e.dosage_form or "", period, s.label)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, e.id)
                self.table.setItem(i, j, item)
        self._apply_filter(self.filter.text())

    def _apply_filter(self, text: str) -> None:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            self.table.setRowHidden(i, bool(text) and (item is None or text not in item.text()))

    def select(self, entry_id: str) -> None:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == entry_id:
                self.table.selectRow(i)
                self.amount.setFocus()
                return

    def current_entry(self) -> r.Entry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        if item is None:
            return None
        entry_id = item.data(Qt.ItemDataRole.UserRole)
        return next((e for e in self.entries if e.id == entry_id), None)

    def save_current(self) -> None:
        from desktop.rules import confidential

        entry = self.current_entry()
        if entry is None:
            self.message.setText("请先在列表中选中一种药品（↑/↓）。")
            return
        try:
            confidential.enter(self.db, entry, self.spec.text(), self.amount.text())
        except UserFacingError as err:
            self.message.setText(str(err))
            return
        finally:
            self.amount.clear()  # never left in the field
        self.message.setText(f"“{entry.name}”已录入。")
        self.refresh()
        self.select(entry.id)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "选择本省下发的保密支付标准文件", "", "表格 (*.csv *.xlsx)")
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        from desktop.rules import confidential

        try:
            report = confidential.import_file(self.db, path, self.day)
        except UserFacingError as err:
            self.message.setText(str(err))
            return
        text = f"已录入 {report.stored} 条。"
        if report.unmatched:
            text += f"以下 {len(report.unmatched)} 行未能对应“*”药品，未录入：\n" + "\n".join(
                f"第 {u.row} 行 {u.name}：{u.reason}" for u in report.unmatched
            )
        self.message.setText(text)
        self.refresh()
