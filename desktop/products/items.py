"""The pharmacy's own items (its POS/ERP product list) and their 对码 to national products.

Matching, in order, each with its reason and confidence:

1. 医保药品代码 given by the store and present in the product database (exact, applied);
2. 药品本位码 naming one product (with the item's spec when it names several; exact, applied);
3. 批准文号 + 规格 naming one product (exact, applied);
4. otherwise a suggestion by name + spec + manufacturer (rapidfuzz), which a person confirms.

Only exact matches apply without a person. ``recheck`` runs after every product or catalogue
update and marks a mapping stale when its code was removed or replaced (曾用码), a product field
that matters at the counter or at settlement changed (``COUNTER_FIELDS``: not 市场状态 or 备注
alone), the product now links to another entry, its entry left the catalogue in force, or the
entry's class, restriction or standard changed; a stale mapping is listed, and the counter says
so instead of answering silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlite_utils import Database

from desktop.errors import NotFound, RequestError, SourceFormatError, UserFacingError
from desktop.products import codes
from desktop.products.adapters import TOTAL_COLUMNS, Problem, _cell, _csv_rows
from desktop.storage import catalogue as store
from desktop.storage import products as product_store
from desktop.storage.products import Row

#: Header spellings of POS/ERP exports -> field (compared without spaces, case-insensitive).
HEADERS = {
    "id": ("商品编码", "商品编号", "商品代码", "药品编码", "药品编号", "货号", "商品ID", "编码", "自编码", "内码"),
    "name": ("商品名称", "品名", "药品名称", "名称", "商品名"),
    "generic_name": ("通用名", "通用名称", "药品通用名", "通用名称(中文)"),
    "spec": ("规格", "规格型号", "药品规格", "包装规格"),
    "manufacturer": ("生产企业", "生产厂家", "厂家", "生产厂商", "厂商", "产地", "生产单位"),
    "approval_no": ("批准文号", "批文", "批文号", "国药准字"),
    "barcode": ("条形码", "条码", "商品条码", "国际条码", "EAN", "EAN13", "条码号"),
    "price": ("零售价", "售价", "零售价格", "单价", "价格", "销售价"),
    "unit": ("单位", "销售单位", "包装单位", "计量单位"),
    "insurance_code": ("医保药品代码", "医保编码", "医保代码", "医保药品编码", "国家医保编码", "医保贯标码", "贯标码"),
    "standard_code": ("本位码", "药品本位码"),
}
FIELD_LABELS = {
    "id": "商品编码",
    "name": "商品名称",
    "generic_name": "通用名",
    "spec": "规格",
    "manufacturer": "生产企业",
    "approval_no": "批准文号",
    "barcode": "条形码",
    "price": "零售价",
    "unit": "单位",
    "insurance_code": "医保药品代码",
    "standard_code": "本位码",
}
METHOD_LABELS = {
    "insurance_code": "医保药品代码一致",
    "standard_code": "本位码一致",
    "approval_spec": "批准文号和规格一致",
    "fuzzy": "名称、规格、厂家相近",
    "manual": "人工对码",
}
#: A fuzzy suggestion below this score is not offered.
SUGGEST_MIN = 60


def _key(text: str) -> str:
    return re.sub(r"[\s_（）()]", "", text).upper()


_LOOKUP = {_key(h): f for f, names in HEADERS.items() for h in names}


@dataclass
class ItemsReport:
    source: str
    mapping: dict[str, str]
    ignored_columns: list[str]
    rows_read: int = 0
    imported: int = 0
    problems: list[Problem] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)
    suggested: int = 0
    unmatched: int = 0
    kept: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "mapping": self.mapping,
            "ignored_columns": self.ignored_columns,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "rows_bad": len(self.problems),
            "problems": [p.to_json() for p in self.problems],
            "applied": self.applied,
            "suggested": self.suggested,
            "unmatched": self.unmatched,
            "kept": self.kept,
        }


def _rows(path: Path) -> Sequence[Sequence[object]]:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_path(str(path))
        except Exception as err:  # damaged workbook: calamine's own error types
            raise SourceFormatError(f"无法读取工作簿“{path.name}”：{err}。") from None
        return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    if path.suffix.lower() in (".csv", ".txt"):
        return _csv_rows(path)
    raise SourceFormatError(f"无法识别文件“{path.name}”的格式：请导出为 .csv 或 .xlsx。")


def header_mapping(header: Sequence[object]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Column index -> field, the mapping as staff read it (header -> field label), and unknown headers."""
    by_index: dict[int, str] = {}
    shown: dict[str, str] = {}
    ignored: list[str] = []
    for i, cell in enumerate(header):
        title = _cell(cell) or ""
        f = _LOOKUP.get(_key(title))
        if f and f not in by_index.values():
            by_index[i] = f
            shown[title] = FIELD_LABELS[f]
        elif title:
            ignored.append(title)
    return by_index, shown, ignored


