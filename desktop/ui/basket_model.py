"""BasketModel: the lines of the sale being estimated (drug, unit price, quantity, and the estimate per line).

A line is a catalogue entry picked from the search, a transition drug (no entry: named by its name), or
a scanned box (``desktop.products.scan.SaleLine``: the store item or product, its price, spec and maker)
with the 药品追溯码 scanned for it. The request it makes names the item or product, so the core resolves
the entry, the store's price and the spec, and checks and prints the codes (``desktop/products/request.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from desktop.catalogue import records as r
from desktop.products.codes import short_trace
from desktop.products.scan import SaleLine
from desktop.rules.contract import EstimateLine
from desktop.storage.overlays import Transition
from desktop.ui.format import class_text
from desktop.ui.table_model import Index, ListTableModel

#: Role returning native, comparable values for sorting via a proxy model.
SortRole = Qt.ItemDataRole.UserRole

(
    COL_NAME,
    COL_FORM,
    COL_CLASS,
    COL_PRICE,
    COL_QUANTITY,
    COL_TOTAL,
    COL_FUND,
    COL_PATIENT,
    COL_VERDICT,
    COL_TRACE,
) = range(10)
HEADERS = ("药品名称", "剂型", "甲/乙", "单价（元）", "数量", "金额（元）", "统筹支付", "个人负担", "结论", "追溯码")
EDITABLE = (COL_PRICE, COL_QUANTITY)
FEN = Decimal("0.01")
#: What the 追溯码 cell says for a line that needs codes and has none (the estimate's ``trace_missing``).
TRACE_MISSING_TEXT = "未扫码"


@dataclass(frozen=True)
class BasketLine:
    entry: r.Entry | None  # None: a transition drug (``transition``), which has no catalogue entry
    unit_price: Decimal | None = None  # None until staff type it (a scanned box starts at the store's price)
    quantity: int = 1
    confirmed: frozenset[str] = field(default_factory=frozenset)
    goods: SaleLine | None = None  # the scanned box: store item or product, spec, maker
    trace_codes: tuple[str, ...] = ()  # 药品追溯码 scanned for this line, one per pack
    transition: Transition | None = None

    @property
    def pick_id(self) -> str:
        """What ``rules.service.check`` takes for this drug (and the key of its ticked conditions)."""
        if self.entry is not None:
            return self.entry.id
        assert self.transition is not None
        return self.transition.name

    @property
    def name(self) -> str:
        if self.entry is not None:
            return self.entry.name_published.replace("\n", "、")
        return self.transition.name if self.transition else ""

    @property
    def key(self) -> tuple[str, str]:
        """Lines of the same key are one line: the same scanned item (or product), else the same drug."""
        if self.goods is not None:
            return self.goods.key
        return ("entry", self.entry.id) if self.entry is not None else ("name", self.name)

    @property
    def amount(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.quantity

    def to_request_item(self) -> dict[str, object]:
        """One item of the estimate request (JSON, as ``desktop.products.request.parse`` reads it)."""
        out: dict[str, object]
        if self.goods is not None:
            out = dict(self.goods.request_fields())  # the core resolves the entry, spec and store price
        elif self.entry is not None:
            out = {"entry": self.entry.id}
        else:
            out = {"name": self.name}  # a transition drug: the core takes the overlay's class
        out.update(
            unit_price=None if self.unit_price is None else f"{self.unit_price:.2f}",
            quantity=self.quantity,
            confirmed=sorted(self.confirmed),
        )
        if self.trace_codes:
            out["trace_codes"] = list(self.trace_codes)
        return out

    def with_code(self, code: str) -> BasketLine:
        """This line with one more pack's 追溯码: the quantity follows the codes for whole packs (it never
        drops: a line of 拆零 units keeps its quantity, one pack's code covering them)."""
        codes = (*self.trace_codes, code)
        return replace(self, trace_codes=codes, quantity=max(self.quantity, len(codes)))


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
        entry: r.Entry | Transition,
        unit_price: Decimal | None = None,
        quantity: int = 1,
        confirmed: frozenset[str] = frozenset(),
    ) -> int:
        """Append a line (or add to the quantity of the same drug) and return its row."""
        if isinstance(entry, Transition):
            line = BasketLine(None, unit_price, quantity, confirmed, transition=entry)
        else:
            line = BasketLine(entry, unit_price, quantity, confirmed)
        row = self.row_of(line.key)
        if row is not None:
            old = self._rows[row]
            self.replace_line(row, replace(old, quantity=old.quantity + quantity, confirmed=old.confirmed | confirmed))
            return row
        return self._append(line)

    def add_scanned(self, entry: r.Entry, sale: SaleLine, confirmed: frozenset[str] = frozenset()) -> int:
        """A scanned box: to the line of the same item (or product), else a new line at the store's price.

        A 追溯码 joins the line's codes (the quantity follows them, ``BasketLine.with_code``); a barcode, 本位码
        or 医保代码 adds one to the quantity. The caller checks the code first (``products.trace.check``).
        """
        row = self.row_of(sale.key)
        if row is not None:
            old = self._rows[row]
            new = old.with_code(sale.trace_code) if sale.trace_code else replace(old, quantity=old.quantity + 1)
            self.replace_line(row, replace(new, confirmed=new.confirmed | confirmed))
            return row
        codes = (sale.trace_code,) if sale.trace_code else ()
        return self._append(BasketLine(entry, sale.price, 1, confirmed, goods=sale, trace_codes=codes))

    def undo_code(self, row: int) -> str | None:
        """Take back the line's last 追溯码 (a box scanned by mistake); the quantity drops with it when it
        followed the codes. Returns the code, None when the line has none."""
        line = self.line(row)
        if line is None or not line.trace_codes:
            return None
        *kept, code = line.trace_codes
        quantity = line.quantity - 1 if line.quantity == len(line.trace_codes) and line.quantity > 1 else line.quantity
        self.replace_line(row, replace(line, trace_codes=tuple(kept), quantity=quantity))
        return code

    def row_of(self, key: tuple[str, str]) -> int | None:
        return next((row for row, line in enumerate(self._rows) if line.key == key), None)

    def _append(self, line: BasketLine) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(line)
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
                return _name_text(line)
            if col == COL_FORM:
                return (line.entry.dosage_form or "") if line.entry is not None else ""
            if col == COL_CLASS:
                if line.entry is None:
                    return f"{line.transition.drug_class}类" if line.transition else ""
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
            if col == COL_TRACE:
                return _trace_text(line, result)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(line) if col in (COL_NAME, COL_TRACE) else None
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_TRACE and result and result.trace_missing:
            return QColor("#b3261e")
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
                if new.quantity < len(line.trace_codes):
                    raise ValueError(
                        f"本行已扫描 {len(line.trace_codes)} 个追溯码，数量不能少于 {len(line.trace_codes)}："
                        "每个追溯码是一盒。扫错的盒请在清单中按 Backspace 撤销最后一个追溯码。"
                    )
        except ValueError as err:
            self.input_rejected.emit(str(err))
            return False
        if new != line:
            self.replace_line(row, new)
        return True


