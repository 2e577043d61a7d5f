"""Item models pass qtmodeltester with real catalogue rows; basket editing validates what staff type."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from desktop.catalogue import search
from desktop.rules.contract import AMOUNT_FIELDS, EstimateLine
from desktop.storage import catalogue as store
from desktop.ui.basket_model import COL_PATIENT, COL_PRICE, COL_QUANTITY, COL_TOTAL, COL_VERDICT, BasketModel
from desktop.ui.browser_widget import EntryFilterProxy, Filters
from desktop.ui.entry_table_model import COL_STANDARD, EntryRole, EntryTableModel
from tests.ui.conftest import DAY_2024


def some_entries(db, n=40):  # type: ignore[no-untyped-def]
    edition = store.edition_on(db, DAY_2024).edition
    out = []
    for e in store.entries(db, edition.id):
        out.append(e)
        if len(out) >= n:
            break
    return out + list(search.search(db, "司美格鲁肽", day=DAY_2024).entries)


def test_entry_table_model(qtmodeltester, db):
    model = EntryTableModel()
    rows = some_entries(db)
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert model.rowCount() == len(rows)
    assert model.index(0, 0).data(EntryRole) == rows[0]
    confidential = [i for i, e in enumerate(rows) if e.confidential]
    assert confidential and all(model.index(i, COL_STANDARD).data() == "保密" for i in confidential)
    model.set_rows([])
    qtmodeltester.check(model)


def test_basket_model(qtmodeltester, db):
    model = BasketModel()
    rejected: list[str] = []
    model.input_rejected.connect(rejected.append)
    rows = some_entries(db, 3)
    for e in rows:
        model.add(e)
    model.add(rows[0])  # the same drug again adds to its quantity
    assert model.rowCount() == len(rows)
    assert model.lines()[0].quantity == 2
    assert model.setData(model.index(0, COL_PRICE), "12.5")
    assert model.lines()[0].unit_price == Decimal("12.50")
    assert model.index(0, COL_TOTAL).data() == "25.00"
    for bad in ("abc", "-1", "1.234"):
        assert not model.setData(model.index(0, COL_PRICE), bad)
    assert not model.setData(model.index(0, COL_QUANTITY), "0")
    assert len(rejected) == 4 and model.lines()[0].unit_price == Decimal("12.50")
    figures = ("3.00", "0.00", "0.00", "0.00", "3.00", "0.00", "1.00", "2.00", "2.00")
    amounts = dict(zip(AMOUNT_FIELDS, figures, strict=True))
    line = EstimateLine.from_json({"name": "某药", "quantity": 1, "unit_price": "3", "verdict": "covered", **amounts})
    model.set_results([line] * len(rows))
    assert model.index(0, COL_PATIENT).data() == "2.00"
    assert model.index(0, COL_VERDICT).data() == "可以报销"
    assert model.flags(model.index(0, COL_PRICE)) & Qt.ItemFlag.ItemIsEditable
    qtmodeltester.check(model)
    model.remove(1)
    assert model.rowCount() == len(rows) - 1
    model.clear()
    qtmodeltester.check(model)
    assert model.rowCount() == 0


def test_filter_proxy(qtmodeltester, db):
    source = EntryTableModel()
    rows = some_entries(db, 200)
    source.set_rows(rows)
    proxy = EntryFilterProxy()
    proxy.setSourceModel(source)
    proxy.set_filters(Filters(drug_class="甲"))
    qtmodeltester.check(proxy)
    shown = [proxy.index(i, 0).data(EntryRole) for i in range(proxy.rowCount())]
    assert shown and all(e.drug_class == "甲" for e in shown)
    assert len(shown) == sum(1 for e in rows if e.drug_class == "甲")


def test_the_same_search_rows_do_not_reset_the_results_model(qapp, real_db) -> None:  # type: ignore[no-untyped-def]
    """Typing on within one drug's name often gives the same rows: the list is then left as it is."""
    from datetime import date

    from desktop.catalogue import search
    from desktop.ui.entry_table_model import EntryTableModel

    model = EntryTableModel()
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    day = date(2026, 6, 1)
    model.set_rows(search.search(real_db, "司美格鲁", day=day, limit=100).entries)
    model.set_rows(search.search(real_db, "司美格鲁肽", day=day, limit=100).entries)
    first = [model.entry(i).id for i in range(model.rowCount())]
    assert len(resets) == 1 and first
    model.set_rows(search.search(real_db, "阿莫西林", day=day, limit=100).entries)
    assert len(resets) == 2 and model.entry(0).name == "阿莫西林"
