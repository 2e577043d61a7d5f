"""Link each product to its catalogue entry, and say why when it cannot or when they disagree.

1. By 编号 in the edition the product names (its "2025版甲乙类" column): the entries with that
   编号 (or ★ repeat 编号) in the sections of the code's kind (X: Western, Z: Chinese patent,
   and the negotiated sections), within the code's category; the 医保药品名称 must agree with the
   entry's name (one containing the other), and the 甲乙类 and 医保剂型 are checked against it.
2. Otherwise by name: 医保药品名称 (or 注册名称) equal to an entry's name in the code's category,
   the form agreeing.
3. Otherwise by the code's category + generic-name segments (its first 10 characters): a product
   of the same drug that is linked gives its entry.

The link stores the entry's ``key`` (name | form), which is stable across editions, so the
counter finds the entry of the edition in force on the day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlite_utils import Database

from desktop.catalogue import records as r
from desktop.catalogue.normalise import normalise_name
from desktop.storage import catalogue as store
from desktop.storage import products as sp

#: A row with the fields a link compares: a catalogue entry, or a product (adapter row or stored row).
Row = dict[str, Any]

_SECTIONS = {"X": (r.WEST, r.NEGOTIATED, r.BIDDING), "Z": (r.TCM, r.NEGOTIATED)}
SEGMENT = 10


#: Product form words (from its name or 剂型) -> the catalogue's form family, longest first.
_FORM_WORDS = (
    ("阴道泡腾片", "阴道泡腾片"),
    ("口崩片", "口腔崩解片"),
    ("口腔崩解片", "口腔崩解片"),
    ("缓释片", "缓释控释剂型"),
    ("控释片", "缓释控释剂型"),
    ("缓释胶囊", "缓释控释剂型"),
    ("肠溶片", "口服常释剂型"),
    ("肠溶胶囊", "口服常释剂型"),
    ("分散片", "口服常释剂型"),
    ("咀嚼片", "咀嚼片"),
    ("泡腾片", "泡腾片"),
    ("阴道片", "阴道片"),
    ("软胶囊", "口服常释剂型"),
    ("胶囊", "口服常释剂型"),
    ("片", "口服常释剂型"),
    ("丸", "口服常释剂型"),
    ("注射液", "注射剂"),
    ("注射用", "注射剂"),
    ("注射剂", "注射剂"),
    ("颗粒", "颗粒剂"),
    ("口服液", "口服液体剂"),
    ("口服溶液", "口服液体剂"),
    ("糖浆", "口服液体剂"),
    ("合剂", "口服液体剂"),
    ("混悬液", "口服液体剂"),
    ("栓", "栓剂"),
    ("乳膏", "乳膏剂"),
    ("软膏", "软膏剂"),
    ("滴眼液", "滴眼剂"),
    ("凝胶", "凝胶剂"),
    ("贴", "贴剂"),
    ("散", "散剂"),
)
_FORM_SUFFIXES = tuple(w for w, _ in _FORM_WORDS) + ("剂",)


def _family(form: str | None) -> str:
    form = (form or "").removesuffix("剂型").removesuffix("剂")
    for word, family in _FORM_WORDS:
        if form.endswith(word) or form.startswith(word):
            return family.removesuffix("剂型").removesuffix("剂")
    return form


def _form_agrees(product_form: str | None, entry_form: str | None) -> bool:
    if not product_form or not entry_form:
        return True
    a, b = _family(product_form), _family(entry_form)
    return a == b or a.startswith(b) or b.startswith(a)


def core(name: str) -> str:
    """A drug name without its alternative forms and form word: "盆炎净片(胶囊、颗粒、口服液)" -> "盆炎净".

    >>> core("盆炎净片(胶囊、颗粒、口服液)"), core("盆炎净胶囊"), core("阿莫西林")
    ('盆炎净', '盆炎净', '阿莫西林')
    """
    if name.endswith(")") and "、" in name:
        name = name[: name.rfind("(")]
    for suffix in _FORM_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _names_agree(name: str | None, entry: Row) -> bool:
    if not name:
        return True
    n = normalise_name(name)
    if not n:
        return False
    if n == entry["name"] or entry["name"] in n or n in entry["name"]:
        return True
    a, b = core(n), core(entry["name"])
    return a == b or a.startswith(b) or b.startswith(a)


def _category_agrees(code: str, entry: Row) -> bool:
    cat = entry["category_code"]
    return not cat or code.startswith(cat) or cat.startswith(code[:6])


class _Edition:
    def __init__(self, db: Database, edition_id: int) -> None:
        self.by_number: dict[int, list[Row]] = defaultdict(list)
        self.by_name: dict[str, list[Row]] = defaultdict(list)
        self.by_core: dict[str, list[Row]] = defaultdict(list)
        for row in sp.entries_for_linking(db, edition_id):
            if row["number"] is not None:
                self.by_number[row["number"]].append(row)
            if row["star_of"] is not None:
                self.by_number[row["star_of"]].append(row)
            self.by_name[row["name"]].append(row)
            self.by_core[core(row["name"])].append(row)


def _choose(rows: list[Row], p: Row, name: str | None = None) -> Row | None:
    """The entry among ``rows`` of the code's kind and category whose form agrees (the first when
    the product states no form); None when forms are stated and none agrees."""
    kinds = _SECTIONS.get(p["code"][0], ())
    fits = [e for e in rows if e["section"] in kinds and _category_agrees(p["code"], e)]
    form = p["insurance_form"] or p["form"] or name
    return next((e for e in fits if _form_agrees(form, e["dosage_form"])), None)


def _link_one(ed: _Edition, p: Row) -> tuple[str | None, str | None, str | None]:
    """(entry key, method, problem) for one product."""
    problem = None
    if p["number"] is not None:
        e = _choose(ed.by_number.get(p["number"], []), p)
        if e is not None and _names_agree(p["insurance_name"], e):
            issues = []
            if p["class"] and e["class"] and p["class"] != e["class"]:
                issues.append(f"甲乙类为{p['class']}，目录为{e['class']}")
            if p["insurance_form"] and e["dosage_form"] and not _form_agrees(p["insurance_form"], e["dosage_form"]):
                issues.append(f"医保剂型为{p['insurance_form']}，目录为{e['dosage_form']}")
            msg = f"与目录条目“{e['name']}”不一致：" + "；".join(issues) if issues else None
            return e["key"], "number", msg
        if e is not None:
            problem = f"编号 {p['number']} 的目录条目为“{e['name']}”，与医保药品名称“{p['insurance_name']}”不一致"
        else:
            problem = f"所注版本目录中没有编号 {p['number']} 的{'西药' if p['code'][0] == 'X' else '中成药'}条目"
    for name in (p["insurance_name"], p["registered_name"]):
        if not name:
            continue
        n = normalise_name(name)
        e = _choose(ed.by_name.get(n, []), p, name)
        if e is None:
            e = _choose(ed.by_core.get(core(n), []), p, name)
        if e is not None:
            return e["key"], "name", problem
    return None, None, problem


Link = tuple[str | None, str | None, str | None]  # (entry key, method, problem)
UNLINKED = "未能对应到目录条目（编号、名称和代码段均无匹配）"


def link_rows(db: Database, rows: list[Row]) -> dict[str, Link]:
    """code -> link for product rows (adapter rows or stored rows), before or after they are stored.

    Products of one drug share their link fields, so each distinct combination is decided once.
    """
    eds = {e.name: e.id for e in store.editions(db, details=False)}
    if not eds:
        return {p["code"]: (None, None, "尚未导入医保目录") for p in rows}
    today = store.edition_on(db, date.today()).edition
    default = today.id if today else max(eds.values())
    cache: dict[int, _Edition] = {}
    memo: dict[tuple[object, ...], Link] = {}
    out: dict[str, Link] = {}
    pending: list[Row] = []
    for p in rows:
        number = p["number"]
        sig = (p["code"][:6], p["insurance_name"], p["registered_name"], p["insurance_form"], p["form"],
               p["class"], number, p["edition"])  # fmt: skip
        found = memo.get(sig)
        if found is None:
            eid = eds.get(p["edition"] or "", default)
            ed = cache.get(eid) or cache.setdefault(eid, _Edition(db, eid))
            q = p if number is None or isinstance(number, int) else {**p, "number": int(number)}
            found = memo[sig] = _link_one(ed, q)
        out[p["code"]] = found
        if found[0] is None:
            pending.append(p)
    if pending:
        wanted = {p["code"][:SEGMENT] for p in pending}
        segments: dict[str, str] = {}
        for code, (key, method, _) in out.items():
            if key and method in ("number", "name") and code[:SEGMENT] in wanted:
                segments.setdefault(code[:SEGMENT], key)
        if any(s not in segments for s in wanted):
            for code, key in sp.linked_codes(db):
                if code[:SEGMENT] in wanted:
                    segments.setdefault(code[:SEGMENT], key)
        for p in pending:
            problem = out[p["code"]][2]
            key = segments.get(p["code"][:SEGMENT])
            out[p["code"]] = (key, "segment", problem) if key else (None, None, problem or UNLINKED)
    return out


def link(db: Database, ids: list[int] | None = None) -> None:
    """(Re)link stored products (all when ``ids`` is None), e.g. after a catalogue update or a rollback."""
    rows = sp.products_to_link(db, ids)
    links = link_rows(db, rows)
    sp.set_links(db, [(*links[p["code"]], p["id"]) for p in rows])


def counts(db: Database) -> tuple[int, int]:
    """(products linked to nothing, products linked to an entry that disagrees)."""
    return sp.link_counts(db)


def report(db: Database, limit: int | None = None) -> list[Row]:
    """Every product that links to nothing or to an entry that disagrees, with the reason."""
    return sp.link_report(db, limit)