def _price(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        value = Decimal(text.replace("¥", "").replace("元", "").replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"零售价“{text}”不是金额") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"零售价“{text}”无效")
    return str(value.quantize(Decimal("0.01")))


def import_file(db: Database, path: Path | str) -> ItemsReport:
    """Read the store's list and match every item. Bad rows are reported; the database changes atomically."""
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError(f"找不到文件“{path}”，请检查路径。")
    rows = _rows(path)
    if not rows:
        raise SourceFormatError(f"文件“{path.name}”是空的。")
    by_index, shown, ignored = header_mapping(rows[0])
    fields = set(by_index.values())
    missing = [FIELD_LABELS[f] for f in ("id", "name") if f not in fields]
    if missing:
        raise SourceFormatError(
            f"文件“{path.name}”的表头中找不到{'、'.join(missing)}列（识别到：{'、'.join(shown) or '无'}）。",
            hint="请确认第一行是表头，或把列名改为 商品编码、商品名称、通用名、规格、生产企业、批准文号、"
            "条形码、零售价。",
        )
    report = ItemsReport(path.name, shown, ignored)
    good: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    now = datetime.now().isoformat(timespec="seconds")
    for line, raw in enumerate(rows[1:], start=2):
        if not any(c not in (None, "") for c in raw):
            continue
        report.rows_read += 1
        item: dict[str, object] = {f: (_cell(raw[i]) if i < len(raw) else None) for i, f in by_index.items()}
        problem = _check_item(item, seen)
        if problem:
            report.problems.append(Problem(line, item.get("id"), problem))  # type: ignore[arg-type]
            continue
        seen[item["id"]] = line  # type: ignore[index]
        item["line"] = line
        item["imported_at"] = now
        good.append(item)
    if not good:
        raise UserFacingError(
            f"文件“{path.name}”中没有可导入的商品（{len(report.problems)} 行有误），数据库未改变。",
            hint="; ".join(f"第 {p.line} 行：{p.reason}" for p in report.problems[:5]),
        )
    cols = ("id", *(f for f in FIELD_LABELS if f != "id"), "line", "imported_at")
    with db.atomic():
        product_store.upsert_items(db, cols, [tuple(item.get(c) for c in cols) for item in good])
        report.imported = len(good)
        matcher = Matcher(db)
        for item in good:
            current = product_store.match_of(db, str(item["id"]))
            if current and current["status"] == "confirmed":
                report.kept += 1
                continue
            m = matcher.match(item)
            if m is None:
                product_store.delete_match(db, str(item["id"]))
                report.unmatched += 1
                continue
            _save(db, str(item["id"]), m)
            if m.status == "applied":
                report.applied[m.method] = report.applied.get(m.method, 0) + 1
            else:
                report.suggested += 1
    return report


