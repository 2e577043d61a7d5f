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
    assert "被拒绝" in dialog.verify_label.text()
    assert dialogs and "数据库保持不变" in dialogs[-1][1]
    assert store.content_hash(db) == before


def test_an_unknown_publisher_is_refused(qtbot, db, db_path, package, dialogs):
    stranger = keys.generate("陌生发布方")
    dialog = open_dialog(qtbot, db, db_path, stranger)
    dialog.open_package(package)
    assert not wait_job(qtbot, dialog)
    assert dialogs and "被拒绝" in dialog.verify_label.text()
    assert not dialog.apply_button.isEnabled()


def test_cancel_leaves_the_database_unchanged(qtbot, db, db_path, package, key, dialogs):
    before = store.content_hash(db)
    dialog = open_dialog(qtbot, db, db_path, key)
    dialog.open_package(package)
    assert wait_job(qtbot, dialog), dialog.verify_label.text()
    dialog.apply()
    dialog.cancel()  # before the worker's first check: the apply must roll back
    qtbot.waitUntil(lambda: dialog.job.done, timeout=20000)
    assert dialogs and "已取消" in dialogs[-1][1]
    assert store.content_hash(db) == before


def test_a_package_is_verified_once_and_the_verified_package_applied(
    qtbot, db, db_path, package, key, dialogs, monkeypatch
):
    from desktop.sync import package as pkg_mod

    calls: list[Path] = []
    real = pkg_mod.verify_package
    monkeypatch.setattr(
        pkg_mod, "verify_package", lambda path, *a, **k: calls.append(Path(path)) or real(path, *a, **k)
    )
    dialog = open_dialog(qtbot, db, db_path, key)
    dialog.open_package(package)
    assert wait_job(qtbot, dialog), dialog.verify_label.text()
    package.unlink()  # what gets applied is the content that was verified, not the file read again
    with qtbot.waitSignal(dialog.applied, timeout=20000):
        dialog.apply()
    assert calls == [package]
    assert "已应用更新包" in dialog.verify_label.text()


def _window_with_browser(qtbot, window):  # type: ignore[no-untyped-def]
    window.open_browser()
    qtbot.waitUntil(lambda: window.browser.edition is not None, timeout=20000)
    reloads: list[int] = []
    real = window.browser.reload
    window.browser.reload = lambda: reloads.append(1) or real()  # type: ignore[method-assign]
    return reloads


def test_closing_f9_without_applying_reloads_nothing(qtbot, window, monkeypatch):
    reloads = _window_with_browser(qtbot, window)
    monkeypatch.setattr(UpdatesDialog, "exec", lambda self: 0)
    window.open_updates()
    assert reloads == []


def test_an_apply_in_f9_reloads_the_browser_once(qtbot, window, monkeypatch):
    reloads = _window_with_browser(qtbot, window)
    monkeypatch.setattr(UpdatesDialog, "exec", lambda self: self.applied.emit(object()) or 0)
    window.open_updates()
    assert reloads == [1]
    qtbot.waitUntil(lambda: window.browser.busy.isHidden(), timeout=20000)
