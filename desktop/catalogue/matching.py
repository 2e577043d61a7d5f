"""Match the drugs a notice names to catalogue entries (凡例 七, 八).

A notice names a drug by its generic name and the catalogue's merged dosage form:
"瑞格列汀（剂型：口服常释）", "二甲双胍（Ⅳ）（剂型：缓释控释）". The catalogue lists the same drugs
under approved names with the form in the name ("磷酸瑞格列汀片", "盐酸二甲双胍缓释片(Ⅳ)"), or
under the generic name with the form in its own column ("二甲双胍 口服常释剂型").

Two rules of the 凡例 decide whether they are the same drug:

* 七: names are compared without their salt or acid radical (盐基、酸根): 盐酸二甲双胍 is 二甲双胍;
  a roman numeral is part of the name (二甲双胍(Ⅳ) is not 二甲双胍).
* 八: Western dosage forms are merged into families (片、胶囊 -> 口服常释剂型; 缓释片 -> 缓释控释剂型 ...).

A notice item with a form matches an entry of that merged form. When no entry of the name has
the notice's form but one of the same route does (乌帕替尼 "口服常释" while the catalogue lists only
乌帕替尼缓释片), the item is applied to it and the answer says that the forms differ.

Pure functions over names and records; no SQL, no Qt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from desktop.catalogue import records as r
from desktop.catalogue.normalise import match_key

#: Salt and acid radicals that open a Western generic name (longest first when matching).
_RADICAL_PREFIXES = tuple(
    sorted(
        (
            "盐酸",
            "氢溴酸",
            "氢碘酸",
            "硫酸",
            "磷酸",
            "硝酸",
            "苯甲酸",
            "马来酸",
            "富马酸",
            "琥珀酸",
            "枸橼酸",
            "酒石酸",
            "甲磺酸",
            "甲苯磺酸",
            "对甲苯磺酸",
            "苯磺酸",
            "乙磺酸",
            "羟乙磺酸",
            "萘磺酸",
            "醋酸",
            "乳酸",
            "草酸",
            "丙二酸",
            "门冬氨酸",
            "脯氨酸",
            "双羟萘酸",
            "帕莫酸",
            "葡甲胺",
        ),
        key=len,
        reverse=True,
    )
)
#: Metal salts at the end of a name ("艾普拉唑钠"); kept when the rest is an acid or a binary salt
#: (丙戊酸钠, 氯化钾: the metal or the acid is then the active part).
_METAL_SUFFIXES = ("钠", "钾", "钙", "镁", "锌")

#: Approved product-form endings and the merged form of 凡例 八 they fall in (longest first).
_FORM_SUFFIXES = tuple(
    sorted(
        (
            ("缓释片", "缓释控释剂型"),
            ("缓释包衣片", "缓释控释剂型"),
            ("控释片", "缓释控释剂型"),
            ("缓释胶囊", "缓释控释剂型"),
            ("控释胶囊", "缓释控释剂型"),
            ("肠溶缓释片", "缓释控释剂型"),
            ("肠溶缓释胶囊", "缓释控释剂型"),
            ("肠溶片", "口服常释剂型"),
            ("肠溶胶囊", "口服常释剂型"),
            ("分散片", "口服常释剂型"),
            ("薄膜衣片", "口服常释剂型"),
            ("包衣片", "口服常释剂型"),
            ("糖衣片", "口服常释剂型"),
            ("咀嚼片", "口服常释剂型"),
            ("软胶囊", "口服常释剂型"),
            ("胶丸", "口服常释剂型"),
            ("胶囊", "口服常释剂型"),
            ("片", "口服常释剂型"),
            ("干混悬剂", "口服液体剂"),
            ("口服混悬液", "口服液体剂"),
            ("口服溶液", "口服液体剂"),
            ("口服乳剂", "口服液体剂"),
            ("口服液", "口服液体剂"),
            ("糖浆", "口服液体剂"),
            ("肠溶颗粒", "颗粒剂"),
            ("颗粒", "颗粒剂"),
            ("滴丸", "丸剂"),
            ("注射用浓溶液", "注射剂"),
            ("注射液", "注射剂"),
            ("注射剂", "注射剂"),
            ("滴眼液", "滴眼剂"),
            ("滴耳液", "滴耳剂"),
            ("滴鼻液", "滴鼻剂"),
            ("乳膏", "软膏剂"),
            ("软膏", "软膏剂"),
            ("凝胶", "凝胶剂"),
            ("透皮贴剂", "贴剂"),
            ("贴剂", "贴剂"),
            ("栓", "栓剂"),
            ("吸入粉雾剂", "吸入剂"),
            ("吸入气雾剂", "吸入剂"),
            ("吸入溶液", "吸入剂"),
            ("气雾剂", "吸入剂"),
            ("粉雾剂", "吸入剂"),
            ("喷雾剂", "吸入剂"),
        ),
        key=lambda p: len(p[0]),
        reverse=True,
    )
)

#: How a notice writes a merged form -> the catalogue's spelling ("口服常释" -> "口服常释剂型").
_NOTICE_FORMS = {"口服常释": "口服常释剂型", "缓释控释": "缓释控释剂型", "口服液体": "口服液体剂"}

#: Route families: a notice's form and the catalogue's form of one family may be the same drug
#: listed under another merged form (then the answer says so); other families never match.
_FAMILIES = {
    "口服常释剂型": "口服",
    "缓释控释剂型": "口服",
    "口服液体剂": "口服",
    "颗粒剂": "口服",
    "丸剂": "口服",
    "口服散剂": "口服",
    "咀嚼片": "口服",
    "口腔崩解片": "口服",
    "注射剂": "注射",
    "微球注射剂": "注射",
    "缓释微球注射剂": "注射",
    "脂质体注射剂": "注射",
    "滴眼剂": "眼用",
    "眼膏剂": "眼用",
    "眼用凝胶剂": "眼用",
}

_ROMAN = re.compile(r"\(([ivx]+)\)")
_WEST_LIKE = (r.WEST, r.NEGOTIATED, r.BIDDING)


def notice_form(form: str | None) -> str | None:
    """The catalogue's spelling of a form as a notice writes it ("口服常释" -> "口服常释剂型")."""
    if not form:
        return None
    text = form.strip().removeprefix("剂型：").removeprefix("剂型:")
    return _NOTICE_FORMS.get(text, text)


