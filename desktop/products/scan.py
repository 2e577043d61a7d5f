"""One scan: what the code is, the store item, its product, the catalogue entry and the verdict.

The counter's search box and ``yaomu scan`` call ``scan``. Any input gets an answer: a result,
or a message saying what was scanned and what to do (a wrong check digit, a barcode not in
the store list, a 追溯码 whose 药品标识码 is not yet known: ``needs_item`` asks once which item
it is). A stale or unconfirmed 对码 is said in ``warnings``, never answered silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from sqlite_utils import Database

from desktop.products import codes, items
from desktop.storage import catalogue as store
from desktop.storage import products as sp

#: A stored row (store item, product, 对码): column -> value.
Row = dict[str, Any]


class Standard(TypedDict):
    """One payment standard of the entry, as ``scan`` reports it (``PaymentStandard`` in JSON)."""

    amount: str | None
    spec: str | None
    confidential: bool


@dataclass(frozen=True)
class SaleLine:
    """What one scan adds to a sale: the line's key in an estimate request (``"item"`` when the store item's
    对码 is set, else ``"product"``: ``desktop/products/request.py`` resolves either), what staff read about
    the box, the store's price and the scanned 追溯码 (None for a barcode, 本位码 or 医保代码)."""

    item_id: str | None
    product_code: str | None
    name: str
    spec: str | None
    manufacturer: str | None
    price: Decimal | None
    trace_code: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Which line of a sale this box belongs to: the same store item, else the same product."""
        return ("item", self.item_id) if self.item_id else ("product", self.product_code or "")

    def request_fields(self) -> dict[str, str]:
        """The line's ``item`` or ``product`` field of the request JSON."""
        kind, value = self.key
        return {kind: value}


def _price(value: object) -> Decimal | None:
    """The store list's price, when it is one (the import checked it; an older row may be empty)."""
    try:
        d = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return d.quantize(Decimal("0.01")) if d is not None and d.is_finite() and d > 0 else None


@dataclass
class ScanResult:
    code: codes.Code
    item: Row | None = None
    product: Row | None = None
    entry: dict[str, object] | None = None
    verdict: dict[str, object] | None = None
    #: The payment standard the product's specification selects, when the entry publishes several.
    standard: Standard | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: A 追溯码 of an unknown 药品标识码: the caller asks which item it is (``items.link_prefix``).
    needs_item: bool = False
    #: The store item's 对码 is set (applied or confirmed): a sale may name the item itself.
    mapped: bool = False

    def sale_line(self) -> SaleLine | None:
        """What this scan adds to a sale; None when it names no entry (``message`` says why)."""
        if self.entry is None or self.product is None:
            return None
        item, product = self.item, self.product
        return SaleLine(
            item_id=str(item["id"]) if item is not None and self.mapped else None,
            product_code=str(product["code"]),
            name=str((item and item["name"]) or product["registered_name"] or product["insurance_name"] or ""),
            # The product's spec chooses the payment standard (request.resolve): the one staff read too.
            spec=product["spec"] or product["registered_spec"] or (item and item["spec"]) or None,
            manufacturer=product["manufacturer"] or (item and item["manufacturer"]) or None,
            price=_price(item["price"]) if item is not None else None,
            trace_code=self.code.value if self.code.kind == codes.TRACE else None,
        )

    @property
    def entry_id(self) -> str | None:
        return str(self.entry["id"]) if self.entry else None

    def to_json(self) -> dict[str, object]:
        item = self.item
        product = self.product
        return {
            "input": self.code.value,
            "kind": self.code.kind,
            "kind_label": self.code.label,
            "valid": self.code.valid,
            "trace_prefix": self.code.prefix,
            "item": None
            if item is None
            else {
                k: item[k] for k in ("id", "name", "generic_name", "spec", "manufacturer", "barcode", "price", "unit")
            },
            "product": None
            if product is None
            else {
                k: product[k]
                for k in (
                    "code",
                    "registered_name",
                    "brand",
                    "form",
                    "spec",
                    "pack_quantity",
                    "pack_unit",
                    "manufacturer",
                    "approval_no",
                    "standard_code",
                    "class",
                    "insurance_name",
                )
            }
            | {"price": item["price"] if item else None},
            "entry": self.entry,
            "verdict": self.verdict,
            "standard": self.standard,
            "message": self.message,
            "warnings": self.warnings,
            "needs_item": self.needs_item,
        }


def _norm(spec: str | None) -> str:
    return re.sub(r"[\s()（）]", "", spec or "").lower()


def choose_standard(standards: list[Standard], spec: str | None) -> Standard | None:
    """The payment standard whose spec matches the product's; the only one when there is one.

    >>> ten = Standard(amount="3.5", spec="10mg", confidential=False)
    >>> choose_standard([ten, Standard(amount="6", spec="20mg", confidential=False)], "20mg*7片")
    {'amount': '6', 'spec': '20mg', 'confidential': False}
    """
    if not standards:
        return None
    if len(standards) == 1:
        return standards[0]
    want = _norm(spec)
    if not want:
        return None
    hits = [s for s in standards if s.get("spec") and (_norm(s["spec"]) in want or want in _norm(s["spec"]))]
    return hits[0] if len(hits) == 1 else None


