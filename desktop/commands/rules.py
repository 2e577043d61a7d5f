"""``yaomu check`` and ``yaomu estimate``: eligibility of one entry and the copay of a basket."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.errors import RequestError, UserFacingError, os_reason
from desktop.rules import labels, policy

if TYPE_CHECKING:
    from sqlite_utils import Database

    from desktop.rules.contract import Estimate
    from desktop.settings import Settings

_VERDICT_MARK = {"covered": "✔", "conditional": "？", "not_covered": "✘", "unknown": "…"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="查询某药当日能否报销、需确认哪些条件")
    p.add_argument("entry", metavar="ID", help="目录条目 id（yaomu search 的结果），或过渡期药品名称")
    p.add_argument("--date", default=None, help="日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--profile", default=None, help=f"地区政策：{'、'.join(policy.available())}（默认取本店设置）")
    p.add_argument("--insurance", required=True, help=f"险种：{'、'.join(labels.INSURANCES)}")
    p.add_argument("--group", default="general", help=f"人员类别：{'、'.join(labels.GROUPS)}")
    p.add_argument("--channel", default="outpatient", help=f"待遇渠道：{'、'.join(labels.CHANNELS)}")
    p.add_argument("--confirmed", default="", help=f"已确认条件，逗号分隔：{'、'.join(labels.CONDITIONS)}")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=run_check)

    e = sub.add_parser("estimate", help="按请求 JSON 估算统筹支付和个人负担")
    e.add_argument("request", metavar="REQUEST.json", help="请求文件；“-”表示从标准输入读取")
    e.add_argument("--json", action="store_true", help="输出 JSON")
    e.set_defaults(func=run_estimate)


def _open(args: argparse.Namespace) -> tuple[Database, Settings]:
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
    from desktop.commands import print_json
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


def read_request(name: str) -> object:
    """The JSON value of a request file ("-" = stdin); every way it can be unreadable is a refusal.

    Raises:
        UserFacingError: the file cannot be read. RequestError: not UTF-8, not JSON, too large or too deep.
    """
    from desktop.rules.request import MAX_BYTES, parse_json_bytes

    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            with Path(name).open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
    except OSError as err:
        raise UserFacingError(f"无法读取请求文件 {name}：{os_reason(err)}", hint="请检查文件路径。") from err
    return parse_json_bytes(data, "请求" if name == "-" else f"请求文件 {name} ")


def run_estimate(args: argparse.Namespace) -> int:
    from desktop.commands import print_json
    from desktop.rules import service

    data = read_request(args.request)
    db, settings = _open(args)
    from desktop.products import request as by_product  # "item"/"product" lines and 追溯码

    result = service.estimate(db, by_product.parse(db, data, settings), settings)
    if args.json:
        print_json(result.to_json())
        return 0
    for row in estimate_text(result):
        print(row)
    return 0


def estimate_text(result: Estimate) -> list[str]:
    """The plain-text estimate of ``yaomu estimate`` (without --json), one string per row."""
    out: list[str] = []

    def unset(line_unset: bool, value: object) -> str:
        return "未设置统筹支付比例" if line_unset else str(value)

    out.append(
        f"{result.profile_label} · {result.insurance.label} · {result.patient_group.label} · "
        f"{result.channel.label} · {result.day.isoformat()} · {result.edition or '无目录'}"
    )
    for i, line in enumerate(result.lines, 1):
        standard = f" 支付标准 {line.payment_standard_shown}" if line.payment_standard_shown else ""
        out.append(
            f"{i}. {line.name} {line.dosage_form or ''} {line.unit_price} × {line.quantity}"
            f"  [{line.drug_class or '-'}]{standard}  {line.verdict_label}"
        )
        a, u = line.amounts, line.fund_unset
        # A confidential line is not itemised (its components would reveal the standard by subtraction).
        if line.confidential:
            out.append(
                f"   合计 {a.total}  全自费 {a.full_self_pay}  统筹 {unset(u, a.fund)}  "
                f"个人负担 {unset(u, a.patient_total)}（保密品种，不分项）"
            )
        else:
            out.append(
                f"   合计 {a.total}  全自费 {a.full_self_pay}  超标准 {a.over_standard}  先行自付 {a.first_self_pay}"
                f"  统筹 {unset(u, a.fund)}  个人负担 {unset(u, a.patient_total)}"
            )
    t, u = result.amounts, result.fund_unset
    out.append(f"总费用 {t.total}  全自费 {t.full_self_pay}  超支付标准 {t.over_standard}  先行自付 {t.first_self_pay}")
    out.append(
        f"政策范围内 {t.policy_scope}  起付线 {t.deductible}  统筹支付 {unset(u, t.fund)}  "
        f"个人自付 {unset(u, t.coinsurance)}"
    )
    if result.folded:
        out.append(f"保密品种个人负担（不分项，以上各项不含保密品种） {unset(u, result.confidential_patient)}")
    out.append(f"个人负担合计 {unset(u, t.patient_total)}")
    for text in result.warnings:
        out.append(f"注意：{text}")
    for text in result.assumptions:
        out.append(f"说明：{text}")
    return out
