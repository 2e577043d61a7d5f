"""EntryTableModel: catalogue entries (search results, the browser's list) as a Qt table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt

from desktop.catalogue import records as r
from desktop.ui.format import class_text, payment_standard_text, section_text
from desktop.ui.table_model import Index, ListTableModel

#: Role returning native, comparable values for sorting via a proxy model.
SortRole = Qt.ItemDataRole.UserRole
#: Role returning the ``Entry`` of the row.
EntryRole = Qt.ItemDataRole.UserRole + 1

COL_NUMBER, COL_NAME, COL_FORM, COL_CLASS, COL_SECTION, COL_STANDARD, COL_REMARK = range(7)
HEADERS = ("编号", "药品名称", "剂型", "甲/乙", "目录部分", "支付标准", "备注（限定支付范围）")


class EntryTableModel(ListTableModel):
    """A read-only table over a list of ``Entry`` records."""

    HEADERS = HEADERS
    _rows: Sequence[r.Entry]

    def set_rows(self, rows: Sequence[r.Entry]) -> None:
        """Show ``rows``; a lazy sequence (search results) is kept as it is, so only the rows the view
        paints become ``Entry`` records (about 25 of 100 per keystroke)."""
        same = getattr(rows, "pks", None)
        if same is not None and same == getattr(self._rows, "pks", None):
            return  # the same rows (typing on within one drug's name): no reset, no repaint of the list
        self.beginResetModel()
        self._rows = rows if isinstance(rows, Sequence) else list(rows)
        self.endResetModel()

    def entry(self, row: int) -> r.Entry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def entries(self) -> list[r.Entry]:
        return list(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        e = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(e, col)
        if role == SortRole:
            if col == COL_NUMBER:
                return e.seq
            return self.display(e, col)
        if role == EntryRole:
            return e
        if role == Qt.ItemDataRole.ToolTipRole and col in (COL_NAME, COL_REMARK):
            return e.remark or e.name_published
        return None

    @staticmethod
    def display(e: r.Entry, col: int) -> str:
        """The text a column shows for an entry."""
        if col == COL_NUMBER:
            return e.display_number
        if col == COL_NAME:
            return e.name_published.replace("\n", "、")
        if col == COL_FORM:
            return e.dosage_form or ""
        if col == COL_CLASS:
            return class_text(e)
        if col == COL_SECTION:
            return section_text(e)
        if col == COL_STANDARD:
            return payment_standard_text(e)
        if col == COL_REMARK:
            return (e.remark or "").replace("\n", " ")
        return ""
