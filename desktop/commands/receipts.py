"""``yaomu receipt`` and ``yaomu receipts list|reprint|export|verify``: printed copay estimates."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.commands import print_json
from desktop.errors import RequestError

#: Exit code of ``receipts verify`` when the receipt does not match the history.
EXIT_NOT_VERIFIED = 3


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("receipt", help="按预估请求开具收据（PDF）：编号、登记、打印")
    p.add_argument("request", metavar="REQUEST.json", help="预估请求文件（与 yaomu estimate 相同；- 表示标准输入）")
    p.add_argument("--format", dest="paper", choices=("58mm", "80mm", "a5"), help="纸张（默认：设置中的纸张）")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="保存 PDF 的位置")
    p.add_argument("--force", action="store_true", help="覆盖已存在的输出文件（数据库及其备份永不覆盖）")
    p.add_argument("--patient-name", help="患者姓名（可不填）")
    p.add_argument("--patient-id", help="证件号码（身份证号核对校验位；打印前 3 位和后 4 位，较短的证件号至多后 4 位）")
    p.add_argument("--staff", help="经办人（默认：设置中的经办人）")
    p.add_argument("--counter", help="收款台（默认：设置中的收款台）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出单号、校验码和文件")
    p.set_defaults(func=cmd_receipt)

    group = sub.add_parser("receipts", help="已开具收据：查询、补打、导出、核验")
    rsub = group.add_subparsers(
        dest="receipts_command", metavar="ACTION", required=True, parser_class=sub._parser_class
    )

    p = rsub.add_parser("list", help="列出已开具的收据（最新在前）")
    p.add_argument("--date", help="只列出这一天开具的（YYYY-MM-DD）")
    p.add_argument("--number", help="按单号查找（可只输入一部分）")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = rsub.add_parser("reprint", help="补打：与原收据完全相同，另加“补打”标记")
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--force", action="store_true", help="覆盖已存在的输出文件（数据库及其备份永不覆盖）")
    p.add_argument("--staff", help="补打经办人（记入历史）")
    p.set_defaults(func=cmd_reprint)

    p = rsub.add_parser("export", help="导出收据历史为 CSV（可用 Excel 打开）")
    p.add_argument("--out", required=True, metavar="FILE.csv")
    p.add_argument("--force", action="store_true", help="覆盖已存在的输出文件（数据库及其备份永不覆盖）")
    p.add_argument("--date", help="只导出这一天的（YYYY-MM-DD）")
    p.set_defaults(func=cmd_export)

    p = rsub.add_parser("verify", help="核验纸质收据：单号和校验码，或扫描二维码得到的整段文字")
    p.add_argument("code", metavar="NUMBER|QR", help="单号，或二维码内容 YAOMU1:单号:校验码")
    p.add_argument("check", metavar="CHECK", nargs="?", help="收据上印的校验码")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from desktop.storage import catalogue as store

    return store.open_db(args.db)


#: Longest staff or counter name accepted from the command line.
MAX_FREE_TEXT = 40


def check_free_text(**fields: str | None) -> None:
    """Staff, counter and the like: printed on receipts, so no control characters and a sane length.

    Raises:
        RequestError: naming every field that is wrong.
    """
    from desktop import sanitize

    labels = {"staff": "--staff 经办人", "counter": "--counter 收款台", "patient_name": "--patient-name 患者姓名"}
    problems = []
    for name, value in fields.items():
        if value is None:
            continue
        bad = sanitize.find_control(value)
        if bad:
            problems.append(f"{labels.get(name, name)}含有控制字符 {bad}，请重新输入。")
        elif len(value.strip()) > MAX_FREE_TEXT:
            problems.append(f"{labels.get(name, name)}过长（最多 {MAX_FREE_TEXT} 个字）。")
    if problems:
        raise RequestError(problems)


def cmd_receipt(args: argparse.Namespace) -> int:
    from desktop import settings as settings_mod
    from desktop.commands.catalogue import open_catalogue
    from desktop.commands.rules import read_request
    from desktop.receipts import issue, layout
    from desktop.rules import service

    check_free_text(staff=args.staff, counter=args.counter, patient_name=args.patient_name)
    data = read_request(args.request)
    db = open_catalogue(args)
    settings = settings_mod.get(db)
    overrides = {k: v for k, v in (("staff", args.staff), ("counter", args.counter)) if v}
    if overrides:
        settings = settings.with_changes(**overrides)
    issuer = layout.Issuer.from_settings(settings)
    from desktop.products import request as by_product  # "item"/"product" lines and 追溯码

    request = by_product.parse(db, data, settings)
    result = service.estimate(db, request, settings)
    paper = args.paper or settings.paper or "80mm"
    done = issue.issue(
        db,
        request,
        result,
        issuer,
        paper,
        Path(args.out),
        patient_name=args.patient_name,
        patient_id=args.patient_id,
        # the printer's printable width applies to the paper it is set up for
        printable_width_mm=settings.printable_width_mm if paper == settings.paper else None,
        force=args.force,
    )
    if args.json:
        print_json(
            {
                "number": done.number,
                "check": done.check_value,
                "out": str(done.path),
                "patient_total": str(result.amounts.patient_total),
            }
        )
    else:
        total = result.amounts.patient_total
        print(f"已开具收据 {done.number}（校验码 {done.check_value}），个人负担合计 {total} 元。")
        print(f"PDF：{done.path}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from desktop.receipts import issue
    from desktop.storage import receipts as history

    day = issue.parse_day(args.date) if args.date else None
    records = history.search(_open(args), day=day, number=args.number, limit=args.limit)
    if args.json:
        print_json([r.summary() for r in records])
        return 0
    if not records:
        print("没有符合条件的收据。")
        return 0
    for r in records:
        status = "" if r.status == "printed" else "（已登记，未打印成功）"
        again = f"，补打 {r.reprints} 次" if r.reprints else ""
        who = f"{r.patient_name} " if r.patient_name else ""
        print(
            f"{r.number}  {r.issued_at}  {who}总费用 {r.total}  个人负担 {r.patient_total}  "
            f"经办人 {r.staff or '—'}{again}{status}"
        )
    return 0


def cmd_reprint(args: argparse.Namespace) -> int:
    from desktop import settings as settings_mod
    from desktop.receipts import issue

    check_free_text(staff=args.staff)
    db = _open(args)
    staff = args.staff or settings_mod.get(db).staff
    done = issue.reprint(db, args.number, Path(args.out), staff=staff, force=args.force)
    print(f"已补打收据 {done.number}：{done.path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from desktop import outfile
    from desktop.receipts import issue
    from desktop.storage import catalogue as store
    from desktop.storage import receipts as history

    day = issue.parse_day(args.date) if args.date else None
    db = _open(args)
    db_path = store.db_file(db)
    out = outfile.check(Path(args.out), db_path=db_path, force=args.force, what="导出文件")
    records = history.search(db, day=day)
    outfile.write(out, history.to_csv(records).encode("utf-8-sig"), db_path=db_path, force=args.force, what="导出文件")
    print(f"已导出 {len(records)} 张收据：{out}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from desktop.receipts import check, issue

    if args.check:
        number, given = args.code, args.check
    else:
        scanned = check.parse_qr(args.code)
        number, given = scanned.number, scanned.check
    result = issue.verify(_open(args), number, given)
    if args.json:
        print_json(
            {
                "valid": result.valid,
                "message": result.message,
                "receipt": result.record.summary() if result.record else None,
                "lines": list(result.lines),
            }
        )
    else:
        print(result.message)
        if result.record is not None:
            print("—— 原始收据内容 ——")
            for line in result.lines:
                print(line)
    return 0 if result.valid else EXIT_NOT_VERIFIED
