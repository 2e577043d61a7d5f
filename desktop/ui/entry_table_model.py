"""EntryTableModel: catalogue entries (search results, the browser's list) as a Qt table.

The counter's results may also hold transition drugs (``storage.overlays.Transition``): dropped from the
list, paid for a while on their old standard, with no entry; ``pick`` returns either kind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from PySide6.QtCore import Qt

from desktop.catalogue import records as r
from desktop.storage.overlays import Transition
from desktop.ui.format import class_text, payment_standard_text, section_text, transition_text
from desktop.ui.table_model import Index, ListTableModel

#: A row of the counter's results: a catalogue entry or a transition drug.
Pick = r.Entry | Transition

#: Role returning native, comparable values for sorting via a proxy model.
SortRole = Qt.ItemDataRole.UserRole
#: Role returning the ``Entry`` of the row.
EntryRole = Qt.ItemDataRole.UserRole + 1

COL_NUMBER, COL_NAME, COL_FORM, COL_CLASS, COL_SECTION, COL_STANDARD, COL_REMARK = range(7)
HEADERS = ("编号", "药品名称", "剂型", "甲/乙", "目录部分", "支付标准", "备注（限定支付范围）")


class WithTransitions(Sequence[Pick]):
    """Search results with transition drugs: ``first`` (named exactly) above the entries, the others below.

    The entries stay the lazy sequence the search returned (only painted rows become records).
    """

    def __init__(self, entries: Sequence[r.Entry], first: Sequence[Transition], last: Sequence[Transition]) -> None:
        self.entries, self.first, self.last = entries, tuple(first), tuple(last)
        # What ``set_rows`` compares: the same entries and the same transition rows in the same places.
        pks = getattr(entries, "pks", None)
        entry_key = tuple(pks) if pks is not None else tuple(e.id for e in entries)
        self.pks = (entry_key, tuple(t.name for t in self.first), tuple(t.name for t in self.last))

    def __len__(self) -> int:
        return len(self.first) + len(self.entries) + len(self.last)

    @overload
    def __getitem__(self, i: int) -> Pick: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Pick]: ...
    def __getitem__(self, i: int | slice) -> Pick | Sequence[Pick]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        if i < len(self.first):
            return self.first[i]
        i -= len(self.first)
        if i < len(self.entries):
            return self.entries[i]
        return self.last[i - len(self.entries)]

    def __iter__(self) -> Iterator[Pick]:
        yield from self.first
        yield from self.entries
        yield from self.last


class EntryTableModel(ListTableModel):
    """A read-only table over a list of ``Entry`` records (and, at the counter, transition drugs)."""

    HEADERS = HEADERS
    _rows: Sequence[Pick]

    def set_rows(self, rows: Sequence[Pick]) -> None:
        """Show ``rows``; a lazy sequence (search results) is kept as it is, so only the rows the view
        paints become ``Entry`` records (about 25 of 100 per keystroke)."""
        same = getattr(rows, "pks", None)
        if same is not None and same == getattr(self._rows, "pks", None):
            return  # the same rows (typing on within one drug's name): no reset, no repaint of the list
        self.beginResetModel()
        self._rows = rows if isinstance(rows, Sequence) else list(rows)
        self.endResetModel()

    def entry(self, row: int) -> r.Entry | None:
        """The catalogue entry of ``row``; None past the end or on a transition drug's row."""
        found = self.pick(row)
        return found if isinstance(found, r.Entry) else None

    def pick(self, row: int) -> Pick | None:
        """The entry or transition drug of ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def entries(self) -> list[r.Entry]:
        return [e for e in self._rows if isinstance(e, r.Entry)]

    def transitions(self) -> list[Transition]:
        return [t for t in self._rows if isinstance(t, Transition)]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        e = self._rows[index.row()]
        col = index.column()
        if isinstance(e, Transition):
            if role in (Qt.ItemDataRole.DisplayRole, SortRole):
                return self.display_transition(e, col)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{e.name}：{transition_text(e)}（{e.title}）"
            return None
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
    def display_transition(t: Transition, col: int) -> str:
        """A transition drug's row: no number or form of its own; its class and period."""
        return {
            COL_NUMBER: "过渡期",
            COL_NAME: t.name,
            COL_CLASS: f"{t.drug_class}类",
            COL_SECTION: f"{t.section}（已调出）" if t.section else "已调出目录",
            COL_STANDARD: "原支付标准",
            COL_REMARK: transition_text(t),
        }.get(col, "")

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