def family(form: str | None) -> str | None:
    """The route family of a merged form (口服, 注射, 眼用 ...), None when the form is unknown."""
    if not form:
        return None
    return _FAMILIES.get(form, form)


@lru_cache(maxsize=65536)
def generic_key(name: str) -> str:
    """The comparison key of a generic name without its salt or acid radical (凡例 七).

    >>> generic_key("磷酸瑞格列汀") == generic_key("瑞格列汀")
    True
    >>> generic_key("二甲双胍Ⅳ") == generic_key("二甲双胍（Ⅳ）")
    True
    >>> generic_key("氯化钾") == generic_key("氯化钠")
    False
    """
    key = _ROMAN.sub(r"\1", match_key(name))
    for prefix in _RADICAL_PREFIXES:
        if key.startswith(prefix) and len(key) - len(prefix) >= 2:
            key = key[len(prefix) :]
            break
    head = key.rstrip("ivx")
    tail = key[len(head) :]
    for metal in _METAL_SUFFIXES:
        rest = head[: -len(metal)]
        if head.endswith(metal) and len(rest) >= 3 and not rest.endswith(("酸", "化")):
            key = rest + tail
            break
    return key


@dataclass(frozen=True)
class Reading:
    """A name read as the notices write it: generic names (radicals ignored) and the merged form."""

    generics: tuple[str, ...]  # generic keys (a catalogue row may list several names with "、")
    form: str | None  # merged dosage form, None when unknown


@lru_cache(maxsize=65536)
def read_entry(name: str, dosage_form: str | None, section: str | None) -> Reading:
    """How a catalogue row (or a product named like one) reads as generic name + merged form.

    >>> read_entry("盐酸二甲双胍缓释片(Ⅳ)", None, "西药") == read_entry("二甲双胍（Ⅳ）", "缓释控释剂型", None)
    True
    >>> read_entry("注射用艾普拉唑钠", None, "协议期内谈判药品").form
    '注射剂'
    """
    if dosage_form:
        names = [n for n in re.split("[、，,]", name) if n.strip()]
        return Reading(tuple(dict.fromkeys(generic_key(n) for n in names)), dosage_form)
    base, form = name, None
    if section in _WEST_LIKE or section is None:
        head, paren, tail = name.partition("(") if "(" in name else name.partition("（")
        if head.startswith("注射用") and len(head) > 4:
            base, form = head[3:] + paren + tail, "注射剂"
        else:
            for suffix, merged in _FORM_SUFFIXES:
                if head.endswith(suffix) and len(head) > len(suffix):
                    base, form = head[: -len(suffix)] + paren + tail, merged
                    break
    return Reading((generic_key(base),), form)


@dataclass(frozen=True)
class Match:
    """How a notice item matched an entry: ``exact`` form, any form (``name``: the item gives none),
    or ``family`` (the forms differ; the answer says so in ``note``)."""

    level: str  # 'exact' / 'name' / 'family'
    note: str | None = None


