"""The ``yaomu`` command: argparse over the same core functions the GUI calls.

With no subcommand it starts the window. Each group of subcommands lives in a module of
``desktop.commands`` that exposes ``register(subparsers)``; a subcommand sets ``func``,
which receives the parsed arguments and returns the exit code.

Exit codes: 0 done, 2 refused (bad input; the message on stderr says why, in Chinese),
1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from desktop import __version__
from desktop.errors import UserFacingError

#: Modules that add subcommands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "desktop.commands.catalogue",
    "desktop.commands.rules",
    "desktop.commands.receipts",
    "desktop.commands.sync",
    "desktop.commands.settings",
    "desktop.commands.overlays",
    "desktop.commands.confidential",
    "desktop.commands.products",
    "desktop.commands.feed",
)

#: Which module registers a top-level command, so ``yaomu search`` imports only its own group
#: (start-up stays <= 0.1 s; bench/cli_start.py). A command missing here still works: an
#: unknown word, ``-h`` or no command imports every module of COMMAND_MODULES.
COMMAND_OWNERS = {
    "init": "desktop.commands.catalogue",
    "search": "desktop.commands.catalogue",
    "show": "desktop.commands.catalogue",
    "editions": "desktop.commands.catalogue",
    "check": "desktop.commands.rules",
    "estimate": "desktop.commands.rules",
    "receipt": "desktop.commands.receipts",
    "receipts": "desktop.commands.receipts",
    "package": "desktop.commands.sync",
    "sync": "desktop.commands.sync",
    "overlays": "desktop.commands.overlays",
    "confidential": "desktop.commands.confidential",
    "products": "desktop.commands.products",
    "items": "desktop.commands.products",
    "scan": "desktop.commands.products",
    "trace": "desktop.commands.products",
    "feed": "desktop.commands.feed",
}

#: Global options that take a value (to find the command word before parsing).
_VALUE_OPTIONS = ("--db",)


#: argparse's own messages, said in Chinese (pattern -> template).
_ARGPARSE_ZH = (
    (re.compile(r"the following arguments are required: (.+)"), "缺少必需的参数：{0}"),
    (re.compile(r"unrecognized arguments: (.+)"), "无法识别的参数：{0}"),
    (re.compile(r"argument (\S+): invalid choice: (\S+) \(choose from (.+)\)"), "参数 {0} 的值 {1} 无效，可选：{2}"),
    (re.compile(r"argument (\S+): invalid int value: (\S+)"), "参数 {0} 的值 {1} 无效（应为整数）"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 后面需要一个值"),
)


def _chinese(message: str) -> str:
    for pattern, template in _ARGPARSE_ZH:
        m = pattern.fullmatch(message)
        if m:
            return template.format(*m.groups())
    return message


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print English usage and exit 2
        self.print_usage(sys.stderr)
        print(f"命令参数有误：{_chinese(message)}（yaomu -h 查看用法）", file=sys.stderr)
        raise SystemExit(2)


def command_word(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is not a global option), if any."""
    args = iter(argv)
    for arg in args:
        if arg == "--":
            return next(args, None)
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv``, only the command group it names is imported and registered."""
    parser = _Parser(prog="yaomu", description="药目：医保药品目录查询、待遇预估与收据打印")
    parser.add_argument("--version", action="version", version=f"yaomu {__version__}")
    parser.add_argument("--db", metavar="PATH", help="数据库文件（默认：用户数据目录，或环境变量 YAOMU_DB）")
    parser.add_argument("--smoke-test", action="store_true", help="打开数据库、建立主窗口后立即退出（用于检查安装包）")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    modules: tuple[str, ...] = COMMAND_MODULES
    if argv is not None:
        word = command_word(argv)
        wanted = {"-h", "--help"} & set(argv)
        if word is None and not wanted:
            return parser  # the window, --version, --smoke-test: no command module at all
        owner = COMMAND_OWNERS.get(word or "")
        if owner in COMMAND_MODULES:
            modules = (owner,)
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from desktop.app import run_gui

            return run_gui(db_path=args.db, smoke_test=args.smoke_test)
        return int(args.func(args) or 0)
    except UserFacingError as err:
        print(f"错误：{err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `yaomu receipts list | head`: the reader left, nothing went wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception:  # a bug: log the traceback, never show it to staff
        log = _log_crash()
        print(f"内部错误，操作未完成。详细信息已记录在 {log}，请联系技术支持。", file=sys.stderr)
        return 1


def _log_crash() -> str:
    import logging
    import traceback

    from desktop import paths

    try:
        path = paths.data_dir() / "yaomu-error.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc() + "\n")
        return str(path)
    except OSError:
        logging.getLogger(__name__).exception("internal error")
        return "（无法写入日志）"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
