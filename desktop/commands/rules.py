"""``yaomu check`` and ``yaomu estimate``: eligibility of one entry and the copay of a basket."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from desktop.errors import RequestError, UserFacingError, os_reason
from desktop.errors import reason as file_reason
from desktop.rules import policy

_VERDICT_MARK = {"covered": "✔", "conditional": "？", "not_covered": "✘", "unknown": "…"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="查询某药当日能否报销、需确认哪些条件")
    p.add_argument("entry", metavar="ID", help="目录条目 id（yaomu search 的结果）")
    p.add_argument("--date", default=None, help="日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--profile", default=None, help=f"地区政策：{'、'.join(policy.available())}（默认取本店设置）")
    p.add_argument("--insurance", required=True, help=f"险种：{'、'.join(policy.INSURANCES)}")
    p.add_argument("--group", default="general", help=f"人员类别：{'、'.join(policy.GROUPS)}")
    p.add_argument("--channel", default="outpatient", help=f"待遇渠道：{'、'.join(policy.CHANNELS)}")
    p.add_argument("--confirmed", default="", help=f"已确认条件，逗号分隔：{'、'.join(policy.CONDITIONS)}")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=run_check)

    e = sub.add_parser("estimate", help="按请求 JSON 估算统筹支付和个人负担")
    e.add_argument("request", metavar="REQUEST.json", help="请求文件；“-”表示从标准输入读取")
    e.add_argument("--json", action="store_true", help="输出 JSON")
    e.set_defaults(func=run_estimate)


def _open(args: argparse.Namespace):
    from desktop import settings as settings_mod
    from desktop.storage import catalogue as store

    db = store.open_db(args.db)
    return db, settings_mod.get(db)


def _day(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestError([f"日期“{text}”无效，请使用 YYYY-MM-DD 格式（如 2025-03-01）。"]) from None


def run_check(args: argparse.Namespace) -> int:
    from desktop.cli import print_json
    from desktop.rules import service

    day = _day(args.date)
    db, settings = _open(args)
    confirmed = frozenset(c.strip() for c in args.confirmed.split(",") if c.strip())
    result = service.check(
        db, args.entry, day, args.profile or settings.profile, args.insurance, args.group, args.channel, confirmed
    )
    if args.json:
        print_json(result.to_json())
        return 0
    edition = result.edition or "无目录"
    print(f"{_VERDICT_MARK[result.verdict]} {result.verdict_label}    （{edition}，{day.isoformat()}）")
    if result.edition_note:
        print(f"注意：{result.edition_note}")
    for reason in result.reasons:
        source = f"  〔{reason.source}〕" if reason.source else ""
        print(f"  · {reason.text}{source}")
    if result.conditions:
        print("需确认：")
        for cond in result.conditions:
            print(f"  □ [{cond.code}] {cond.text}")
    if result.dual_channel is not None:
        print(f"双通道：{result.dual_channel.label}")
    return 0


def _read_request(name: str) -> dict:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as err:
        raise UserFacingError(f"无法读取请求文件 {name}：{os_reason(err)}", hint="请检查文件路径。") from err
    try:
        data = json.loads(text)
    except ValueError as err:
        raise RequestError([f"请求不是有效的 JSON：{file_reason(err)}。"]) from err
    if not isinstance(data, dict):
        raise RequestError(["请求应为 JSON 对象（含 date、profile、insurance、items 等字段）。"])
    return data


def run_estimate(args: argparse.Namespace) -> int:
    from desktop.cli import print_json
    from desktop.rules import service

    request = _read_request(args.request)
    db, settings = _open(args)
    result = service.estimate(db, request, settings)
    if args.json:
        print_json(result)
        return 0
    print(
        f"{result['profile_label']} · {result['insurance_label']} · {result['patient_group_label']} · "
        f"{result['channel_label']} · {result['date']} · {result['edition'] or '无目录'}"
    )
    for i, line in enumerate(result["lines"], 1):
        standard = f" 支付标准 {line['payment_standard_shown']}" if line["payment_standard_shown"] else ""
        print(
            f"{i}. {line['name']} {line['dosage_form'] or ''} {line['unit_price']} × {line['quantity']}"
            f"  [{line['class'] or '-'}]{standard}  {line['verdict_label']}"
        )
        # A confidential line is not itemised (its over-standard part would reveal the standard).
        over = "" if line["confidential"] else f"  超标准 {line['over_standard']}"
        print(
            f"   合计 {line['total']}  全自费 {line['full_self_pay']}{over}  先行自付 {line['first_self_pay']}"
            f"  统筹 {line['fund']}  个人负担 {line['patient_total']}"
        )
    print(
        f"总费用 {result['total']}  全自费 {result['full_self_pay']}  超支付标准 {result['over_standard']}  "
        f"先行自付 {result['first_self_pay']}"
    )
    print(
        f"政策范围内 {result['policy_scope']}  起付线 {result['deductible']}  统筹支付 {result['fund']}  "
        f"个人自付 {result['coinsurance']}"
    )
    print(f"个人负担合计 {result['patient_total']}")
    for text in result["warnings"]:
        print(f"注意：{text}")
    for text in result["assumptions"]:
        print(f"说明：{text}")
    return 0
