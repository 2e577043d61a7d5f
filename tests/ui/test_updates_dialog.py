"""Updates (F9): open a signed package, see its verification and diff, apply with progress; refuse a bad one."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.storage import catalogue as store
from desktop.sync import build, keys
from desktop.ui.updates_dialog import UpdatesDialog


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate("测试发布方")


@pytest.fixture(scope="module")
def edition_2024():  # type: ignore[no-untyped-def]
    """The 2024 revised edition as the session catalogue holds it."""
    from desktop.catalogue import bundled

    return bundled.read_2024_revised()


@pytest.fixture()
def package(tmp_path: Path, edition_2024, key: keys.PrivateKey) -> Path:  # type: ignore[no-untyped-def]
    """The 2024 revised rows again, without 氢醌 (a real row): applying it removes exactly one drug.

    Its 西药 count no longer matches the 凡例, so the section says it is incomplete (any variant of an
    official edition is checked against the 凡例, issue 12; a complete section one row short is refused).
    """
    data = edition_2024
    rows = [row for row in data.rows if row.name_published != "氢醌"]
    assert len(rows) == len(data.rows) - 1
    west = next(s for s in data.sections.values() if s.section == "西药")
    data = replace(
        data,
        info=replace(data.info, variant="test-update"),
        rows=[replace(row, seq=i) for i, row in enumerate(rows, start=1)],
        sections={**data.sections, "西药": replace(west, complete=False, note="测试：少一行")},
    )
    return build.edition_package(data, tmp_path / "update.yaomu", key, package_id="test-2024-update", sequence=1000)


def wait_job(qtbot, dialog):  # type: ignore[no-untyped-def]
    """Wait for the dialog's background job; return True when it succeeded."""
    qtbot.waitUntil(lambda: dialog.job.done, timeout=20000)
    return dialog.verified is not None


def open_dialog(qtbot, db, db_path, key):  # type: ignore[no-untyped-def]
    dialog = UpdatesDialog(db, db_path, trust={key.key_id: key.public})
    qtbot.addWidget(dialog)
    return dialog


def test_apply_a_package_with_progress(qtbot, db, db_path, package, key, dialogs):
    dialog = open_dialog(qtbot, db, db_path, key)
    dialog.open_package(package)
    assert wait_job(qtbot, dialog), dialog.verify_label.text()
    assert dialog.apply_button.isEnabled()
    assert "签名有效" in dialog.verify_label.text() and "测试发布方" in dialog.verify_label.text()
    assert "氢醌" in dialog.diff_text.toPlainText()
    progress: list[tuple[int, int]] = []
    dialog.apply()
    dialog.job.progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(dialog.applied, timeout=20000) as applied:
        pass
    assert not dialogs, dialogs
    assert progress and progress[-1][0] == progress[-1][1] > 0
    assert dialog.progress.value() == dialog.progress.maximum()
    assert "已应用更新包" in dialog.verify_label.text()
    assert applied.args[0].package_id == "test-2024-update"
    assert dialog.history_table.rowCount() >= 1
    assert dialog.history_table.item(0, 2).text() == "test-2024-update"
    names = {e.name for e in store.entries(db, store.edition_on(db, store.editions(db)[0].effective_start).edition.id)}
    assert "氢醌" not in names


def test_a_tampered_package_is_refused_with_its_message(qtbot, db, db_path, package, key, dialogs, tmp_path):
    before = store.content_hash(db)
    bad = tmp_path / "tampered.yaomu"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".jsonl"):
                data = data.replace("氢醌".encode(), "氢化".encode(), 1) or data + b"\n"
            dst.writestr(item, data)
    dialog = open_dialog(qtbot, db, db_path, key)
    dialog.open_package(bad)
    assert not wait_job(qtbot, dialog)
    assert not dialog.apply_button.isEnabled()
    assert "被拒绝" in dialog.verify_label.text() and "数据库保持不变" in dialog.verify_label.text()
    assert not dialogs  # said once, in the dialog itself
    assert store.content_hash(db) == before


def test_an_unknown_publisher_is_refused(qtbot, db, db_path, package, dialogs):
    stranger = keys.generate("陌生发布方")
    dialog = open_dialog(qtbot, db, db_path, stranger)
    dialog.open_package(package)
    assert not wait_job(qtbot, dialog)
    assert not dialogs and "被拒绝" in dialog.verify_label.text()
    assert not dialog.apply_button.isEnabled()


def test_cancel_leaves_the_database_unchanged(qtbot, db, db_path, package, key, dialogs):
    before = store.content_hash(db)
    dialog = open_dialog(qtbot, db, db_path, key)
    dialog.open_package(package)
    assert wait_job(qtbot, dialog), dialog.verify_label.text()
    dialog.apply()
    dialog.cancel()  # before the worker's first check: the apply must roll back
    qtbot.waitUntil(lambda: dialog.job.done, timeout=20000)
    assert not dialogs and "已取消" in dialog.verify_label.text()
    assert store.content_hash(db) == before


def test_enter_in_the_path_box_verifies_once_and_opens_no_chooser(
    qtbot, db, db_path, key, dialogs, monkeypatch, tmp_path
):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    chooser = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: chooser.append(a) or ("", "")))
    dialog = open_dialog(qtbot, db, db_path, key)
    dialog.show()
    refusals = []
    original = dialog._set_verify
    monkeypatch.setattr(
        dialog, "_set_verify", lambda text, ok: (refusals.append(text) if ok is False else None, original(text, ok))
    )
    missing = tmp_path / "missing.yaomu"
    qtbot.keyClicks(dialog.path_edit, str(missing))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert not wait_job(qtbot, dialog)
    assert not chooser  # Enter did one thing
    assert len(refusals) == 1 and not dialogs  # the refusal is shown once
    text = dialog.verify_label.text()
    assert "文件不存在" in text and "No such file" not in text
    assert dialog.path_edit.selectedText() == str(missing)  # ready for a corrected path


def test_messages_say_what_to_do_in_the_window(qtbot, db, db_path, package, key, dialogs):
    from desktop.errors import UserFacingError
    from desktop.sync import apply as api

    trust = {key.key_id: key.public}
    api.apply_package(db_path, package, trust=trust)
    with pytest.raises(UserFacingError) as refused:  # the same package again
        api.apply_package(db_path, package, trust=trust)
    assert "yaomu sync history" in str(refused.value)  # the command line names its command
    dialog = open_dialog(qtbot, db, db_path, key)
    dialog._apply_failed(refused.value)  # what the dialog does with the worker's refusal
    text = dialog.verify_label.text()
    assert "已经应用过" in text and "更新记录" in text
    assert "yaomu" not in text and not dialogs