def _name_text(line: BasketLine) -> str:
    """The drug, and for a scanned box its spec and maker (the spec chose the payment standard)."""
    goods = line.goods
    if goods is None:
        return line.name if line.entry is not None else f"{line.name}（过渡期）"
    extra = " ".join(x for x in (goods.spec, goods.manufacturer) if x)
    return f"{line.name}  {extra}" if extra else line.name


def _trace_text(line: BasketLine, result: EstimateLine | None) -> str:
    """The codes scanned (the first shortened: its 药品标识码 and serial end), or that the line needs them."""
    codes = line.trace_codes
    if not codes:
        return TRACE_MISSING_TEXT if result is not None and result.trace_missing else ""
    if len(codes) == 1:
        return short_trace(codes[0])
    ends = [c[-6:] for c in codes]  # one box's serial end each (the tooltip has every code in full)
    shown = "、".join(ends) if len(ends) <= 3 else f"{ends[0]}、…、{ends[-1]}"
    prefixes = {c[:7] for c in codes}  # the 药品标识码, once when every box has the same
    return f"{len(codes)} 盒：{prefixes.pop() if len(prefixes) == 1 else ''}…{shown}"


def _tooltip(line: BasketLine) -> str | None:
    parts = []
    if line.goods is not None:
        g = line.goods
        parts.append(f"商品编码 {g.item_id}" if g.item_id else "本店商品尚未对码：按药品库的药品估算")
        parts.append(f"医保药品代码 {g.product_code}")
    if line.trace_codes:
        parts.append("追溯码：" + "、".join(line.trace_codes))
    return "\n".join(parts) or None
