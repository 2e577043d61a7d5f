"""The confidential-standard entry form: masked field, status only after entry, import report."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from desktop.rules import confidential
from desktop.storage import catalogue as store


@pytest.fixture
def db(real_db_copy):
    database = store.open_db(real_db_copy)
    yield database
    database.close()


def test_enter_by_keyboard_masked_and_shown_only_as_status(qtbot, db):
    from desktop.ui.confidential_dialog import ConfidentialDialog

    entry_id = db.execute(
        "select e.id from entry e join edition d on d.id = e.edition_id where e.name = '安奈拉唑钠肠溶片' "
        "and d.name = '2024'"
    ).fetchone()[0]
    dialog = ConfidentialDialog(db, day=date(2025, 3, 1), entry_id=entry_id)
    qtbot.addWidget(dialog)
    assert dialog.amount.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.current_entry().id == entry_id
    qtbot.keyClicks(dialog.amount, "3.17")  # digits only: no input method involved
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    assert dialog.amount.text() == ""  # cleared after entry
    row = dialog.table.selectionModel().selectedRows()[0].row()
    assert dialog.table.item(row, 3).text() == "已录入（（唯一规格）；有效至 2025-12-31）"
    texts = [dialog.table.item(i, j).text() for i in range(dialog.table.rowCount()) for j in range(4)]
    assert not any("3.17" in t for t in texts) and "3.17" not in dialog.message.text()
    entry = store.get_entry(db, entry_id)
    assert confidential.standard_for(db, entry, None)[0] is not None


def test_bad_amount_is_refused_in_chinese(qtbot, db):
    from desktop.ui.confidential_dialog import ConfidentialDialog

    dialog = ConfidentialDialog(db, day=date(2025, 3, 1))
    qtbot.addWidget(dialog)
    dialog.table.selectRow(0)
    dialog.amount.setText("-1")
    dialog.save_current()
    assert "不合理" in dialog.message.text() and dialog.amount.text() == ""


def test_import_reports_unmatched_rows(qtbot, db, tmp_path):
    from desktop.ui.confidential_dialog import ConfidentialDialog

    path = tmp_path / "p.csv"
    path.write_text("药品名称,剂型,规格,支付标准,协议有效期\n不存在的药,,,1.00,2024年1月1日至2025年12月31日\n", "utf-8")
    dialog = ConfidentialDialog(db, day=date(2025, 3, 1))
    qtbot.addWidget(dialog)
    dialog.import_file(path)
    assert "已录入 0 条" in dialog.message.text() and "第 2 行 不存在的药" in dialog.message.text()
