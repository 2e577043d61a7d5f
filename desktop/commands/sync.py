"""``yaomu package keygen|build|sign`` and ``yaomu sync verify|apply|diff|history|rollback``.

Exit codes: 0 done (applied), 2 refused (the Chinese message says why; the database is
unchanged), 1 internal error. With ``--json`` a refusal is also printed to stdout as
``{"status": "refused", "code": ..., "message": ...}``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from desktop.errors import UserFacingError

#: What a package holds, as staff read it.
KIND_LABELS = {"edition": "目录版本", "revision": "修订", "overlay": "地方/专项目录"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pkg = sub.add_parser("package", help="制作目录更新包：生成密钥、打包、签名（发布方使用）")
    psub = pkg.add_subparsers(dest="package_command", metavar="ACTION", required=True)

    p = psub.add_parser("keygen", help="生成发布方 Ed25519 密钥对（私钥保存在仓库之外）")
    p.add_argument("--publisher", required=True, help="发布方名称")
    p.add_argument("--private", type=Path, help="私钥文件（默认 ~/.config/yaomu-publisher/publisher.json）")
    p.add_argument("--public", type=Path, required=True, help="公钥文件（放入 resources/trust/）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_keygen))

    p = psub.add_parser("build", help="由官方源文件、修订差异或叠加目录定义制作更新包")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--edition", help="完整版本：2024-first、2024-revised、2025")
    what.add_argument("--revision", help="修订包：新版本来源名称（需同时给出 --base）")
    what.add_argument("--overlay", type=Path, help="叠加目录定义（resources/overlays/*.json）")
    p.add_argument("--base", type=Path, help="修订包所基于的完整版本更新包")
    p.add_argument("--items", type=Path, help="省级名单 CSV（与 --overlay 一起使用，载入完整名单）")
    p.add_argument("--partial", action="store_true", help="省级名单不完整（与 --items 一起使用）")
    p.add_argument("--sources", type=Path, help="源文件目录（默认 resources/sources/）")
    p.add_argument("--sequence", type=int, help="序号（同一版本或叠加目录内递增）")
    p.add_argument("--package-id", help="更新包编号（默认按来源命名）")
    p.add_argument("--key", type=Path, help="发布方私钥文件（默认 ~/.config/yaomu-publisher/publisher.json）")
    p.add_argument("--unsigned", action="store_true", help="不签名（之后用 yaomu package sign 签名）")
    p.add_argument("--out", type=Path, required=True, help="输出的更新包文件 .zip")
    p.add_argument("--force", action="store_true", help="覆盖已存在的输出文件")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_build))

    p = psub.add_parser(
        "bundle", help="重建随附的目录包和 SHA-256 清单（resources/packages/，无需发布方私钥；即 make packages）"
    )
    p.add_argument("--sources", type=Path, help="源文件目录（默认 resources/sources/）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_bundle))

    p = psub.add_parser("sign", help="用发布方私钥为更新包签名")
    p.add_argument("package", type=Path)
    p.add_argument("--key", type=Path, help="发布方私钥文件（默认 ~/.config/yaomu-publisher/publisher.json）")
    p.add_argument("--out", type=Path, help="输出文件（默认覆盖原文件）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_sign))

    sync = sub.add_parser("sync", help="校验、预览、应用、撤销目录更新包，查看更新记录")
    ssub = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("verify", "校验更新包的签名、哈希与数据（不改动数据库）", cmd_verify),
        ("diff", "逐个药品显示更新包将带来的变化（不改动数据库）", cmd_diff),
        ("apply", "应用更新包（一次事务，失败或取消则不改动）", cmd_apply),
    ):
        p = ssub.add_parser(name, help=helptext)
        p.add_argument("package", type=Path)
        p.add_argument(
            "--trust", type=Path, help="改用此目录中的发布方公钥作为信任列表（默认 resources/trust/；列出所信任的密钥）"
        )
        p.add_argument("--json", action="store_true")
        if name == "apply":
            p.add_argument("--yes", action="store_true", help="不询问，直接应用")
        p.set_defaults(func=_wrap(func))
    from desktop.commands.feed import register_sync as register_feed

    register_feed(ssub)  # yaomu sync feed URL|DIR (issue 14)
    p = ssub.add_parser("history", help="已应用和已撤销的更新包")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_history))
    p = ssub.add_parser("rollback", help="撤销最近一次应用的更新包")
    p.add_argument("--yes", action="store_true", help="不询问，直接撤销")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_wrap(cmd_rollback))


def _wrap(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UserFacingError as err:
            if getattr(args, "json", False):
                from desktop.commands import print_json

                print_json(
                    {
                        "status": "refused",
                        "code": getattr(err, "code", type(err).__name__),
                        "message": err.message,
                        "hint": err.hint,
                    }
                )
            raise

    return run


def _trust(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The built-in trust store, or the one named by ``--trust`` -- said out loud, key by key."""
    from desktop import sanitize
    from desktop.sync import keys

    if not getattr(args, "trust", None):
        return keys.trust_store()
    if not Path(args.trust).is_dir():
        raise keys.KeyError_(
            f"--trust 指定的信任目录 {args.trust} 不存在。", hint="请给出存放发布方公钥 JSON 的文件夹。"
        )
    store = keys.trust_store(args.trust)
    listed = "、".join(f"{k.key_id}（{sanitize.text(k.publisher) or '未署名'}）" for k in store.values()) or "（无）"
    print(
        f"注意：按 --trust 改用 {args.trust} 中的公钥作为信任列表，而不是本机内置的信任列表。"
        f"由以下密钥签名的更新包将被接受：{listed}",
        file=sys.stderr,
    )
    return store