def _check_item(item: dict[str, object], seen: dict[str, int]) -> str | None:
    if not item.get("id"):
        return "缺少商品编码。"
    if item["id"] in seen:
        return f"商品编码 {item['id']} 与第 {seen[str(item['id'])]} 行重复。"
    if not item.get("name"):
        item["name"] = item.get("generic_name")
        if not item["name"]:
            return "缺少商品名称。"
    try:
        item["price"] = _price(item.get("price"))  # type: ignore[arg-type]
    except ValueError as err:
        return f"{err}。"
    barcode = item.get("barcode")
    if barcode:
        c = codes.recognise(str(barcode))
        if c.kind == codes.EAN13 and c.valid:
            item["barcode"] = c.value
        else:
            return f"条形码“{barcode}”无效：{c.problem or '应为 13 位数字'}"
    for f, kind in (("insurance_code", codes.INSURANCE), ("standard_code", codes.STANDARD)):
        value = item.get(f)
        if value:
            c = codes.recognise(str(value))
            if c.kind != kind or not c.valid:
                return f"{FIELD_LABELS[f]}“{value}”无效：{c.problem or c.label}。"
            item[f] = c.value
    return None


@dataclass(frozen=True)
class Match:
    product_code: str
    method: str
    confidence: int
    reason: str
    status: str  # 'applied' (exact) or 'suggested'


def _norm_spec(spec: object) -> str:
    return re.sub(r"[\s×xX*:：]", "", str(spec or "")).lower()


def _norm_approval(text: object) -> str:
    return str(text or "").replace(" ", "").upper().removeprefix("国药准字")


class Matcher:
    """Finds an item's product. Holds prepared lookups; cheap per item."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def match(self, item: dict[str, object]) -> Match | None:
        code = item.get("insurance_code")
        if code:
            if product_store.product_by_code(self.db, str(code)) is not None:
                return Match(str(code), "insurance_code", 100, f"医保药品代码 {code} 一致", "applied")
        std = item.get("standard_code")
        if std:
            found = product_store.products_by_standard_code(self.db, str(std))
            if len(found) > 1 and item.get("spec"):
                spec = _norm_spec(item["spec"])
                narrowed = [p for p in found if spec in (_norm_spec(p["spec"]), _norm_spec(p["registered_spec"]))]
                found = narrowed or found
            if len(found) == 1:
                return Match(found[0]["code"], "standard_code", 100, f"本位码 {std} 一致", "applied")
            if found:
                return Match(
                    found[0]["code"], "standard_code", 80, f"本位码 {std} 对应 {len(found)} 个代码，请确认", "suggested"
                )
        approval = _norm_approval(item.get("approval_no"))
        if approval and item.get("spec"):
            spec = _norm_spec(item["spec"])
            found = [
                p
                for p in product_store.products_by_approval(self.db, approval)
                if spec in (_norm_spec(p["spec"]), _norm_spec(p["registered_spec"]))
            ]
            if len(found) == 1:
                return Match(
                    found[0]["code"], "approval_spec", 100, f"批准文号 {approval} 和规格 {item['spec']} 一致", "applied"
                )
        return self.suggest(item)

    def suggest(self, item: dict[str, object]) -> Match | None:
        from rapidfuzz import fuzz, process

        names = [str(n) for n in (item.get("generic_name"), item.get("name")) if n]
        ids: list[int] = []
        for n in names:
            ids += [pid for pid, _ in product_store.matching_ids(self.db, n, 200)]
            if not ids and len(n) > 2:
                ids += [pid for pid, _ in product_store.matching_ids(self.db, n[:2], 200)]
        if not ids:
            return None
        ids = list(dict.fromkeys(ids))[:400]
        rows = product_store.products_for_suggestion(self.db, ids)
        want = " ".join(str(item.get(f) or "") for f in ("generic_name", "name", "spec", "manufacturer"))
        choices = {
            i: " ".join(str(p[f] or "") for f in ("registered_name", "brand", "spec", "manufacturer"))
            for i, p in enumerate(rows)
        }
        best = process.extractOne(want, choices, scorer=fuzz.token_set_ratio)
        if best is None or best[1] < SUGGEST_MIN:
            return None
        p = rows[best[2]]
        return Match(
            p["code"],
            "fuzzy",
            int(best[1]),
            f"名称、规格、厂家相近（{p['registered_name'] or ''} {p['spec'] or ''} {p['manufacturer'] or ''}）",
            "suggested",
        )


# --- mappings and their freshness --------------------------------------------------------------


def _entry_now(db: Database, key: str | None, day: date | None = None) -> Row | None:
    if not key:
        return None
    choice = store.edition_on(db, day or date.today())
    if choice.edition is None:
        return None
    return product_store.entry_row_by_key(db, choice.edition.id, key)


def entry_digest(row: Row | None) -> str | None:
    if row is None:
        return None
    parts = [row["section"], row["class"], row["remark"], row["payment_standard"], row["standards"]]
    return hashlib.blake2b(json.dumps(parts, ensure_ascii=False).encode(), digest_size=10).hexdigest()


#: Product fields whose change makes a store item's 对码 stale, as a pharmacist reviews a mapping: what
#: names the physical product on the shelf (name, form, strength, pack, maker, 批准文号, 本位码), what
#: settlement and the 3301 upload read (pack unit, form, spec, 批准文号), and the fields the product's
#: catalogue entry is found and checked by (医保药品名称, 医保剂型, 编号, 甲乙类). The code itself being
#: removed or replaced (曾用码), and the entry the product links to, are checked apart.
#: Not listed, so a change to them alone leaves the mapping current: 数据来源 (source), 商品名称 (brand:
#: the trade name; the product is still identified by 批准文号/本位码), 包装材质 (material), 药品企业
#: (company), 分包装企业 (sub_packager), 原批准文号 (former_approval_no: history), 上市药品持有人
#: (holder: a licence transfer, same product), 市场状态 (market_status), 备注 (remark), 曾用码 (the
#: product's own former codes) and the edition its 甲乙类 column names (class and 编号 are compared).
COUNTER_FIELDS = (
    "registered_name",  # 注册名称
    "registered_form",  # 注册剂型
    "form",  # 剂型
    "registered_spec",  # 注册规格
    "spec",  # 规格
    "pack_quantity",  # 最小包装数量: how many units one pack sells
    "unit",  # 最小制剂单位
    "pack_unit",  # 最小包装单位
    "manufacturer",  # 生产企业
    "approval_no",  # 批准文号
    "standard_code",  # 药品本位码
    "insurance_name",  # 医保药品名称
    "insurance_form",  # 医保剂型
    "number",  # 编号
    "star",  # 编号 given as ★(n)
    "class",  # 甲乙类
)
#: Changes when COUNTER_FIELDS does: a mapping digested under another list is judged by its row digest once.
_COUNTER_VERSION = "c1:"
_FIELD_TITLES = {f: title for title, f in TOTAL_COLUMNS.items()} | {"class": "甲乙类", "star": "编号"}


def counter_digest(product: Row) -> str:
    """The digest of a stored product's ``COUNTER_FIELDS``."""
    parts = repr(tuple(product[f] for f in COUNTER_FIELDS))  # str, int or None: repr is exact and fast
    return _COUNTER_VERSION + hashlib.blake2b(parts.encode(), digest_size=10).hexdigest()


