"""BasketModel: the lines of the sale being estimated (drug, unit price, quantity, and the estimate per line)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QModelIndex, Qt, Signal

from desktop.catalogue import records as r
from desktop.rules.contract import EstimateLine
from desktop.ui.format import class_text
from desktop.ui.table_model import Index, ListTableModel

#: Role returning native, comparable values for sorting via a proxy model.
SortRole = Qt.ItemDataRole.UserRole

COL_NAME, COL_FORM, COL_CLASS, COL_PRICE, COL_QUANTITY, COL_TOTAL, COL_FUND, COL_PATIENT, COL_VERDICT = range(9)
HEADERS = ("药品名称", "剂型", "甲/乙", "单价（元）", "数量", "金额（元）", "统筹支付", "个人负担", "结论")
EDITABLE = (COL_PRICE, COL_QUANTITY)
FEN = Decimal("0.01")


@dataclass(frozen=True)
class BasketLine:
    entry: r.Entry
    unit_price: Decimal | None = None  # None until staff type it
    quantity: int = 1
    confirmed: frozenset[str] = field(default_factory=frozenset)

    @property
    def amount(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.quantity

    def to_request_item(self) -> dict[str, object]:
        """One item of the estimate request (JSON, as ``desktop.rules.request.parse_request`` reads it)."""
        return {
            "entry": self.entry.id,
            "unit_price": None if self.unit_price is None else f"{self.unit_price:.2f}",
            "quantity": self.quantity,
            "confirmed": sorted(self.confirmed),
        }


def parse_price(text: str) -> Decimal:
    """Staff's typed price as Decimal yuan; ValueError with a Chinese message when it is not one.

    >>> parse_price(" 12.5 ")
    Decimal('12.50')
    >>> parse_price("1.234")
    Traceback (most recent call last):
    ...
    ValueError: 单价“1.234”最多两位小数（精确到分），请重新输入。
    """
    text = text.strip().replace("¥", "").replace("元", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"单价“{text}”不是数字，请输入如 12.50 的金额。") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"单价“{text}”无效，请输入不小于 0 的金额。")
    if value != value.quantize(FEN):
        raise ValueError(f"单价“{text}”最多两位小数（精确到分），请重新输入。")
    return value.quantize(FEN)


def parse_quantity(text: str) -> int:
    """Staff's typed quantity; ValueError with a Chinese message unless a whole number ≥ 1.

    >>> parse_quantity("3")
    3
    >>> parse_quantity("0")
    Traceback (most recent call last):
    ...
    ValueError: 数量“0”无效，请输入 1 到 9999 之间的整数。
    """
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= 9999:
        raise ValueError(f"数量“{text}”无效，请输入 1 到 9999 之间的整数。")
    return int(text)


class BasketModel(ListTableModel):
    """Editable lines of the current sale; price and quantity are edited in place.

    Signals:
        lines_changed(): a line was added, removed or edited (the estimate must be redone).
        input_rejected(str): staff typed an invalid price or quantity; the Chinese message says why.
    """

    lines_changed = Signal()
    input_rejected = Signal(str)

    HEADERS = HEADERS

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._rows: list[BasketLine] = []
        self._results: list[EstimateLine | None] = []

    # --- the sale ---
    def lines(self) -> list[BasketLine]:
        return list(self._rows)

    def line(self, row: int) -> BasketLine | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def add(
        self,
        entry: r.Entry,
        unit_price: Decimal | None = None,
        quantity: int = 1,
        confirmed: frozenset[str] = frozenset(),
    ) -> int:
        """Append a line (or add to the quantity of the same entry) and return its row."""
        for row, line in enumerate(self._rows):
            if line.entry.id == entry.id:
                self.replace_line(
                    row, replace(line, quantity=line.quantity + quantity, confirmed=line.confirmed | confirmed)
                )
                return row
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(BasketLine(entry, unit_price, quantity, confirmed))
        self._results.append(None)
        self.endInsertRows()
        self.lines_changed.emit()
        return row

    def replace_line(self, row: int, line: BasketLine) -> None:
        self._rows[row] = line
        self._results[row] = None
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
        self.lines_changed.emit()

    def remove(self, row: int) -> None:
        if not 0 <= row < len(self._rows):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        del self._results[row]
        self.endRemoveRows()
        self.lines_changed.emit()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._results = []
        self.endResetModel()
        self.lines_changed.emit()

    def set_results(self, lines: list[EstimateLine] | None) -> None:
        """Show the estimate's per-line amounts (``None`` clears them)."""
        if lines is not None and len(lines) != len(self._rows):
            lines = None
        self._results = list[EstimateLine | None](lines) if lines is not None else [None] * len(self._rows)
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_TOTAL), self.index(len(self._rows) - 1, len(HEADERS) - 1))

    def request_items(self) -> list[dict[str, object]]:
        return [line.to_request_item() for line in self._rows]

    # --- Qt model ---
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in EDITABLE:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        line = self._rows[index.row()]
        result = self._results[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == COL_NAME:
                return line.entry.name_published.replace("\n", "、")
            if col == COL_FORM:
                return line.entry.dosage_form or ""
            if col == COL_CLASS:
                return class_text(line.entry)
            if col == COL_PRICE:
                if line.unit_price is None:
                    return "" if role == Qt.ItemDataRole.EditRole else "（请输入）"
                return f"{line.unit_price:.2f}"
            if col == COL_QUANTITY:
                return str(line.quantity)
            if col == COL_TOTAL:
                amount = line.amount
                return "" if amount is None else f"{amount.quantize(FEN):.2f}"
            if col == COL_FUND:
                return str(result.amounts.fund) if result else ""
            if col == COL_PATIENT:
                return str(result.amounts.patient_total) if result else ""
            if col == COL_VERDICT:
                return result.verdict_label if result else ""
        if role == SortRole:
            if col == COL_PRICE:
                return line.unit_price if line.unit_price is not None else Decimal(-1)
            if col == COL_QUANTITY:
                return line.quantity
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= COL_PRICE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() not in EDITABLE:
            return False
        row = index.row()
        if not 0 <= row < len(self._rows):
            return False
        line = self._rows[row]
        if not str(value).strip():  # nothing typed (the editor left empty, or closed with the window): no change
            return False
        try:
            if index.column() == COL_PRICE:
                new = replace(line, unit_price=parse_price(str(value)))
            else:
                new = replace(line, quantity=parse_quantity(str(value)))
        except ValueError as err:
            self.input_rejected.emit(str(err))
            return False
        if new != line:
            self.replace_line(row, new)
        return True