def _private(path: Path | None):  # type: ignore[no-untyped-def]
    from desktop.sync import keys

    path = path or keys.default_key_dir() / "publisher.json"
    if not path.exists():
        raise keys.KeyError_(
            f"找不到发布方私钥 {path}。", hint="请先运行 yaomu package keygen，或用 --key 指定私钥文件。"
        )
    return keys.load_private(path)


def _out(args: argparse.Namespace, data: object, text: str) -> None:
    from desktop import sanitize
    from desktop.commands import print_json

    if args.json:
        print_json(data)
    else:  # names and remarks come from packages: control characters are shown escaped, never raw
        print("\n".join(sanitize.text(line) for line in text.split("\n")))


def cmd_keygen(args: argparse.Namespace) -> int:
    from desktop.sync import keys

    private = args.private or keys.default_key_dir() / "publisher.json"
    for path, what in ((private, "私钥"), (args.public, "公钥")):
        if path.exists():
            raise keys.KeyError_(
                f"{what}文件 {path} 已存在，不会覆盖（覆盖私钥会让已发布的更新包无法再被信任）。",
                hint=f"如需新密钥，请另指定一个 --{'private' if what == '私钥' else 'public'} 路径；原文件未被改动。",
            )
    key = keys.generate(args.publisher)
    keys.write_keypair(key, private, args.public)
    _out(
        args,
        {"key_id": key.key_id, "private": str(private), "public": str(args.public)},
        f"已生成密钥 {key.key_id}\n私钥：{private}（请妥善保管，切勿提交到仓库）\n公钥：{args.public}",
    )
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from desktop import outfile
    from desktop.catalogue import bundled
    from desktop.sync import build
    from desktop.sync import package as pk

    outfile.check(args.out, db_path=args.db or _default_db(), force=args.force, what="更新包")
    key = None if args.unsigned else _private(args.key)
    if args.edition:
        spec = bundled.SOURCES.get(args.edition)
        if spec is None:
            raise build.BuildError(f"未知的目录来源 {args.edition!r}。", hint=f"可用：{'、'.join(bundled.SOURCES)}")
        data = build.read_source(args.edition, args.sources)
        out = build.edition_package(
            data, args.out, key, package_id=args.package_id or spec.package_id, sequence=args.sequence or spec.sequence
        )
    elif args.revision:
        if not args.base:
            raise build.BuildError("制作修订包需要用 --base 指定基础的完整版本更新包。")
        base = pk.verify_package(args.base, {key.key_id: key.public} if key else _trust(args))
        data = build.read_source(args.revision, args.sources)
        spec = bundled.SOURCES[args.revision]
        out = build.revision_package(
            base.rows,
            base.package_id,
            data,
            args.out,
            key,
            package_id=args.package_id or f"{spec.package_id}-from-{base.package_id}",
            sequence=args.sequence or max(spec.sequence, base.manifest.sequence + 1),
        )
    else:
        out = build.overlay_from_def(
            args.overlay,
            args.out,
            key,
            items_csv=args.items,
            complete=(False if args.partial else None) if args.items else None,
            sequence=args.sequence,
        )
    _out(
        args,
        {"package": str(out), "signed": key is not None, "sha256": pk.sha256_file(out)},
        f"已生成更新包 {out}" + ("" if key else "（未签名）"),
    )
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    from desktop.sync import bundled

    pins = bundled.rebuild(sources=args.sources)
    lines = [f"{name}  sha256={sha}" for name, sha in pins.items()]
    _out(args, {"packages": pins}, "已重建随附的目录包与清单 bundled.json：\n" + "\n".join(lines))
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    from desktop.sync import build

    out = build.sign_package(args.package, _private(args.key), args.out)
    _out(args, {"package": str(out)}, f"已签名 {out}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from desktop.sync import package as pk

    v = pk.verify_package(args.package, _trust(args))
    j = v.to_json()
    text = (
        f"更新包 {v.package_id} 校验通过：{KIND_LABELS.get(v.kind, v.kind)}，目标 {v.manifest.target}，"
        f"发布方 {v.publisher}（密钥 {v.key_id}），共 {sum(j['rows'].values())} 行数据"
    )
    if v.manifest.overlay and not v.manifest.overlay.complete:
        text += f"\n注意：此叠加目录不完整——{v.manifest.overlay.note}"
    _out(args, {"status": "verified", **j}, text)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from desktop.storage import catalogue as store
    from desktop.sync import apply

    db = store.open_db(args.db)
    try:
        d = apply.diff_package(db, args.package, _trust(args))
    finally:
        db.close()
    _out(args, d.to_json(), d.text())
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from desktop import sanitize
    from desktop.sync import apply

    def confirm(d) -> bool:  # type: ignore[no-untyped-def]
        print("\n".join(sanitize.text(line) for line in d.text().split("\n")))
        if not sys.stdin.isatty():
            raise UserFacingError(
                "未确认：非交互方式应用更新包需要加 --yes。", hint="请先用 yaomu sync diff 查看变化，再加 --yes 应用。"
            )
        return input("应用此更新包？[y/N] ").strip().lower() in ("y", "yes", "是")

    def progress(done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r写入 {done}/{total}", end="", file=sys.stderr, flush=True)

    report = apply.apply_package(
        args.db or _default_db(), args.package, on_progress=progress, yes=args.yes, confirm=confirm, trust=_trust(args)
    )
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    _out(args, report.to_json(), "\n".join([report.text(), *report.warnings]))
    return 0


def _default_db() -> Path:
    from desktop.paths import default_db_path

    return default_db_path()


def cmd_history(args: argparse.Namespace) -> int:
    from desktop.storage import catalogue as store
    from desktop.sync import apply

    db = store.open_db(args.db)
    try:
        rows = apply.history(db)
    finally:
        db.close()
    lines = [
        f"{h.id:>4} {h.at} {h.who} {'应用' if h.action == 'apply' else '撤销'} "
        f"{h.package_id}（{KIND_LABELS.get(h.kind, h.kind)}，{h.target}）"
        + ("【已撤销】" if h.rolled_back_by else "")
        + f" sha256={h.sha256[:12]}…"
        + (f" 来自目录源 {h.feed_url}" if getattr(h, "feed_url", None) else "")
        for h in rows
    ] or ["还没有应用过任何更新包。"]
    _out(args, [h.to_json() for h in rows], "\n".join(lines))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from desktop.sync import apply

    if not args.yes:
        if not sys.stdin.isatty():
            raise UserFacingError("未确认：非交互方式撤销需要加 --yes。", hint="请先用 yaomu sync history 查看记录。")
        if input("撤销最近一次应用的更新包？[y/N] ").strip().lower() not in ("y", "yes", "是"):
            raise apply.Cancelled()
    undone = apply.rollback(args.db or _default_db())
    _out(
        args,
        {"status": "rolled_back", **undone.to_json()},
        f"已撤销更新包 {undone.package_id}（{undone.target}），恢复到应用之前的内容。",
    )
    return 0