def _save(db: Database, item_id: str, m: Match) -> None:
    product = product_store.product_by_code(db, m.product_code)
    digest, counter, key = (
        (product["digest"], counter_digest(product), product["entry_key"]) if product else (None, None, None)
    )
    product_store.save_match(
        db,
        [
            item_id,
            m.product_code,
            m.method,
            m.confidence,
            m.reason,
            m.status,
            digest,
            counter,
            key,
            entry_digest(_entry_now(db, key)),
            datetime.now().isoformat(timespec="seconds"),
        ],
    )


_CHANGED = "药品库中该代码的信息已更新，请核对"


def _product_state(m: Row, digest: str, counter: str | None) -> str:
    """'same' (for this mapping), 'changed' (a counter field), or 'unknown' (a mapping made before
    counter digests, whose product row changed since: its change history decides). ``counter`` is
    None when the product's whole row is the mapping's (nothing can have changed)."""
    if counter is None or m["counter_digest"] == counter:
        return "same"
    if _current_counter(m):
        return "changed"
    return "same" if m["product_digest"] == digest else "unknown"


def _current_counter(m: Row) -> bool:
    """Whether the mapping has a counter digest of the current ``COUNTER_FIELDS``."""
    return bool(m["counter_digest"] and m["counter_digest"].startswith(_COUNTER_VERSION))


