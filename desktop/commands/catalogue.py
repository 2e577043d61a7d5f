"""``yaomu init | search | show | editions``: the catalogue from the command line."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import TYPE_CHECKING

from desktop import sanitize
from desktop.commands import print_json
from desktop.errors import RequestError
from desktop.storage import catalogue as store

if TYPE_CHECKING:
    from desktop.catalogue.records import Entry


def parse_day(text: str | None) -> date:
    """A YYYY-MM-DD date from the command line (today when absent)."""
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestError([f"日期“{text}”无效，请按 YYYY-MM-DD 填写，例如 2025-06-01。"]) from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="创建数据库并导入随附的目录（2024 年版修订版与 2025 年版）")
    p.add_argument("--force", action="store_true", help="即使已有目录也重新导入")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("search", help="查找药品：中文片段、拼音或首字母、编号、分类代码")
    p.add_argument("query")
    p.add_argument("--date", help="按此日期生效的目录回答（默认今天），YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("show", help="显示一个目录条目的全部内容")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("editions", help="已导入的目录版本及各部分数量")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_editions)


def open_catalogue(args: argparse.Namespace, *, reading: bool = False):  # type: ignore[no-untyped-def]
    """Open the database, installing the bundled catalogue on first use.

    With ``reading``, an up-to-date database with a catalogue is opened without sqlite-utils
    (``store.Reader``): a lookup then starts in a fraction of the time.
    """
    if reading and (reader := store.open_reader(args.db)) is not None:
        return reader
    from desktop.sync import bundled

    db = store.open_db(args.db)
    if bundled.needs_install(db):
        print("首次使用：正在导入随附的医保药品目录……", file=sys.stderr)
        bundled.install(args.db)
    return db


def cmd_init(args: argparse.Namespace) -> int:
    from desktop.sync import bundled

    db = store.open_db(args.db)
    if not bundled.needs_install(db) and not args.force:
        print("数据库中已有目录，未重新导入（如需重新导入请加 --force）。")
        return 0
    started = time.perf_counter()
    bundled.install(args.db)
    for e in store.editions(db):
        print(f"{e.label}：{sum(e.counts.values())} 条")
    print(f"导入完成，用时 {time.perf_counter() - started:.1f} 秒。")
    return 0


def _line(e: Entry) -> str:
    form = f" {e.dosage_form}" if e.dosage_form else ""
    cls = e.drug_class or "-"
    ps = "保密" if e.confidential else (e.payment_standard or "")
    extra = f"  支付标准 {ps}" if ps else ""
    return f"{e.id}  [{e.section} {e.display_number}] {cls} {e.name}{form}{extra}"


#: Most results ``yaomu search`` lists; the longest query it takes.
MAX_LIMIT = 1000
MAX_QUERY = 64
#: Catalogue numbers have at most 4 digits; a longer run of digits is a barcode or 追溯码.
MAX_NUMBER_DIGITS = 6


def check_query(query: str, limit: int) -> str:
    """The query as searched, or every problem with it and the limit (exit 2, in Chinese).

    >>> check_query(" 阿莫西林 ", 20)
    '阿莫西林'
    """
    from desktop import sanitize

    text = query.strip()
    problems = []
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(f"--limit 须为 1 到 {MAX_LIMIT} 之间的整数（现为 {limit}）。")
    if not text:
        problems.append("查询内容为空：请输入药品名称、拼音首字母、目录编号或分类代码。")
    elif sanitize.find_control(text):
        problems.append(f"查询内容含有控制字符 {sanitize.find_control(text)}，请重新输入。")
    elif len(text) > MAX_QUERY:
        problems.append(f"查询内容过长（{len(text)} 个字符，最多 {MAX_QUERY} 个），请只输入药品名称的一部分。")
    elif text.isdigit() and not text.isascii():
        problems.append(
            f"查询“{sanitize.text(text)}”是上标或带圈的数字，无法查找：目录编号请用阿拉伯数字（如 123）输入。"
        )
    elif text.isascii() and text.isdigit() and len(text) > MAX_NUMBER_DIGITS:
        problems.append(
            f"查询“{text}”有 {len(text)} 位数字，不是目录编号（最多 4 位）："
            "商品条码、本位码或追溯码请用 yaomu scan 识别。"
        )
    if problems:
        raise RequestError(problems)
    return text


def cmd_search(args: argparse.Namespace) -> int:
    day = parse_day(args.date)
    query = check_query(args.query, args.limit)
    from desktop.catalogue import search

    db = open_catalogue(args, reading=True)
    result = search.search(db, query, day=day, limit=args.limit)
    edition = result.choice.edition
    if args.json:
        print_json(
            {
                "query": args.query,
                "date": day.isoformat(),
                "edition": edition.name if edition else None,
                "edition_label": edition.label if edition else None,
                "edition_exact": result.choice.exact,
                "note": result.note,
                "results": [e.to_json() for e in result.entries],
            }
        )
        return 0
    if result.note:
        print(f"注意：{result.note}")
    if edition:
        print(f"{day.isoformat()} 适用 {edition.label}")
    if not result.entries:
        print("没有找到匹配的药品。")
    for e in result.entries:
        print(sanitize.text(_line(e)))  # names come from packages: never echo a control character raw
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    db = open_catalogue(args, reading=True)
    entry = store.get_entry(db, args.id)
    data = entry.to_json()
    if entry.confidential:
        data["payment_standard"] = "*"
    if args.json:
        print_json(data)
        return 0
    labels = {
        "id": "ID",
        "edition": "目录版本",
        "section": "部分",
        "subsection": "子部分",
        "number": "编号",
        "star_of": "★重复编号",
        "name": "药品名称",
        "dosage_form": "剂型",
        "class": "甲乙类",
        "category_code": "分类代码",
        "category_path": "药品分类",
        "remark": "备注（限定支付范围）",
        "payment_standard": "医保支付标准",
        "agreement_start": "协议期起",
        "agreement_end": "协议期止",
        "flags": "标记",
    }
    for key, label in labels.items():
        value = data.get(key)
        if key == "payment_standard" and entry.confidential:
            value = "保密（企业申请价格保密）"
        if key == "flags":
            value = "、".join(entry.flags) or None
        if value not in (None, ""):
            print(f"{label}：{sanitize.text(value)}")
    return 0


def cmd_editions(args: argparse.Namespace) -> int:
    db = open_catalogue(args)
    eds = store.editions(db)
    if args.json:
        print_json(
            [
                {
                    "name": e.name,
                    "variant": e.variant,
                    "label": e.label,
                    "title": e.title,
                    "document": e.document,
                    "published": e.published,
                    "effective_start": e.effective_start,
                    "effective_end": e.effective_end,
                    "source": e.source,
                    "checksum": e.checksum,
                    "loaded_at": e.loaded_at,
                    "package_id": e.package_id,
                    "counts": e.counts,
                    "sections": [s.__dict__ for s in e.sections],
                }
                for e in eds
            ]
        )
        return 0
    for e in eds:
        end = e.effective_end.isoformat() if e.effective_end else "废止前有效"
        print(f"{e.label}  {e.document or ''}  {e.effective_start.isoformat()} 至 {end}")
        for s in e.sections:
            state = "完整" if s.complete else f"不完整（{s.note or '缺失'}）"
            print(f"  {s.section}：{e.counts.get(s.section, 0)} 行  {state}")
    return 0
