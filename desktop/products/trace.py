"""药品追溯码 on receipts: one code per unit sold, never sold twice (串换/回流 protection).

* A line carries ``trace_codes``: 20-digit codes; more codes than units is refused; fewer is
  allowed (拆零: one pack's code covers the units sold from it) and said in a warning (the estimate's
  ``trace_partial``; a line that needs codes and has none: ``trace_missing``, desktop/rules/service.py).
* The same code twice in a sale, or a code already on an issued receipt that was not refunded,
  is refused with a message; a refund (``release``) frees the receipt's codes.
* 中药饮片 and 配方颗粒 are exempt: they need no code.
* A code whose 药品标识码 is learned for another item is refused (the box is not this item).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.errors import NotFound, RequestError
from desktop.products import codes
from desktop.storage import products as sp


def exempt(section: str | None, name: str | None) -> bool:
    """中药饮片 and granules (配方颗粒) need no 追溯码 (the rule lives in the records kernel, which the
    estimate's ``trace_missing`` warning reads too)."""
    return r.trace_exempt(section, name)


def line_codes(raw: object, n: str, problems: list[str]) -> list[str]:
    """The validated codes of one request line (``n`` names the line in messages)."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        problems.append(f'{n}的追溯码（trace_codes）应为列表，如 ["81234560000000000001"]。')
        return []
    out: list[str] = []
    for value in raw:
        c = codes.recognise(str(value))
        if c.kind != codes.TRACE:
            problems.append(f"{n}的追溯码“{value}”无效：药品追溯码为 20 位数字。")
            continue
        out.append(c.value)
    return out


def check(
    db: Database, lines: Iterable[tuple[int, list[str], str | None]], problems: list[str], *, repeats: bool = True
) -> None:
    """Refuse codes repeated within the sale, codes already issued, and codes of another item.

    ``lines``: (line number, codes, the line's store item id or None). ``repeats``: also refuse a code
    repeated within one line (the request parser says that itself).
    """
    seen: dict[str, int] = {}
    all_codes: list[str] = []
    for i, line_codes_, item_id in lines:
        for code in line_codes_:
            if code in seen and (repeats or seen[code] != i):
                problems.append(
                    f"第 {i} 项：追溯码 {code} 出现了两次；同一盒药不能销售两次，请重新扫描。"
                    if seen[code] == i
                    else f"第 {i} 项：追溯码 {code} 与第 {seen[code]} 项重复；同一盒药不能销售两次，请重新扫描。"
                )
                continue
            seen[code] = i
            all_codes.append(code)
            if item_id:
                owner = sp.trace_prefix_owner(db, code[:7])
                if owner and owner != item_id:
                    problems.append(
                        f"第 {i} 项：追溯码 {code} 的药品标识码属于商品 {owner}，不是本行商品 {item_id}，请核对实物。"
                    )
    for code, number in sp.live_trace_codes(db, all_codes):
        problems.append(
            f"第 {seen[code]} 项：追溯码 {code} 已在收据 {number} 上售出，不能再次销售（疑似串换或回流药）；"
            "如已退货，请先办理退货。"
        )


def request_codes(request: Any) -> list[tuple[int, list[str]]]:
    """(line number, codes) of a typed request (``EstimateRequest``) or of its JSON."""
    items = request.get("items") or [] if isinstance(request, Mapping) else request.items
    out = []
    for i, item in enumerate(items, start=1):
        given = item.get("trace_codes") if isinstance(item, Mapping) else item.trace_codes
        if given:
            out.append((i, [str(c) for c in given]))
    return out


def record(db: Database, number: str, request: Any) -> int:
    """Store the request's codes with receipt ``number`` (inside the receipt's transaction).

    Raises RequestError when a code is already live on another receipt.
    """
    rows = [(c, number, i) for i, cs in request_codes(request) for c in cs]
    if not rows:
        return 0
    problems: list[str] = []
    check(db, ((i, cs, None) for i, cs in request_codes(request)), problems)
    if problems:
        raise RequestError(problems)
    sp.insert_trace_codes(db, rows, datetime.now().isoformat(timespec="seconds"))
    return len(rows)


def release(db: Database, number: str) -> int:
    """A refund: the codes of receipt ``number`` may be sold again. Returns how many were released."""
    if not sp.receipt_exists(db, number):
        raise NotFound(f"没有单号为 {number} 的收据。")
    return sp.release_trace_codes(db, number, datetime.now().isoformat(timespec="seconds"))


def of_receipt(db: Database, number: str) -> list[dict[str, Any]]:
    return sp.trace_codes_of(db, number)
