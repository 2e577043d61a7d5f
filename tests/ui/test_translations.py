"""Qt's own dialogs speak Chinese: the file chooser, Yes/No and OK, with the Chinese locale."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QLocale, Qt, QTranslator
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLabel, QMessageBox, QWidget

from desktop import app

ENGLISH = re.compile(r"Look in|File name|Files of type|Save|Open|Cancel|Yes|No\b|OK|Size|Name|Type|Date")


@pytest.fixture()
def chinese(qapp):  # type: ignore[no-untyped-def]
    before = QLocale()
    assert app.install_translations(qapp)
    yield
    for translator in qapp.findChildren(QTranslator):
        qapp.removeTranslator(translator)
        translator.deleteLater()
    QLocale.setDefault(before)


def _texts(widget: QWidget) -> list[str]:
    texts = [w.text() for w in widget.findChildren(QLabel) + widget.findChildren(QAbstractButton) if w.text()]
    texts += [w.toolTip() for w in widget.findChildren(QWidget) if w.toolTip()]
    return texts


@pytest.mark.parametrize("mode", [QFileDialog.AcceptMode.AcceptSave, QFileDialog.AcceptMode.AcceptOpen])
def test_file_chooser_is_chinese(qtbot, chinese, tmp_path, mode):
    dialog = QFileDialog(None, "保存费用预估单", str(tmp_path), "PDF 文件 (*.pdf)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # Qt's own dialog, as on Linux
    dialog.setAcceptMode(mode)
    qtbot.addWidget(dialog)
    dialog.show()
    texts = _texts(dialog)
    model = dialog.findChild(QWidget, "treeView").model()
    texts += [str(model.headerData(i, Qt.Orientation.Horizontal)) for i in range(model.columnCount())]
    english = [t for t in texts if ENGLISH.search(t.replace("&", ""))]
    assert not english, english
    assert "查找范围(&L)：" in texts and "文件类型(&T)：" in texts and "文件名称(&N)：" in texts
    assert ("保存(&S)" if mode == QFileDialog.AcceptMode.AcceptSave else "打开(&O)") in texts


def test_yes_no_and_ok_are_chinese(qtbot, chinese):
    box = QMessageBox(
        QMessageBox.Icon.Question, "撤销更新", "撤销？", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    )
    qtbot.addWidget(box)
    assert [b.text() for b in box.buttons()] == ["是(&Y)", "否(&N)"]
    ok = QMessageBox(QMessageBox.Icon.Warning, "提示", "…", QMessageBox.StandardButton.Ok)
    qtbot.addWidget(ok)
    assert [b.text() for b in ok.buttons()] == ["确定"]
    assert QLocale().language() == QLocale.Language.Chinese
