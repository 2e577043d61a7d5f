"""``yaomu settings show | set KEY VALUE | import FILE | export FILE``: the pharmacy's settings from the command line.

The same keys, units and checks as the first-start wizard and the settings dialog
(``desktop.settings.KEYS``). Confidential payment standards are never shown or exported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.errors import UserFacingError, os_reason


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("settings", help="本店设置：药店名称、定点编码、地区政策、本地支付比例等")
    ssub = group.add_subparsers(
        dest="settings_command", metavar="ACTION", required=True, parser_class=sub._parser_class
    )

    p = ssub.add_parser("show", help="列出全部设置项、当前值、单位和来源")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_show)

    p = ssub.add_parser(
        "set",
        help='设置一项，如 fund_ratio 80（%%）、deductible 600（元）；值留空（""）则清除',
        description=(
            "设置项：pharmacy_name institution_code counter staff profile paper printer，"
            "以及 fund_ratio、first_self_pay（百分数，如 80 或 80%）、deductible、cap（元）；"
            "后四项可加“:险种[:渠道]”，如 fund_ratio:resident:outpatient，* 表示任意险种。"
        ),
    )
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE")
    p.set_defaults(func=cmd_set)

    p = ssub.add_parser("import", help="从文件导入设置（settings export 导出的文件）；有任何错误则一项也不改")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_import)

    p = ssub.add_parser("export", help="把设置导出到文件（不含保密支付标准）")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="导出为 JSON（默认：每行“设置项 值”的文本）")
    p.set_defaults(func=cmd_export)


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from desktop.storage import catalogue as store

    return store.open_db(args.db)


def cmd_show(args: argparse.Namespace) -> int:
    from desktop import settings as s
    from desktop.commands import print_json

    db = _open(args)
    current = s.get(db)
    rows = s.rows(current)
    if args.json:
        print_json(
            {
                "settings": rows,
                "confidential_standards": len(current.confidential_standards),
                "ready_to_issue": current.ready_to_issue,
            }
        )
        return 0
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        print(f"{r['key']:<{width}}  {r['label']}：{r['shown']}")
        source = r["source"]
        name = r["key"].split(":")[0]
        if name in s.PARAMETER_NAMES:
            stated = s.profile_states(current.profile, name)
            if stated:
                source += f"；{s.profile_label(current.profile)}政策文件已规定的情形以文件为准（{'、'.join(stated)}）"
        print(f"{'':<{width}}  　来源：{source}")
    print(f"保密支付标准：已录入 {len(current.confidential_standards)} 项（数值保密，不显示、不导出）")
    if not current.ready_to_issue:
        print(
            "注意：尚未填写药店名称和定点医药机构编码，不能开具收据。"
            "请运行 yaomu settings set pharmacy_name 名称 和 yaomu settings set institution_code 编码。"
        )
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from desktop import settings as s

    db = _open(args)
    new = s.set_value(s.get(db), args.key, args.value)
    s.save(db, new)
    key = args.key.strip()
    name = key.split(":")[0]
    if name in s.PARAMETER_NAMES:
        stored = new.parameters.get(key)
        print(f"已设置 {s.key_label(key)}：{s.display(key, stored)}" if stored else f"已清除 {s.key_label(key)}。")
    else:
        print(f"已设置 {s.KEYS[key].label}：{s.display(key, getattr(new, key)) or '（空）'}")
    return 0


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserFacingError(f"设置文件 {path} 不是 UTF-8 编码的文本。", hint="请用 UTF-8 保存后重试。") from None
    except OSError as err:
        raise UserFacingError(f"无法读取设置文件 {path}：{os_reason(err)}。", hint="请检查文件路径。") from None


def cmd_import(args: argparse.Namespace) -> int:
    from desktop import settings as s

    values = s.parse_import(_read(args.file))
    db = _open(args)
    new = s.set_values(s.get(db), values)
    s.save(db, new)
    print(f"已导入 {len(values)} 项设置。")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import json

    from desktop import settings as s

    db = _open(args)
    current = s.get(db)
    if args.json:
        text = json.dumps(s.export_document(current), ensure_ascii=False, indent=2) + "\n"
    else:
        text = s.export_text(current)
    out = Path(args.file)
    try:
        if out.is_dir():
            raise IsADirectoryError(21, "is a directory")
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UserFacingError(f"无法写入 {out}：{os_reason(err)}。", hint="请换一个可写的位置或文件名。") from None
    print(f"已导出设置到 {out}（不含保密支付标准）。")
    return 0