class Scanner:
    def __init__(self, db: Database) -> None:
        self.db = db

    def scan(
        self,
        text: str,
        *,
        day: date | None = None,
        profile: str = "national",
        insurance: str = "employee",
    ) -> ScanResult:
        code = codes.recognise(text)
        result = ScanResult(code)
        if code.kind == codes.UNKNOWN:
            result.message = code.problem or f"“{text.strip()}”不是条形码、本位码、追溯码或医保药品代码。"
            return result
        if code.problem:
            result.message = code.problem
            return result
        db = self.db
        item: Row | None = None
        product: Row | None = None
        if code.kind == codes.EAN13:
            item = sp.item_by_barcode(db, code.value)
            if item is None:
                result.message = (
                    f"条形码 {code.value} 不在本店商品清单中。医保目录按通用名收录，不含商品条码："
                    "请导入本店商品清单（yaomu items import），或按药品名称搜索。"
                )
                return result
        elif code.kind == codes.TRACE:
            prefix = code.prefix
            assert prefix is not None  # every 追溯码 carries its 药品标识码
            item = sp.item_by_trace_prefix(db, prefix)
            if item is None:
                result.needs_item = True
                result.message = f"追溯码的药品标识码 {prefix} 尚未对应本店商品：请选择这盒药对应的商品（只需一次）。"
                return result
        elif code.kind == codes.STANDARD:
            item = sp.item_by_standard_code(db, code.value)
            if item is None:
                product = sp.product_by_standard_code(db, code.value)
                if product is not None:
                    item = sp.item_of_product(db, product["code"])
        else:  # insurance code
            product = sp.product_by_code(db, code.value)
            item = sp.item_of_product(db, code.value)
        result.item = item
        if item is not None:
            m = sp.match_of(db, item["id"])
            if m is None or m["status"] == "suggested":
                if product is None:
                    result.message = f"商品“{item['name']}”（{item['id']}）尚未对码" + (
                        f"：建议对码 {m['product_code']}（{m['reason']}），请在对码界面确认。"
                        if m
                        else "，请在对码界面对码。"
                    )
                    return result
                result.warnings.append(f"商品“{item['name']}”尚未确认对码；以下按扫描的号码所指药品回答。")
            else:
                result.mapped = True
                if m["stale"]:
                    result.warnings.append(f"对码需复核：{m['stale']}。")
                product = sp.product_by_code(db, m["product_code"]) or product
        if product is None:
            what = "本位码" if code.kind == codes.STANDARD else code.label
            result.message = f"药品库中没有{what} {code.value}：请导入医保药品分类与代码（yaomu products import）。"
            return result
        result.product = product
        if not product["entry_key"]:
            result.message = (
                f"医保药品代码 {product['code']} 未能对应到目录条目：{product['link_problem'] or '请核对'}。"
            )
            return result
        if product["link_problem"]:
            result.warnings.append(f"药品库与目录不一致：{product['link_problem']}。")
        choice = store.edition_on(db, day or date.today())
        entry_row = None
        if choice.edition is not None:
            entry_row = sp.entry_row_by_key(db, choice.edition.id, product["entry_key"])
        if entry_row is None:
            label = choice.edition.label if choice.edition else "目录"
            result.message = (
                f"{product['insurance_name'] or product['registered_name']} 不在 {label} 中（已调出或未收录）。"
            )
            return result
        entry = store.row_to_entry(entry_row)
        result.entry = entry.to_json()
        standards = [
            Standard(amount=s.amount, spec=s.spec, confidential=s.confidential) for s in entry.payment_standards
        ]
        result.standard = choose_standard(standards, product["spec"] or product["registered_spec"])
        from desktop.rules import service

        result.verdict = service.check(db, entry.id, choice.day, profile, insurance).to_json()
        return result


def scan(
    db: Database,
    text: str,
    *,
    day: date | None = None,
    profile: str = "national",
    insurance: str = "employee",
) -> ScanResult:
    return Scanner(db).scan(text, day=day, profile=profile, insurance=insurance)


def looks_like_code(text: str) -> bool:
    """Digits a scanner types (13, 14 or 20) or an insurance code: the search box hands these to ``scan``."""
    value = re.sub(r"\s", "", text).upper()
    return (value.isdigit() and len(value) >= 13) or bool(codes.INSURANCE_CODE.fullmatch(value))


__all__ = [
    "Row",
    "SaleLine",
    "ScanResult",
    "Scanner",
    "Standard",
    "choose_standard",
    "items",
    "looks_like_code",
    "scan",
]
