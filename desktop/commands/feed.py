"""``yaomu feed publish`` (head office) and ``yaomu sync feed`` (a counter).

Exit codes as every sync command: 0 done, 2 refused (the Chinese message says why; with ``--json``
also ``{"status": "refused", "code", "message", "hint", "report"}`` on stdout), 1 internal error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.errors import UserFacingError

if TYPE_CHECKING:
    from desktop.sync import keys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grp = sub.add_parser("feed", help="发布目录源：把更新包和签名索引写入可由任何静态网站或共享文件夹提供的目录")
    fsub = grp.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    p = fsub.add_parser("publish", help="把更新包加入目录源并重新签名索引（feed.json + feed.sig）")
    p.add_argument("packages", type=Path, nargs="+", metavar="PKG", help="要发布的更新包 .zip")
    p.add_argument("--to", type=Path, required=True, help="目录源文件夹（不存在则创建）")
    p.add_argument("--key", type=Path, help="签名索引的私钥文件（默认 ~/.config/yaomu-publisher/publisher.json）")
    p.add_argument("--trust", type=Path, help="校验更新包用的公钥目录（默认 resources/trust/）")
    p.add_argument("--feed-id", help="目录源编号（首次发布时指定；默认按密钥编号生成）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_publish))


def register_sync(ssub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``yaomu sync feed`` (called from ``desktop.commands.sync``)."""
    p = ssub.add_parser("feed", help="从目录源（网址或文件夹）下载并依次应用新的更新包")
    p.add_argument("source", metavar="URL|DIR", help="目录源地址（http://、https://）或文件夹")
    p.add_argument("--check", action="store_true", help="只检查并列出新的更新包，不下载、不应用、不写数据库")
    p.add_argument("--trust", type=Path, help="信任的发布方公钥目录（默认 resources/trust/）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_sync_feed))


def _wrap(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UserFacingError as err:
            if getattr(args, "json", False):
                from desktop.commands import print_json

                report = getattr(err, "report", None)
                print_json(
                    {
                        "status": "refused",
                        "code": getattr(err, "code", type(err).__name__),
                        "message": err.message,
                        "hint": err.hint,
                        "report": report.to_json() if report is not None else None,
                    }
                )
            else:
                report = getattr(err, "report", None)
                if report is not None and report.applied:
                    print(report.text())
            raise

    return run


def _trust(path: Path | None) -> dict[str, keys.PublicKey]:
    from desktop.sync import keys

    return keys.trust_store(path) if path else keys.trust_store()


def _private(path: Path | None) -> keys.PrivateKey:
    from desktop.sync import keys

    path = path or keys.default_key_dir() / "publisher.json"
    if not path.exists():
        raise keys.KeyError_(
            f"找不到发布方私钥 {path}。", hint="请先运行 yaomu package keygen，或用 --key 指定私钥文件。"
        )
    return keys.load_private(path)


def cmd_publish(args: argparse.Namespace) -> int:
    from desktop.sync import feed

    report = feed.publish(args.packages, args.to, _private(args.key), trust=_trust(args.trust), feed_id=args.feed_id)
    if args.json:
        from desktop.commands import print_json

        print_json(report.to_json())
    else:
        print(report.text())
    return 0


def cmd_sync_feed(args: argparse.Namespace) -> int:
    from desktop.paths import default_db_path
    from desktop.sync import feed

    db = Path(args.db) if args.db else default_db_path()
    trust = _trust(args.trust)

    def progress(done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r写入 {done}/{total}", end="", file=sys.stderr, flush=True)

    if args.check:
        report = feed.check(db, args.source, trust=trust)
    else:
        report = feed.sync(db, args.source, trust=trust, on_progress=progress)
        if not args.json and sys.stderr.isatty():
            print(file=sys.stderr)
    if args.json:
        from desktop.commands import print_json

        print_json(report.to_json())
    else:
        print(report.text())
    return 0
