"""The 对码 screen: the store's items and their products, to review, confirm, correct and export.

Lists every item with how it was matched (exact code, suggestion with its confidence) and every
stale mapping with its reason. Enter confirms the highlighted suggestion, F2 assigns a product
(searched by name, maker, 批准文号, 本位码 or code), Ctrl+E exports the 3301 upload. Keyboard only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserFacingError
from desktop.ui.list_keys import move_selection

_STATUS = {"applied": "自动（精确）", "confirmed": "已确认", "suggested": "待确认", None: "未对码"}
COLUMNS = ("商品编码", "商品名称", "规格", "生产企业", "状态", "医保药品代码", "对码依据", "需复核")
FILTERS = (("all", "全部商品"), ("unmatched", "未对码或待确认"), ("stale", "需复核"))


class MatchingDialog(QDialog):
    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("对码：本店商品 ↔ 医保药品代码")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter = QComboBox()
        self.filter.setObjectName("matchFilter")
        for code, label in FILTERS:
            self.filter.addItem(label, code)
        self.summary = QLabel()
        top.addWidget(QLabel("显示："))
        top.addWidget(self.filter)
        top.addWidget(self.summary, 1)
        layout.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("matchTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.confirm_button = QPushButton("确认建议（Enter）")
        self.assign_button = QPushButton("指定药品…（F2）")
        self.export_button = QPushButton("导出 3301…（Ctrl+E）")
        close = QPushButton("关闭（Esc）")
        for b in (self.confirm_button, self.assign_button, self.export_button, close):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.confirm_button.clicked.connect(self.confirm_current)
        self.assign_button.clicked.connect(self.assign_current)
        self.export_button.clicked.connect(self.export)
        close.clicked.connect(self.reject)
        QShortcut(QKeySequence("F2"), self).activated.connect(self.assign_current)
        QShortcut(QKeySequence("Ctrl+E"), self).activated.connect(self.export)
        self.filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.rows: list[dict] = []
        self.reload()
        self.resize(1100, 600)
        self.table.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key()
            in (
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
            )
        ):
            self.confirm_current()
            return True
        return super().eventFilter(watched, event)

    def reload(self) -> None:
        from desktop.products import items

        mode = self.filter.currentData()
        self.rows = items.listing(self.db, unmatched=mode == "unmatched", stale=mode == "stale")
        every = items.listing(self.db)
        stale = sum(1 for r in every if r["stale"])
        open_ = sum(1 for r in every if r["status"] in (None, "suggested"))
        self.summary.setText(f"共 {len(every)} 个商品；未对码或待确认 {open_} 个；需复核 {stale} 个")
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            reason = r["reason"] or ""
            if r["status"] == "suggested":
                reason = f"{reason}（相似度 {r['confidence']}）"
            values = (r["id"], r["name"], r["spec"], r["manufacturer"], _STATUS[r["status"]], r["product_code"], reason,
                      r["stale"])  # fmt: skip
            for j, v in enumerate(values):
                cell = QTableWidgetItem("" if v is None else str(v))
                if j == 7 and v:
                    cell.setForeground(Qt.GlobalColor.red)
                self.table.setItem(i, j, cell)
        self.table.resizeColumnsToContents()
        if self.rows:
            self.table.selectRow(0)

    def current(self) -> dict | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def confirm_current(self) -> None:
        r = self.current()
        if r is None:
            return
        if not r["product_code"]:
            self.assign_current()
            return
        self._confirm(r["id"], r["product_code"])

    def _confirm(self, item_id: str, code: str) -> None:
        from desktop.products import items

        row = self.table.currentRow()
        try:
            items.confirm(self.db, item_id, code)
        except UserFacingError as err:
            self.message.setText(str(err))
            return
        self.message.setText(f"已确认：{item_id} → {code}")
        self.reload()
        self.table.selectRow(min(row, self.table.rowCount() - 1))

    def assign_current(self) -> None:
        r = self.current()
        if r is None:
            return
        picker = ProductPickerDialog(self.db, r.get("generic_name") or r["name"] or "", self)
        if picker.exec() == QDialog.DialogCode.Accepted and picker.chosen:
            self._confirm(r["id"], picker.chosen)
        self.table.setFocus()

    def export(self) -> None:
        from desktop.products import items

        name, _ = QFileDialog.getSaveFileName(self, "导出 3301 对码", str(Path.home() / "对码3301.csv"), "CSV (*.csv)")
        if not name:
            return
        try:
            written, skipped = items.export_3301(self.db, Path(name))
        except UserFacingError as err:
            self.message.setText(str(err))
            return
        self.message.setText(f"已导出 {written} 条到 {name}；{skipped} 个商品未对码、待确认或需复核，未导出。")


class ProductPickerDialog(QDialog):
    """Search the product database (名称、商品名、厂家、批准文号、本位码、医保代码) and choose one."""

    def __init__(self, db: Any, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.chosen: str | None = None
        self.setWindowTitle("指定医保药品")
        layout = QVBoxLayout(self)
        self.box = QLineEdit(text)
        self.box.setObjectName("productFilter")
        self.box.setPlaceholderText("注册名称、商品名、生产企业、批准文号、本位码或医保药品代码；↑↓ 选择，Enter 确定")
        self.list = QListWidget()
        self.list.setObjectName("productList")
        layout.addWidget(self.box)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.box.textChanged.connect(self._fill)
        self.box.returnPressed.connect(self._accept)
        self.box.installEventFilter(self)
        self._fill(text)
        self.resize(760, 460)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if watched is self.box and move_selection(self.list, event):
            return True
        return super().eventFilter(watched, event)

    def _fill(self, text: str) -> None:
        from desktop.products import search

        self.list.clear()
        for p in search.products(self.db, text, 100):
            label = (f"{p['code']}  {p['registered_name'] or p['insurance_name'] or ''} {p['brand'] or ''} "
                     f"{p['spec'] or ''}  {p['manufacturer'] or ''}  {p['approval_no'] or ''}")  # fmt: skip
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, p["code"])
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _accept(self) -> None:
        current = self.list.currentItem()
        if current is None:
            return
        self.chosen = current.data(Qt.ItemDataRole.UserRole)
        self.accept()
