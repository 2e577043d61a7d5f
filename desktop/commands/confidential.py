"""``yaomu confidential list | set | import``: the province's confidential payment standards ("*").

The amount is typed (hidden) or imported, never printed: ``list`` shows only "已录入（有效至 …）".
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("confidential", help="录入、导入保密支付标准（“*”药品），录入后不再显示数值")
    csub = p.add_subparsers(dest="confidential_command", metavar="子命令", required=True)
    c = csub.add_parser("list", help="列出当日生效目录中的“*”药品及是否已录入（不显示数值）")
    c.add_argument("--date", default=None, help="按此日期生效的目录（默认今天），YYYY-MM-DD")
    c.add_argument("--missing", action="store_true", help="只列出尚未录入的")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=run_list)
    c = csub.add_parser("set", help="录入一个“*”药品的保密支付标准（从键盘隐藏输入或标准输入读取）")
    c.add_argument("entry", metavar="ID", help="目录条目 id（yaomu search 的结果）")
    c.add_argument("--spec", default="", help="规格（该药只有一个规格时可省略）")
    c.set_defaults(func=run_set)
    c = csub.add_parser("import", help="导入本省下发的保密支付标准文件（CSV 或 xlsx）")
    c.add_argument("file", type=Path, help="列：药品名称、剂型、规格、支付标准、协议有效期")
    c.add_argument("--date", default=None, help="按此日期生效的目录匹配（默认今天），YYYY-MM-DD")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=run_import)


def _day(text: str | None) -> date:
    from desktop.commands.catalogue import parse_day

    return parse_day(text)


def run_list(args: argparse.Namespace) -> int:
    from desktop.commands import print_json
    from desktop.rules import confidential
    from desktop.storage import catalogue as store

    db = store.open_db(args.db)
    rows = confidential.statuses(db, confidential.confidential_entries(db, _day(args.date)))
    if args.missing:
        rows = [s for s in rows if not s.specs]
    if args.json:
        print_json(
            [
                {
                    "entry": s.entry.id,
                    "name": s.entry.name,
                    "dosage_form": s.entry.dosage_form,
                    "agreement_end": s.entry.agreement_end.isoformat() if s.entry.agreement_end else None,
                    "entered": bool(s.specs),
                    "status": s.label,
                }
                for s in rows
            ]
        )
        return 0
    done = sum(1 for s in rows if s.specs)
    print(f"保密支付标准药品 {len(rows)} 种，已录入 {done} 种：")
    for s in rows:
        print(f"  {s.entry.id}  {s.entry.name} {s.entry.dosage_form or ''}  {s.label}")
    return 0


def run_set(args: argparse.Namespace) -> int:
    from desktop.rules import confidential
    from desktop.storage import catalogue as store

    db = store.open_db(args.db)
    entry = store.get_entry(db, args.entry)
    from desktop import platform

    text = platform.read_secret(f"“{entry.name}”的保密支付标准（元，输入不显示）：")
    confidential.enter(db, entry, args.spec, text.strip())
    status = confidential.statuses(db, [entry])[0]
    print(f"{entry.name}：{status.label}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from desktop.commands import print_json
    from desktop.rules import confidential
    from desktop.storage import catalogue as store

    db = store.open_db(args.db)
    report = confidential.import_file(db, args.file, _day(args.date))
    if args.json:
        print_json(
            {
                "stored": report.stored,
                "unmatched": [{"row": u.row, "name": u.name, "reason": u.reason} for u in report.unmatched],
            }
        )
        return 0
    print(f"已录入 {report.stored} 条保密支付标准。")
    if report.unmatched:
        print(f"以下 {len(report.unmatched)} 行未能对应目录中的“*”药品，未录入：")
        for u in report.unmatched:
            print(f"  第 {u.row} 行 {u.name}：{u.reason}")
    return 0
