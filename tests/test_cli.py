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


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["search", "amxl"], "search"),
        (["--db", "x.sqlite3", "search", "amxl"], "search"),
        (["--db=x.sqlite3", "show", "id"], "show"),
        (["--version"], None),
        (["--db", "search"], None),  # "search" is the database file here
        ([], None),
    ],
)
def test_command_word_is_found_before_parsing(argv: list[str], word: str | None) -> None:
    from desktop.cli import command_word

    assert command_word(argv) == word


def test_every_owned_command_is_registered_by_its_module() -> None:
    import argparse

    from desktop.cli import COMMAND_MODULES, COMMAND_OWNERS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(COMMAND_OWNERS) <= set(sub.choices)
    assert set(COMMAND_OWNERS.values()) <= set(COMMAND_MODULES)
    for word, module in COMMAND_OWNERS.items():
        only = build_parser([word])
        sub = next(a for a in only._actions if isinstance(a, argparse._SubParsersAction))
        assert word in sub.choices, (word, module)


def _modules_after(argv: list[str]) -> set[str]:
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json, sys, contextlib, io\n"
        "from desktop.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({argv!r})\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    exit_code, modules = json.loads(done.stdout.splitlines()[-1])
    assert exit_code == 0
    return set(modules)


def test_version_imports_no_command_module() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "desktop", "--version"], capture_output=True, text=True)
    assert done.stdout.strip().startswith("yaomu ")
    modules = _modules_after_version()
    assert not {m for m in modules if m.startswith("desktop.commands.")}


def _modules_after_version() -> set[str]:
    import subprocess
    import sys

    code = (
        "import sys\nfrom desktop.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return set(done.stdout.split())


def test_search_imports_only_its_own_group_and_no_sqlite_utils(real_db_path) -> None:  # type: ignore[no-untyped-def]
    """`yaomu search` on an installed catalogue: parse first, import the catalogue group, read with sqlite3."""
    modules = _modules_after(["--db", str(real_db_path), "search", "amxl"])
    assert "desktop.commands.catalogue" in modules
    assert not {m for m in modules if m.startswith("desktop.commands.")} - {"desktop.commands.catalogue"}
    assert "sqlite_utils" not in modules and "desktop.rules.policy" not in modules


def test_search_on_a_missing_database_still_installs_the_catalogue(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "new.sqlite3"
    assert main(["--db", str(path), "search", "布洛芬", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "布洛芬" in out