def _fields_since(m: Row, changes: list[tuple[str, list[str]]]) -> set[str] | None:
    """The fields imports changed since the mapping was made; None when no import says (so unknown)."""
    since = [fields for when, fields in changes if when >= m["matched_at"]]
    return {f for fields in since for f in fields} if since else None


def _changed_reason(fields: set[str] | None) -> str:
    titles = list(dict.fromkeys(_FIELD_TITLES[f] for f in COUNTER_FIELDS if f in (fields or ())))
    return f"药品库中该代码的{'、'.join(titles)}已更新，请核对" if titles else _CHANGED


def _entry_reason(db: Database, m: Row, key: str | None, entries: dict[str, Row | None]) -> str | None:
    """Why the mapping is stale because of the entry its product links to (None: it is not)."""
    if key != m["entry_key"]:
        return "该代码对应的目录条目已改变，请核对"
    if key is None:
        return None
    if key not in entries:
        entries[key] = _entry_now(db, key)
    now = entries[key]
    if now is None:
        return "对应的目录条目已不在现行目录中（已调出或版本更替）"
    if m["entry_digest"] and entry_digest(now) != m["entry_digest"]:
        return "对应目录条目的甲乙类、限定支付范围或支付标准已变更，请核对"
    return None


def recheck(db: Database) -> int:
    """Re-check every mapping against the products and the catalogue in force; returns how many are stale.

    A mapping stays current when its product changed only outside ``COUNTER_FIELDS``; it then stands
    for the product as it is now (its digests are brought up to date).
    """
    mappings = product_store.all_matches(db)
    if not mappings:
        return 0
    replaced = product_store.replaced_codes(db)
    products = product_store.matched_products(db)
    # The counter fields are read only where the whole row differs from the mapping's, or for a mapping
    # made before counter digests: for the others nothing changed, a string comparison says so.
    wanted = [
        m["product_code"]
        for m in mappings
        if m["product_code"] in products
        and (products[m["product_code"]][0] != m["product_digest"] or not _current_counter(m))
    ]
    counters = {
        code: counter_digest(p)
        for code, p in product_store.products_by_code(db, ("code", *COUNTER_FIELDS), wanted).items()
    }
    states = {
        m["item_id"]: _product_state(m, products[m["product_code"]][0], counters.get(m["product_code"]))
        for m in mappings
        if m["product_code"] in products
    }
    asked = sorted({m["product_code"] for m in mappings if states.get(m["item_id"]) in ("changed", "unknown")})
    history = product_store.field_changes(db, asked) if asked else {}
    entries: dict[str, Row | None] = {}
    refresh: list[tuple[str, str | None, str]] = []
    updates: list[tuple[str | None, str]] = []
    for m in mappings:
        code = m["product_code"]
        product = products.get(code)
        reason: str | None
        if product is None:
            new = replaced.get(code)
            reason = (
                f"医保药品代码 {code} 已被 {new} 取代（曾用码），请改对新代码"
                if new
                else f"医保药品代码 {code} 已从药品库删除"
            )
        else:
            state = states[m["item_id"]]
            fields = _fields_since(m, history.get(code, [])) if state != "same" else None
            if state == "unknown" and fields is not None and not fields.intersection(COUNTER_FIELDS):
                state = "same"  # a mapping made before counter digests; its product changed in other fields only
            digest, key = product
            if state == "same":
                reason = _entry_reason(db, m, key, entries)
                if code in counters and (m["counter_digest"], m["product_digest"]) != (counters[code], digest):
                    refresh.append((digest, counters[code], m["item_id"]))
            else:
                reason = _changed_reason(fields)
        if reason != m["stale"]:
            updates.append((reason, m["item_id"]))
    with db.atomic():
        product_store.set_stale(db, updates)
        product_store.set_match_digests(db, refresh)
    return product_store.stale_count(db)


def after_catalogue_update(db: Database) -> int:
    """A catalogue edition or overlay changed: relink every product, re-check every mapping; stale count."""
    if not product_store.any_product(db):
        return recheck(db)
    from desktop.products import link

    with db.atomic():
        link.link(db)
        return recheck(db)


