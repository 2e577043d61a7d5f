"""Estimate and receipt requests that name the store's ``item`` or a ``product`` instead of an ``entry``.

``resolve`` runs at the JSON edge, before ``desktop.rules.request.parse_request`` checks the request:
an ``item`` line (the store's 商品编码) or a ``product`` line (a 医保药品代码) becomes an ``entry`` line —
the entry the product links to in the edition of the request's date, the store's price unless the line
gives ``unit_price``, the product's spec (which chooses the payment standard). ``trace_codes`` are checked
against the database here (a code already on an issued receipt, a code whose 药品标识码 belongs to another
item); their format, repeats and count are checked by the request parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlite_utils import Database

from desktop.errors import RequestError
from desktop.products import codes, trace
from desktop.storage import catalogue as store
from desktop.storage import products as sp


def parse(db: Database, data: object, settings: Any = None) -> Any:
    """The request JSON with item/product lines resolved, parsed by ``rules.service.parse_request``.

    Raises:
        RequestError: every problem (of the lines here, then of the request).
    """
    from desktop.rules import service

    return service.parse_request(db, resolve(db, data), settings)


def mentions_products(request: object) -> bool:
    items = request.get("items") if isinstance(request, Mapping) else None
    return isinstance(items, list) and any(
        isinstance(i, Mapping) and ("item" in i or "product" in i or "trace_codes" in i) for i in items
    )


def _day(request: Mapping[str, Any]) -> date:
    try:
        return date.fromisoformat(str(request.get("date")))
    except ValueError:
        return date.today()


def resolve(db: Database, request: object) -> object:
    """The request with entry lines (unchanged when it names no item, product or trace code).

    Raises:
        RequestError: every problem found here at once (unknown item, no 对码, code sold before …).
    """
    if not mentions_products(request):
        return request
    assert isinstance(request, Mapping)
    problems: list[str] = []
    choice = store.edition_on(db, _day(request))
    out_items: list[Any] = []
    checks: list[tuple[int, list[str], str | None]] = []
    for i, raw in enumerate(request.get("items") or [], start=1):
        if not isinstance(raw, Mapping):
            out_items.append(raw)
            continue
        n = f"第 {i} 项"
        item = dict(raw)
        store_item = None
        product = None
        if item.get("item") not in (None, ""):
            store_item = sp.item_by_id(db, str(item["item"]))
            if store_item is None:
                problems.append(f"{n}：本店商品中没有商品编码“{item['item']}”。")
            else:
                m = sp.match_of(db, store_item["id"])
                if m is None or m["status"] == "suggested":
                    problems.append(f"{n}：商品“{store_item['name']}”尚未对码，请先在对码界面确认。")
                elif m["stale"]:
                    problems.append(
                        f"{n}：商品“{store_item['name']}”的对码需复核（{m['stale']}），请在对码界面确认后再估算。"
                    )
                else:
                    product = sp.product_by_code(db, m["product_code"])
                if item.get("unit_price") in (None, "") and store_item["price"]:
                    item["unit_price"] = store_item["price"]
        elif item.get("product") not in (None, ""):
            c = codes.recognise(str(item["product"]))
            product = sp.product_by_code(db, c.value)
            if product is None:
                problems.append(f"{n}：药品库中没有医保药品代码“{item['product']}”。")
        if product is not None:
            if item.get("entry") not in (None, ""):
                problems.append(f"{n}同时给出了 entry 和 item/product，请只给其一。")
            entry = None
            if product["entry_key"] and choice.edition is not None:
                entry = sp.entry_row_by_key(db, choice.edition.id, product["entry_key"])
            if entry is None:
                problems.append(
                    f"{n}：医保药品代码 {product['code']} 在 {choice.day.isoformat()} 适用的目录中没有对应条目"
                    f"（{product['link_problem'] or '已调出或未收录'}）；如按自费计算，请改用 name 和 class。"
                )
            else:
                item["entry"] = entry["id"]
                if item.get("spec") in (None, ""):
                    item["spec"] = product["spec"] or product["registered_spec"]
        item.pop("item", None)
        item.pop("product", None)
        given = item.get("trace_codes")
        listed = [str(c).replace(" ", "") for c in given] if isinstance(given, list) else []
        checks.append(
            (i, [c for c in listed if len(c) == 20 and c.isdigit()], store_item["id"] if store_item else None)
        )
        out_items.append(item)
    trace.check(db, checks, problems, repeats=False)
    if problems:
        raise RequestError(problems)
    return {**request, "items": out_items}
