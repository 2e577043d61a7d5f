"""Estimate and receipt requests that name the store's ``item`` or a ``product`` instead of an ``entry``.

``resolve`` turns such lines into entry lines before the estimate parses them: the entry is the
one the product links to in the edition of the request's date, the price is the store's
(unless the line gives ``unit_price``) and the spec is the product's (so the spec chooses the
payment standard). ``trace_codes`` are validated here (format, repeats within the sale, codes
already sold); ``annotate`` copies them onto the result lines, where the receipt prints them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from desktop.errors import RequestError
from desktop.products import codes, trace
from desktop.storage import catalogue as store


def mentions_products(request: object) -> bool:
    items = request.get("items") if isinstance(request, dict) else None
    return isinstance(items, list) and any(
        isinstance(i, dict) and ("item" in i or "product" in i or "trace_codes" in i) for i in items
    )


def _day(request: dict) -> date:
    try:
        return date.fromisoformat(str(request.get("date")))
    except ValueError:
        return date.today()


def resolve(db: Database, request: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the request with entry lines, warnings). Raises RequestError with every problem at once."""
    problems: list[str] = []
    warnings: list[dict[str, Any]] = []
    day = _day(request)
    choice = store.edition_on(db, day)
    out_items: list[Any] = []
    checks: list[tuple[int, list[str], str | None]] = []
    for i, raw in enumerate(request.get("items") or [], start=1):
        if not isinstance(raw, dict):
            out_items.append(raw)
            continue
        n = f"第 {i} 项"
        item = dict(raw)
        store_item = None
        product = None
        if item.get("item") not in (None, ""):
            store_item = next(iter(db.query("select * from store_item where id = ?", [str(item["item"])])), None)
            if store_item is None:
                problems.append(f"{n}：本店商品中没有商品编码“{item['item']}”。")
            else:
                m = db.execute(
                    "select product_code, status, stale from item_match where item_id = ?", [store_item["id"]]
                ).fetchone()
                if m is None or m[1] == "suggested":
                    problems.append(f"{n}：商品“{store_item['name']}”尚未对码，请先在对码界面确认。")
                else:
                    if m[2]:
                        text = f"{n}：对码需复核（{m[2]}）。"
                        warnings.append({"code": "stale_mapping", "text": text, "source": None})
                    product = next(iter(db.query("select * from product where code = ?", [m[0]])), None)
                if item.get("unit_price") in (None, "") and store_item["price"]:
                    item["unit_price"] = store_item["price"]
                item.setdefault("name", store_item["name"])
        elif item.get("product") not in (None, ""):
            c = codes.recognise(str(item["product"]))
            product = next(iter(db.query("select * from product where code = ?", [c.value])), None)
            if product is None:
                problems.append(f"{n}：药品库中没有医保药品代码“{item['product']}”。")
        if product is not None:
            if "entry" in item and item["entry"] not in (None, ""):
                problems.append(f"{n}同时给出了 entry 和 item/product，请只给其一。")
            entry = None
            if product["entry_key"] and choice.edition is not None:
                entry = next(
                    iter(
                        db.query(
                            "select id, section, name from entry where edition_id = ? and key = ? order by seq limit 1",
                            [choice.edition.id, product["entry_key"]],
                        )
                    ),
                    None,
                )
            if entry is None:
                problems.append(
                    f"{n}：医保药品代码 {product['code']} 在 {day.isoformat()} 适用的目录中没有对应条目"
                    f"（{product['link_problem'] or '已调出或未收录'}）；如按自费计算，请改用 name 和 class。"
                )
            else:
                item["entry"] = entry["id"]
                item.setdefault("spec", product["spec"] or product["registered_spec"])
                item["_section"] = entry["section"]
        item.pop("item", None)
        item.pop("product", None)
        tc = trace.line_codes(item.get("trace_codes"), n, problems)
        section = item.pop("_section", None)
        if tc:
            qty = item.get("quantity")
            if isinstance(qty, int) and not isinstance(qty, bool) and len(tc) > qty:
                problems.append(f"{n}给出了 {len(tc)} 个追溯码，多于数量 {qty}：每个追溯码对应一盒（一个包装）。")
            item["trace_codes"] = tc
        elif not trace.exempt(section, item.get("name")) and item.get("entry"):
            warnings.append(
                {"code": "trace_missing", "text": f"{n}未扫描药品追溯码：医保结算前须逐盒扫码。", "source": None}
            )
        checks.append((i, tc, store_item["id"] if store_item else None))
        out_items.append(item)
    trace.check(db, checks, problems)
    if problems:
        raise RequestError(problems)
    return {**request, "items": out_items}, warnings


def entries_only(request: dict[str, Any]) -> dict[str, Any]:
    """The resolved request without trace codes: what the estimate itself reads."""
    lines = [
        {k: v for k, v in i.items() if k != "trace_codes"} if isinstance(i, dict) else i
        for i in request.get("items") or []
    ]
    return {**request, "items": lines}


def annotate(result: dict[str, Any], request: dict[str, Any], warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """Copy each line's trace codes onto the result line, and add the warnings."""
    items = request.get("items") or []
    for line, item in zip(result.get("lines") or [], items, strict=False):
        if isinstance(item, dict) and item.get("trace_codes"):
            line["trace_codes"] = list(item["trace_codes"])
    if warnings:
        result["warnings"] = [*(result.get("warnings") or []), *warnings]
    return result