def read_item(name: str, form: str | None) -> Reading:
    """How a notice item reads: its generic name and the merged form it names (or its name implies)."""
    return read_entry(name, notice_form(form), None)


def match(
    item_name: str,
    item_form: str | None,
    entry: Reading,
    siblings: Callable[[], Iterable[Reading]] = tuple,
) -> Match | None:
    """Whether a notice item (name, form as the notice writes it) names the entry read as ``entry``.

    Args:
        siblings: the readings of the entries of the same edition whose names contain the item's
            (called only when the forms differ); a ``family`` match is given only when none of
            them has the notice's form.
    """
    item = read_item(item_name, item_form)
    if not set(item.generics) & set(entry.generics):
        return None
    wanted = notice_form(item_form)
    if not wanted:
        # No form in the notice: the name alone decides (a transition item "环孢素滴眼液(Ⅲ)" reads its form).
        if item.form and entry.form and item.form != entry.form:
            return None
        return Match("name")
    if entry.form == wanted or entry.form is None:
        return Match("exact")
    if family(entry.form) != family(wanted):
        return None
    if any(s.form == wanted and set(s.generics) & set(item.generics) for s in siblings()):
        return None
    return Match(
        "family",
        f"通知所列剂型为“{wanted}”，目录中该药只有“{entry.form}”，按同一药品适用（凡例七、八：通用名相同、剂型合并归类）。",
    )


def core(reading: Reading) -> str:
    """A substring every catalogue spelling of the reading's first name contains (a LIKE pre-filter).

    >>> core(read_entry("盐酸二甲双胍缓释片(Ⅳ)", None, "西药"))
    '二甲双胍'
    """
    key = reading.generics[0] if reading.generics else ""
    return key.split("(")[0].rstrip("ivx") or key


class FactIndex:
    """The overlay items of a region indexed by generic name: most entries need no comparison at all.

    Works on the overlay facts of ``desktop.storage.overlays`` (anything with ``item.name``,
    ``item.dosage_form`` and a ``match_note`` field) without importing storage.
    """

    def __init__(self, facts: Iterable[Any]) -> None:
        self._by_key: dict[str, list[Any]] = {}
        for fact in facts:
            for key in read_item(fact.item.name, fact.item.dosage_form).generics:
                self._by_key.setdefault(key, []).append(fact)

    def facts(
        self,
        name: str,
        dosage_form: str | None,
        section: str | None,
        siblings: Callable[[], Iterable[Reading]] = tuple,
    ) -> list[Any]:
        """The items naming this drug (any date), each with how it matched (``match_note``)."""
        reading = read_entry(name, dosage_form, section)
        out: list[Any] = []
        seen: set[int] = set()
        for key in reading.generics:
            for fact in self._by_key.get(key, ()):
                if id(fact) in seen:
                    continue
                seen.add(id(fact))
                m = match(fact.item.name, fact.item.dosage_form, reading, siblings)
                if m is not None:
                    out.append(replace(fact, match_note=m.note) if m.note else fact)
        return out


def sibling_readings(rows: Iterable[tuple[str, str, str | None, str]]) -> list[Reading]:
    """Readings of (id, name, dosage form, section) rows, for ``match``'s ``siblings``."""
    return [read_entry(name, form, section) for _id, name, form, section in rows]


@dataclass(frozen=True)
class Resolution:
    """What a notice item resolves to in one edition: the entries (id, name, form, how) or why none."""

    entries: tuple[tuple[str, str, str | None, Match], ...]
    reason: str | None = None


def resolve(item_name: str, item_form: str | None, rows: list[tuple[str, str, str | None, str]]) -> Resolution:
    """Resolve a notice item against the candidate rows (id, name, dosage form, section) of an edition.

    ``rows`` should hold every entry whose name contains ``core(read_item(...))``; the reason says
    what was found instead when nothing matches.
    """
    readings = [(row, read_entry(row[1], row[2], row[3])) for row in rows]

    def siblings() -> list[Reading]:
        return [reading for _row, reading in readings]

    found = []
    for row, reading in readings:
        m = match(item_name, item_form, reading, siblings)
        if m is not None:
            found.append((row[0], row[1], reading.form, m))
    if found:
        return Resolution(tuple(found))
    item = read_item(item_name, item_form)
    same = [(row, reading) for row, reading in readings if set(reading.generics) & set(item.generics)]
    if same:
        forms = "、".join(dict.fromkeys(f"{row[1]}（{reading.form or '剂型未列'}）" for row, reading in same))
        return Resolution((), f"通用名相同但剂型不同、不属同一类剂型：{forms}")
    return Resolution((), "该目录中没有这个通用名（凡例七：已忽略盐基、酸根）")
