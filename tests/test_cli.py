"""The command line speaks Chinese even when argparse itself refuses the arguments."""

from __future__ import annotations

import pytest

from desktop.cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["show"], "缺少必需的参数：id"),
        (["search", "amxl", "--limit", "x"], "参数 --limit 的值 'x' 无效（应为整数）"),
        (["search", "amxl", "--bogus"], "无法识别的参数：--bogus"),
        (["frobnicate"], "参数 COMMAND 的值 'frobnicate' 无效"),
    ],
)
def test_argument_errors_in_chinese(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_internal_error_is_logged_not_shown(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from desktop import paths
    from desktop.commands import catalogue

    monkeypatch.setattr(paths, "data_dir", lambda: tmp_path)

    def boom(args):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalogue, "cmd_editions", boom)
    assert main(["--db", str(tmp_path / "y.sqlite3"), "editions"]) == 1
    err = capsys.readouterr().err
    assert "内部错误" in err and "Traceback" not in err
    assert "RuntimeError: a bug" in (tmp_path / "yaomu-error.log").read_text(encoding="utf-8")
