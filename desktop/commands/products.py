"""``yaomu products …``, ``yaomu items …``, ``yaomu scan`` and ``yaomu trace …``: the box in the clerk's hand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.commands import print_json
from desktop.errors import RequestError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("products", help="医保药品分类与代码（药品库）：导入、查看、差异、撤销、与目录的对应")
    psub = group.add_subparsers(
        dest="products_command", metavar="ACTION", required=True, parser_class=sub._parser_class
    )
    p = psub.add_parser("import", help="导入药品库：总表 xlsx、同列 CSV 或 NHSA 导出 CSV")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_products_import)
    p = psub.add_parser("show", help="显示一个医保药品代码的药品信息和对应的目录条目")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_products_show)
    p = psub.add_parser("history", help="药品库的导入记录")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_products_history)
    p = psub.add_parser("diff", help="一次导入逐药的差异：新增、变更、删除、被取代（曾用码）")
    p.add_argument("import_id", metavar="IMPORT", type=int, nargs="?", help="导入序号（默认最近一次）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_products_diff)
    p = psub.add_parser("rollback", help="撤销最近一次药品库导入")
    p.set_defaults(func=cmd_products_rollback)
    p = psub.add_parser("links", help="未能对应目录条目、或与目录不一致的药品")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_products_links)

    group = sub.add_parser("items", help="本店商品清单与对码：导入、列表、确认、追溯码前缀、导出 3301")
    isub = group.add_subparsers(dest="items_command", metavar="ACTION", required=True, parser_class=sub._parser_class)
    p = isub.add_parser("import", help="导入本店商品清单（POS/ERP 导出的 CSV 或 xlsx）并自动对码")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_items_import)
    p = isub.add_parser("list", help="列出本店商品及其对码")
    p.add_argument("--unmatched", action="store_true", help="只列未对码或待确认的")
    p.add_argument("--stale", action="store_true", help="只列需复核的对码")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_items_list)
    p = isub.add_parser("match", help="人工对码：确认商品对应的医保药品代码")
    p.add_argument("item", metavar="ITEM", help="商品编码")
    p.add_argument("code", metavar="CODE", help="医保药品代码")
    p.set_defaults(func=cmd_items_match)
    p = isub.add_parser("link", help="记住追溯码前 7 位（药品标识码）对应的商品")
    p.add_argument("item", metavar="ITEM")
    p.add_argument("--trace-prefix", required=True, metavar="DIGITS", help="7 位药品标识码，或整条追溯码")
    p.set_defaults(func=cmd_items_link)
    p = isub.add_parser("export", help="按 3301 目录对照上传的格式导出对码（CSV）")
    p.add_argument("out", metavar="OUT.csv")
    p.set_defaults(func=cmd_items_export)
    p = isub.add_parser("duty", help="“双通道”药店的配备要求：本店商品中的谈判药和高值药")
    p.add_argument("--date", help="日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--profile", help="地区政策（默认取本店设置）")
    p.add_argument("--county", action="store_true", help="本店位于县（市）而非市区")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_items_duty)

    p = sub.add_parser("scan", help="识别扫码：条形码、本位码、追溯码或医保药品代码，给出商品、药品、目录条目和结论")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--date", help="日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--profile", help="地区政策（默认取本店设置）")
    p.add_argument("--insurance", default="employee", help="险种（默认 employee 职工医保）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_scan)

    group = sub.add_parser("trace", help="收据上的药品追溯码：查看、退货释放")
    tsub = group.add_subparsers(dest="trace_command", metavar="ACTION", required=True, parser_class=sub._parser_class)
    p = tsub.add_parser("show", help="列出一张收据的追溯码")
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trace_show)
    p = tsub.add_parser("release", help="退货：释放一张收据的追溯码，使其可再次销售")
    p.add_argument("number", metavar="NUMBER")
    p.set_defaults(func=cmd_trace_release)


def _db(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from desktop.commands.catalogue import open_catalogue

    return open_catalogue(args)


def _problems(title: str, problems: list, limit: int = 20) -> None:  # type: ignore[type-arg]
    if not problems:
        return
    print(f"{title}（{len(problems)} 行）：")
    for p in problems[:limit]:
        print(f"  第 {p.line} 行 {p.code or ''}：{p.reason}")
    if len(problems) > limit:
        print(f"  ……另有 {len(problems) - limit} 行，用 --json 查看全部。")


#: Steps of a product import, as its progress line names them.
_STEPS = {"read": "读取", "link": "对应目录", "write": "写入", "index": "索引"}


def cmd_products_import(args: argparse.Namespace) -> int:
    from desktop.products import database

    db = _db(args)

    def progress(step: str, done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            print(
                f"\r{_STEPS.get(step, step)} {done}/{total}",
                end="",
                file=sys.stderr,
            )

    if Path(args.file).suffix.lower() == ".zip":  # a signed products package (docs/package-format.md §8)
        from desktop.sync import products as products_package

        report = products_package.import_package(db, Path(args.file), on_progress=progress)
    else:
        report = database.import_file(db, Path(args.file), on_progress=progress)
    if args.json:
        print_json(report.to_json())
        return 0
    print(
        f"已导入“{report.source}”（{report.format}）：读取 {report.rows_read} 行，导入 {report.rows_good} 行，"
        f"有误 {len(report.problems)} 行。"
    )
    print(
        f"新增 {len(report.added)}、变更 {len(report.changed)}、删除 {len(report.removed)}、"
        f"被取代 {len(report.replaced)}（导入序号 {report.import_id}）。"
    )
    print(f"未对应目录条目 {report.unlinked} 个，与目录不一致 {report.disagreeing} 个（yaomu products links 查看）。")
    if report.stale_items:
        print(f"注意：{report.stale_items} 个本店商品的对码需复核（yaomu items list --stale）。")
    _problems("有误未导入的行", report.problems)
    _problems("已按固定规则校正的行", report.repairs, 5)
    return 0


def cmd_products_show(args: argparse.Namespace) -> int:
    from desktop.products import codes, database, scan

    db = _db(args)
    c = codes.recognise(args.code)
    if c.kind != codes.INSURANCE:
        raise RequestError([f"“{args.code}”不是医保药品代码（西药 X 开头 23 位，中成药 Z 开头 20 位）。"])
    product = database.get(db, c.value)
    answer = scan.scan(db, c.value)
    data = dict(product) | {"entry": answer.entry}
    if args.json:
        print_json(data)
        return 0
    labels = {
        "code": "医保药品代码",
        "registered_name": "注册名称",
        "brand": "商品名称",
        "form": "剂型",
        "spec": "规格",
        "pack_quantity": "最小包装数量",
        "pack_unit": "最小包装单位",
        "manufacturer": "生产企业",
        "approval_no": "批准文号",
        "standard_code": "药品本位码",
        "insurance_name": "医保药品名称",
        "class": "甲乙类",
        "number": "编号",
        "former_codes": "曾用码",
        "link_problem": "与目录的对应",
    }
    for key, label in labels.items():
        if product.get(key) not in (None, ""):
            print(f"{label}：{product[key]}")
    if answer.entry:
        e = answer.entry
        print(f"目录条目：{e['id']}  [{e['section']} {e['number'] or ''}] {e['class'] or '-'} {e['name']}")
    elif answer.message:
        print(answer.message)
    return 0


def cmd_products_history(args: argparse.Namespace) -> int:
    from desktop.products import database

    rows = database.history(_db(args))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("尚未导入药品库。")
    for r in rows:
        state = f"  已撤销 {r['rolled_back_at']}" if r["rolled_back_at"] else ""
        print(
            f"{r['id']}. {r['imported_at']}  {r['source']}（{r['format']}）  读取 {r['rows_read']} 有误 {r['rows_bad']}"
            f"  新增 {r['added']} 变更 {r['changed']} 删除 {r['removed']} 被取代 {r['replaced']}{state}"
        )
    return 0


def cmd_products_diff(args: argparse.Namespace) -> int:
    import json

    from desktop.errors import NotFound
    from desktop.products import database

    db = _db(args)
    from desktop.storage import products as sp

    import_id = args.import_id or sp.latest_import_id(db)
    if import_id is None or not sp.import_exists(db, import_id):
        raise NotFound(f"没有序号为 {args.import_id} 的药品库导入（yaomu products history 查看）。")
    rows = database.changes(db, import_id)
    if args.json:
        print_json([{k: v for k, v in r.items() if k != "old"} for r in rows])
        return 0
    labels = {"added": "新增", "changed": "变更", "removed": "删除", "replaced": "被取代"}
    for r in rows:
        extra = ""
        if r["action"] == "changed":
            extra = "：" + "、".join(json.loads(r["fields"] or "[]"))
        elif r["action"] == "replaced":
            extra = f" → {r['replaced_by']}"
        print(f"{labels[r['action']]} {r['code']}{extra}")
    return 0


def cmd_products_rollback(args: argparse.Namespace) -> int:
    from desktop.products import database

    done = database.rollback(_db(args))
    print(
        f"已撤销导入 {done['import_id']}（{done['source']}）：移除新增 {done['removed']} 个，"
        f"恢复 {done['restored']} 个。"
    )
    if done["stale_items"]:
        print(f"注意：{done['stale_items']} 个本店商品的对码需复核（yaomu items list --stale）。")
    return 0


def cmd_products_links(args: argparse.Namespace) -> int:
    from desktop.products import link

    db = _db(args)
    rows = link.report(db, args.limit if not args.json else None)
    unlinked, disagree = link.counts(db)
    if args.json:
        print_json({"unlinked": unlinked, "disagreeing": disagree, "products": rows})
        return 0
    print(f"未对应目录条目 {unlinked} 个，与目录不一致 {disagree} 个。")
    for r in rows:
        state = "未对应" if r["entry_key"] is None else "不一致"
        print(f"  {r['code']} {r['name'] or ''}  [{state}] {r['link_problem'] or ''}")
    return 0


def cmd_items_import(args: argparse.Namespace) -> int:
    from desktop.products import items

    report = items.import_file(_db(args), Path(args.file))
    if args.json:
        print_json(report.to_json())
        return 0
    print("表头对应：" + "；".join(f"{h} → {f}" for h, f in report.mapping.items()))
    if report.ignored_columns:
        print("未使用的列：" + "、".join(report.ignored_columns))
    applied = sum(report.applied.values())
    by = "，".join(f"{items.METHOD_LABELS[m]} {n}" for m, n in report.applied.items())
    print(f"读取 {report.rows_read} 行，导入 {report.imported} 个商品，有误 {len(report.problems)} 行。")
    print(f"自动对码 {applied} 个（{by or '无'}）；待确认建议 {report.suggested} 个；未找到 {report.unmatched} 个。")
    if report.kept:
        print(f"已人工确认的 {report.kept} 个对码保持不变。")
    _problems("有误未导入的行", report.problems)
    return 0


_STATUS = {"applied": "自动", "confirmed": "已确认", "suggested": "待确认", None: "未对码"}


def cmd_items_list(args: argparse.Namespace) -> int:
    from desktop.products import items

    rows = items.listing(_db(args), unmatched=args.unmatched, stale=args.stale)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有符合条件的商品。")
    for r in rows:
        match = f" → {r['product_code']}（{r['reason']}，{r['confidence']}）" if r["product_code"] else ""
        stale = f"  ⚠ 需复核：{r['stale']}" if r["stale"] else ""
        print(f"{r['id']} {r['name']} {r['spec'] or ''}  [{_STATUS[r['status']]}]{match}{stale}")
    return 0


def cmd_items_match(args: argparse.Namespace) -> int:
    from desktop.products import items

    m = items.confirm(_db(args), args.item, args.code)
    print(f"已确认：商品 {m['item_id']} 对应医保药品代码 {m['product_code']}。")
    return 0


def cmd_items_link(args: argparse.Namespace) -> int:
    from desktop.products import items

    prefix = items.link_prefix(_db(args), args.item, args.trace_prefix)
    print(f"已记住：药品标识码 {prefix} 的追溯码属于商品 {args.item}。")
    return 0


def cmd_items_export(args: argparse.Namespace) -> int:
    from desktop.products import items

    written, skipped = items.export_3301(_db(args), Path(args.out))
    print(
        f"已导出 {written} 条对码到 {args.out}。"
        + (f"{skipped} 个商品未对码、待确认或需复核，未导出。" if skipped else "")
    )
    return 0


def cmd_items_duty(args: argparse.Namespace) -> int:
    from desktop import settings as settings_mod
    from desktop.commands.catalogue import parse_day
    from desktop.products import duty

    db = _db(args)
    profile = args.profile or settings_mod.get(db).profile
    result = duty.stocking_duty(db, parse_day(args.date), profile, county=args.county)
    if args.json:
        print_json(result)
        return 0
    for line in duty.describe(result):
        print(line)
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from desktop import settings as settings_mod
    from desktop.commands.catalogue import parse_day
    from desktop.products import scan

    db = _db(args)
    day = parse_day(args.date)
    profile = args.profile or settings_mod.get(db).profile
    result = scan.scan(db, args.code, day=day, profile=profile, insurance=args.insurance)
    if args.json:
        print_json(result.to_json())
        return 0
    print(f"{result.code.label}：{result.code.value}")
    for w in result.warnings:
        print(f"注意：{w}")
    if result.item:
        i = result.item
        price = f"  零售价 {i['price']} 元" if i["price"] else ""
        print(f"本店商品：{i['id']} {i['name']} {i['spec'] or ''}{price}")
    if result.product:
        p = result.product
        print(
            f"药品：{p['code']} {p['registered_name'] or p['insurance_name'] or ''} {p['brand'] or ''} "
            f"{p['spec'] or ''} {p['manufacturer'] or ''}"
        )
    if result.entry:
        e = result.entry
        print(f"目录条目：{e['id']}  [{e['section']} {e['number'] or ''}] {e['class'] or '-'} {e['name']}")
    if result.standard and not result.standard.get("confidential"):
        print(f"支付标准（按规格）：{result.standard['amount']} 元（{result.standard['spec'] or ''}）")
    if result.verdict:
        print(f"结论：{result.verdict['verdict_label']}")
    if result.message:
        print(result.message)
    return 0


def cmd_trace_show(args: argparse.Namespace) -> int:
    from desktop.products import trace

    rows = trace.of_receipt(_db(args), args.number)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"收据 {args.number} 没有登记追溯码。")
    for r in rows:
        state = f"（已退货释放 {r['released_at']}）" if r["released_at"] else ""
        print(f"第 {r['line']} 项  {r['code']}{state}")
    return 0


def cmd_trace_release(args: argparse.Namespace) -> int:
    from desktop.products import trace

    n = trace.release(_db(args), args.number)
    print(f"已释放收据 {args.number} 的 {n} 个追溯码（退货）。")
    return 0
