"""The composition root: fonts, the smoke test on a fresh copy, the crash dialog."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop import app
from desktop.errors import UserFacingError

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_font_is_registered_and_used(qapp):
    family = app.register_fonts(qapp)
    assert family == "WenQuanYi Micro Hei"
    assert qapp.font().family() == family


def test_smoke_test_exits_zero_on_a_catalogue_database(db_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", str(db_path), "--smoke-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "smoke test ok" in done.stdout and "WenQuanYi" in done.stdout


def test_smoke_test_refuses_a_file_that_is_not_a_database(tmp_path):
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", str(bad), "--smoke-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "错误：" in done.stderr and "Traceback" not in done.stderr


def test_crash_dialog_for_bugs_and_plain_dialog_for_user_errors(qapp, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda _p, title, text: shown.append((title, text))))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _p, title, text: shown.append((title, text))))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app.install_excepthook()
    try:
        raise RuntimeError("boom")
    except RuntimeError as err:
        sys.excepthook(type(err), err, err.__traceback__)
    try:
        raise UserFacingError("数据库已被其他程序锁定。", hint="请关闭其他药目窗口后重试。")
    except UserFacingError as err:
        sys.excepthook(type(err), err, err.__traceback__)
    assert shown[0][0] == "内部错误" and "日志" in shown[0][1] and "boom" not in shown[0][1]
    assert shown[1] == ("提示", "数据库已被其他程序锁定。\n请关闭其他药目窗口后重试。")


def test_headless_start_says_there_is_no_display(tmp_path):
    """`make run` over ssh without X: a plain sentence, not Qt's libxcb hint, and exit 2."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", str(tmp_path / "y.sqlite3")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "没有可用的图形显示" in done.stderr and "No display" in done.stderr
    assert "xcb" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "y.sqlite3").exists()  # nothing created before saying so


def test_display_problem_only_where_a_display_server_is_needed():
    assert app.display_problem({}, "linux") == app.NO_DISPLAY
    assert app.display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux") == app.NO_DISPLAY
    assert app.display_problem({"DISPLAY": ":0"}, "linux") is None
    assert app.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert app.display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert app.display_problem({}, "win32") is None
    assert app.display_problem({}, "darwin") is None
