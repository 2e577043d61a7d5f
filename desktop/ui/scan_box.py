"""The counter's search box meets the scanner: digits (and insurance codes) go through ``products.scan``.

Kept apart from the counter widget: the widget calls ``show`` while staff type and ``pick`` on
Enter. A scan shows the item, the product and the entry (selected in the results, so Enter picks
it and the detail panel shows the verdict); a 追溯码 of an unknown 药品标识码 asks once which item
it is (``ItemPickerDialog``) and remembers the prefix.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserFacingError
from desktop.ui.list_keys import move_selection


def show(counter: Any, text: str) -> bool:
    """Answer a scanned code in the counter; False when ``text`` is no code (the normal search runs)."""
    from desktop.products import scan

    if not scan.looks_like_code(text):
        counter._scan_result = None
        return False
    result = scan.scan(
        counter.db, text, day=counter.as_of(), profile=counter.profile, insurance=counter.patient().insurance
    )
    counter._scan_result = result
    entries = []
    if result.entry_id:
        from desktop.storage import catalogue as store

        entries = [store.get_entry(counter.db, result.entry_id)]
    counter.results_model.set_rows(entries)
    if entries:
        counter._select_row(0)
    counter.search_note.setText(describe(result))
    counter.search_note.setStyleSheet("color:#b3261e" if (result.message or result.warnings) else "")
    return True


def describe(result: Any) -> str:
    """What staff read under the box: the code, the store item and product, warnings or the message."""
    lines = [f"{result.code.label} {result.code.value}"]
    if result.item:
        i = result.item
        price = f"  零售价 {i['price']} 元" if i["price"] else ""
        lines.append(f"本店商品：{i['name']} {i['spec'] or ''}（{i['id']}）{price}")
    if result.product:
        p = result.product
        brand = f"【{p['brand']}】" if p["brand"] else ""
        lines.append(
            f"药品：{p['registered_name'] or p['insurance_name'] or ''}{brand} "
            f"{p['spec'] or ''} {p['manufacturer'] or ''}"
        )
    if result.standard and result.standard.get("amount") and not result.standard.get("confidential"):
        lines.append(f"按规格适用的支付标准：{result.standard['amount']} 元（{result.standard.get('spec') or ''}）")
    lines += [f"注意：{w}" for w in result.warnings]
    if result.message:
        lines.append(result.message)
    return "\n".join(lines)


def pick(counter: Any) -> bool:
    """Enter (or F4) on a scanned code: the box goes into the basket; an unknown 追溯码 first asks which item
    it is. True when handled here (the code was a scan); the box text is then selected for the next scan."""
    result = getattr(counter, "_scan_result", None)
    if result is None:  # the box holds no code (``show`` keeps the answer to the text in the box)
        return False
    if result.needs_item:
        _ask_item(counter, result)
        result = counter._scan_result
    sale = result.sale_line() if result is not None else None
    entry = counter.results_model.entry(0) if sale is not None else None
    if sale is None or entry is None:
        counter.focus_search()  # the message under the box says what to do; the next scan replaces the text
        return True
    counter.add_scanned(entry, sale)
    return True


def _ask_item(counter: Any, result: Any) -> None:
    """“这盒药是哪个商品？”, once per 药品标识码; the code is scanned again once the item is known."""
    dialog = ItemPickerDialog(counter.db, result.code.value, counter)
    if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen:
        from desktop.products import items

        try:
            items.link_prefix(counter.db, dialog.chosen, result.code.value)
        except UserFacingError as err:
            counter.search_note.setText(str(err))
            return
        show(counter, result.code.value)


def warm_up(db: Any) -> None:
    """Load pypinyin off the GUI thread when transition drugs are installed: the counter matches their
    pinyin as staff type (``Searcher.transition_drugs``), and the first conversion costs ~200 ms."""
    from desktop.storage import overlays

    if not overlays.transition_drugs(db):
        return
    from desktop.catalogue import pinyin
    from desktop.ui.workers import run_in_background

    run_in_background(lambda _job: pinyin.keys("预热"), lambda _result: None, lambda _err: None)


class ItemPickerDialog(QDialog):
    """“这盒药是哪个商品？”: type to filter the store's items, Enter to choose; remembered for the prefix."""

    def __init__(self, db: Any, trace_code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.chosen: str | None = None
        self.setWindowTitle("这盒药是哪个商品？")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"追溯码 {trace_code} 的药品标识码 {trace_code[:7]} 尚未对应本店商品。\n"
                "请选择这盒药对应的商品（以后扫描同一药品标识码将直接识别）。"
            )
        )
        self.filter = QLineEdit()
        self.filter.setObjectName("itemFilter")
        self.filter.setPlaceholderText("输入商品名称、通用名、编码或厂家筛选；↑↓ 选择，Enter 确定，Esc 取消")
        self.list = QListWidget()
        self.list.setObjectName("itemList")
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._fill)
        self.filter.returnPressed.connect(self._accept)
        self.filter.installEventFilter(self)
        self._fill("")
        self.resize(640, 420)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if watched is self.filter and move_selection(self.list, event):
            return True
        return super().eventFilter(watched, event)

    def _fill(self, text: str) -> None:
        from desktop.products import items

        self.list.clear()
        for row in items.find_items(self.db, text):
            entry = QListWidgetItem(f"{row['name']} {row['spec'] or ''}  {row['manufacturer'] or ''}  （{row['id']}）")
            entry.setData(Qt.ItemDataRole.UserRole, row["id"])
            self.list.addItem(entry)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _accept(self) -> None:
        current = self.list.currentItem()
        if current is None:
            return
        self.chosen = current.data(Qt.ItemDataRole.UserRole)
        self.accept()