def stale_note(stale: int) -> list[str]:
    """The updates report's line about mappings that need a person (none when all are current)."""
    return [f"{stale} 个本店商品的对码需复核（对码界面或 yaomu items list --stale）。"] if stale else []


# --- review: list, confirm, link, export -------------------------------------------------------


def listing(db: Database, *, unmatched: bool = False, stale: bool = False) -> list[Row]:
    return product_store.item_listing(db, unmatched=unmatched, stale=stale)


def find_items(db: Database, text: str, limit: int = 200) -> list[Row]:
    """Store items whose name, generic name, code or manufacturer contains ``text`` (the item picker)."""
    return product_store.find_items(db, text, limit)


def get_item(db: Database, item_id: str) -> Row:
    row = product_store.item_by_id(db, item_id)
    if row is None:
        raise NotFound(f"本店商品中没有商品编码“{item_id}”。请先导入商品清单（yaomu items import），或核对编码。")
    return row


def confirm(db: Database, item_id: str, code: str) -> Row:
    """A person's 对码: the item is this product (also confirms a suggestion)."""
    get_item(db, item_id)
    c = codes.recognise(code)
    if c.kind != codes.INSURANCE:
        raise RequestError([f"“{code}”不是医保药品代码（西药 X 开头 23 位，中成药 Z 开头 20 位）。"])
    if product_store.product_by_code(db, c.value) is None:
        raise NotFound(f"药品库中没有医保药品代码 {c.value}。请先导入药品库，或核对代码。")
    current = product_store.match_of(db, item_id)
    method = current["method"] if current and current["product_code"] == c.value else "manual"
    with db.atomic():
        _save(db, item_id, Match(c.value, method, 100, "人工确认", "confirmed"))
    saved = product_store.match_of(db, item_id)
    assert saved is not None  # written just above
    return saved


def link_prefix(db: Database, item_id: str, digits: str) -> str:
    """Remember that 追溯码 starting with these 7 digits (药品标识码) are this item."""
    get_item(db, item_id)
    prefix = re.sub(r"\s", "", digits)[: codes.TRACE_PREFIX_LEN]
    if len(prefix) != codes.TRACE_PREFIX_LEN or not prefix.isdigit():
        raise RequestError([f"“{digits}”不是追溯码的前 7 位（药品标识码）：请给出 7 位数字，或整条 20 位追溯码。"])
    with db.atomic():
        product_store.learn_trace_prefix(db, prefix, item_id, datetime.now().isoformat(timespec="seconds"))
    return prefix


#: The columns of the national interface's 3301 upload (目录对照信息上传).
EXPORT_3301 = (
    "fixmedins_hilist_id",
    "fixmedins_hilist_name",
    "list_type",
    "med_list_codg",
    "begndate",
    "enddate",
    "aprvno",
    "dosform",
    "exct_cont",
    "item_cont",
    "prcunt",
    "spec",
    "pacspec",
    "memo",
)


def export_3301(db: Database, out: Path | str, *, day: date | None = None) -> tuple[int, int]:
    """Write confirmed or exact, non-stale mappings in the shape of the 3301 upload; (written, skipped)."""
    out = Path(out)
    rows = product_store.mapped_items(db)
    total = product_store.item_count(db)
    good = [r for r in rows if r["status"] in ("applied", "confirmed") and not r["stale"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(EXPORT_3301)
    begin = (day or date.today()).isoformat()
    for r in good:
        w.writerow(
            [
                r["id"],
                r["name"],
                "101",
                r["product_code"],
                begin,
                "",
                r["approval_no"] or r["papproval"] or "",
                r["form"] or "",
                "",
                "",
                r["unit"] or r["pack_unit"] or "",
                r["spec"] or r["pspec"] or "",
                "",
                "",
            ]
        )
    if out.exists() and out.is_dir():
        raise RequestError([f"“{out}”是文件夹，请给出要写入的 CSV 文件名。"])
    if not out.parent.is_dir():
        raise RequestError([f"文件夹“{out.parent}”不存在，请先创建或换一个位置。"])
    out.write_text(buf.getvalue(), encoding="utf-8-sig")
    return len(good), int(total) - len(good)


ProgressFn = Callable[[int, int], None]
