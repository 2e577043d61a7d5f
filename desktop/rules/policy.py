"""Policy profiles: load, validate and query the per-region parameters shipped in resources/policies/.

A profile is data, not code. Each parameter says what it is (``first_self_pay``,
``fund_ratio``, ``deductible``, ``cap``), when it applies (selectors on insurance,
patient group, channel, drug class, section and the overlay lists naming the drug), from
when to when, and which notice states it (file + verbatim quote). A parameter no notice
states is absent: the pharmacy sets it in its settings or the request supplies it.

How a parameter is chosen (``Profile.lookup``): among the parameters active on the day
whose selectors all match, the most specific one (most selectors) wins; on a tie the
region's own profile beats the one it extends. Example with the shipped Jilin profile::

    employee, general,  dual_channel, 乙  -> first_self_pay 0.20  (吉医保联〔2021〕26号)
    resident, dibao,    dual_channel, 乙  -> first_self_pay 0.20
    employee, general,  outpatient,   乙  -> none: the pharmacy must supply it
    employee, general,  dual_channel, 甲  -> first_self_pay 0 (national, fixed)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar

import jsonschema

from desktop import paths
from desktop.errors import UserFacingError
from desktop.rules.labels import CHANNELS as CHANNELS  # re-exported: policy is where callers find the vocabulary
from desktop.rules.labels import CONDITIONS as CONDITIONS
from desktop.rules.labels import GROUPS as GROUPS
from desktop.rules.labels import INSURANCES as INSURANCES
from desktop.rules.labels import PARAMETERS as PARAMETERS
from desktop.rules.lists import Revision

#: A profile keeps at most this many answers (``Profile._answer``) before it starts afresh.
_MAX_ANSWERS = 4096

_A = TypeVar("_A")

SELECTORS = ("insurance", "group", "channel", "class", "section", "listed_in", "not_listed_in")


@dataclass(frozen=True)
class Selectors:
    """What a rule's ``when`` is matched against: one drug of one request (see ``SELECTORS``)."""

    insurance: str
    group: str
    channel: str
    drug_class: str | None  # the class the fund pays it as ("class" in profiles)
    section: str | None
    listed_in: frozenset[str] = frozenset()

    def get(self, key: str) -> object:
        return self.drug_class if key == "class" else getattr(self, key, None)


#: A rule context: ``Selectors``, or a mapping with the same keys.
SelectorSource = Selectors | Mapping[str, object]


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: a notice (file, document number, title) and a verbatim quote."""

    file: str
    document: str | None
    title: str
    quote: str
    clause: str | None = None

    @property
    def label(self) -> str:
        """Short citation for staff, e.g. "吉医保联〔2021〕26号 二（三）"."""
        name = self.document or self.title
        return f"{name} {self.clause}" if self.clause else name


@dataclass(frozen=True)
class Rule:
    """A parameter or a requirement of a profile, with its selectors, dates and source."""

    name: str  # parameter name, or the condition code of a requirement
    value: str | None  # decimal string for parameters; None for requirements
    when: dict[str, tuple[str, ...]]
    start: date
    end: date | None
    source: Source
    profile: str
    fixed: bool = False
    text: str | None = None  # requirement text / parameter note
    note: str | None = None

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def matches(self, ctx: SelectorSource) -> bool:
        """Every selector matches the context; ``listed_in`` needs one of its lists to name the drug."""
        for key, allowed in self.when.items():
            value = ctx.get(key)
            if key in ("listed_in", "not_listed_in"):
                value = ctx.get("listed_in")
                listed = value if isinstance(value, (set, frozenset, tuple, list)) else ()
                if (key == "listed_in") != any(kind in listed for kind in allowed):
                    return False
            elif value not in allowed:
                return False
        return True

    @property
    def decimal(self) -> Decimal:
        assert self.value is not None
        return Decimal(self.value)


@dataclass(frozen=True)
class Profile:
    """A region's policy: its rules and those of the profile it extends."""

    id: str
    label: str
    region: str
    parameters: tuple[Rule, ...]
    requirements: tuple[Rule, ...]
    notes: tuple[Rule, ...] = ()
    dual_channel_lists: tuple[str, ...] = ("dual_channel",)
    chain: tuple[str, ...] = field(default=())  # this profile first, then what it extends
    #: How often the region revises its lists, per overlay kind (a notice says so).
    revisions: tuple[tuple[str, Revision], ...] = ()
    #: Every negotiated drug in its agreement is a dual-channel drug here (the citation), e.g. Weihai 004 一(一).
    all_negotiated_dual: str | None = None
    #: The region's per-drug first self-pay list (title, citation), e.g. Hunan's 自付比例 column.
    self_pay_list: tuple[str, str] | None = None

    def revision(self, kinds: tuple[str, ...]) -> Revision | None:
        """The revision interval of the region's lists of these kinds, None when no notice states one."""
        return next((rev for kind, rev in self.revisions if kind in kinds), None)

    def lookup(self, name: str, day: date, ctx: SelectorSource, *, fixed_only: bool = False) -> Rule | None:
        """The parameter ``name`` that applies on ``day`` in ``ctx``, or None when no source states it.

        Args:
            fixed_only: consider only rules of the catalogue itself, which no request overrides.
        """
        return self._answer(("lookup", name, fixed_only), day, ctx, lambda: self._lookup(name, day, ctx, fixed_only))

    def _lookup(self, name: str, day: date, ctx: SelectorSource, fixed_only: bool) -> Rule | None:
        for rule in self._ranked.get(name, ()):
            if (not fixed_only or rule.fixed) and rule.active_on(day) and rule.matches(ctx):
                return rule
        return None

    def _answer(self, question: tuple[object, ...], day: date, ctx: SelectorSource, compute: Callable[[], _A]) -> _A:
        """``compute()``, kept for a ``Selectors`` context: a profile never changes, so neither does the
        answer of a question about it (a mapping context is answered afresh: it need not be hashable)."""
        if not isinstance(ctx, Selectors):
            return compute()
        # A plain tuple of the selectors' fields: hashed and compared in C (the dataclass's own are Python).
        key = (*question, day, ctx.insurance, ctx.group, ctx.channel, ctx.drug_class, ctx.section, ctx.listed_in)
        answers = self._answers
        try:
            found: _A = answers[key]
        except KeyError:
            if len(answers) > _MAX_ANSWERS:
                answers.clear()
            found = answers[key] = compute()
        return found

    @cached_property
    def _answers(self) -> dict[tuple[object, ...], Any]:
        return {}

    @cached_property
    def _ranked(self) -> dict[str, tuple[Rule, ...]]:
        """The parameters by name, most specific first: more selectors = more specific; on a tie the
        region's own rule beats an inherited one, then the profile's order (the first one stated wins)."""
        by_name: dict[str, list[Rule]] = {}
        for rule in self.parameters:
            by_name.setdefault(rule.name, []).append(rule)
        return {
            name: tuple(sorted(rules, key=lambda rule: (-len(rule.when), self.chain.index(rule.profile))))
            for name, rules in by_name.items()
        }

    def requirements_for(self, day: date, ctx: SelectorSource) -> list[Rule]:
        """Requirements (conditions to confirm) active on ``day`` that match ``ctx``, one per condition."""
        return list(self._answer(("requirements",), day, ctx, lambda: self._requirements_for(day, ctx)))

    def _requirements_for(self, day: date, ctx: SelectorSource) -> tuple[Rule, ...]:
        seen: dict[str, Rule] = {}
        for rule in self.requirements:
            if rule.active_on(day) and rule.matches(ctx) and rule.name not in seen:
                seen[rule.name] = rule
        return tuple(seen.values())

    def notes_on(self, day: date) -> list[Rule]:
        return [n for n in self.notes if n.active_on(day)]

    @cached_property
    def answer_notes(self) -> bool:
        """The profile has notes shown with the answers their selectors match."""
        return any(n.when for n in self.notes)

    def notes_for(self, day: date, ctx: SelectorSource) -> list[Rule]:
        """The notes that concern an answer in ``ctx`` on ``day`` (those with selectors that match)."""
        return list(self._answer(("notes",), day, ctx, lambda: self._notes_for(day, ctx)))

    def _notes_for(self, day: date, ctx: SelectorSource) -> tuple[Rule, ...]:
        return tuple(n for n in self.notes if n.when and n.active_on(day) and n.matches(ctx))


class PolicyError(UserFacingError):
    """A policy profile file is missing or does not follow resources/policies/schema.json."""


def policies_dir() -> Path:
    return paths.resource_path("policies")


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((policies_dir() / "schema.json").read_text(encoding="utf-8"))
    return schema


def validate(data: dict[str, Any], name: str = "profile") -> None:
    """Validate a profile document against the schema.

    Raises:
        PolicyError: with the first schema violation, in Chinese.
    """
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "（根）"
        raise PolicyError(
            f"政策配置文件 {name} 不符合格式要求：位置 {where}：{err.message}",
            hint="请恢复随程序发布的政策文件，或联系维护人员。",
        )
    for key in ("parameters", "requirements", "notes", "list_revisions"):
        for i, item in enumerate(data.get(key, [])):
            notice = item["source"]["notice"]
            if notice not in data["sources"]:
                raise PolicyError(f"政策配置文件 {name} 的 {key}/{i} 引用了未登记的来源 {notice}。")


def available() -> list[str]:
    """Ids of the shipped profiles."""
    return list(_available())


@cache
def _available() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in policies_dir().glob("*.json") if p.stem != "schema"))


def _read(profile_id: str) -> dict[str, Any]:
    path = policies_dir() / f"{profile_id}.json"
    if profile_id == "schema" or not path.is_file():
        raise PolicyError(
            f"没有名为“{profile_id}”的政策配置。",
            hint=f"可选：{'、'.join(available())}。",
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    validate(data, path.name)
    if data["id"] != profile_id:
        raise PolicyError(f"政策配置文件 {path.name} 的 id 为“{data['id']}”，与文件名不符。")
    return data


def _rules(data: dict[str, Any], key: str) -> list[Rule]:
    out = []
    for item in data.get(key, []):
        notice = data["sources"][item["source"]["notice"]]
        source = Source(
            file=notice["file"],
            document=notice.get("document"),
            title=notice["title"],
            quote=item["source"]["quote"],
            clause=item["source"].get("clause"),
        )
        out.append(
            Rule(
                name=item.get("name") or item.get("condition") or "note",
                value=item.get("value"),
                when={k: tuple(v) for k, v in item.get("when", {}).items()},
                start=date.fromisoformat(item.get("start", "1900-01-01")),
                end=date.fromisoformat(item["end"]) if item.get("end") else None,
                source=source,
                profile=data["id"],
                fixed=bool(item.get("fixed", False)),
                text=item.get("text"),
                note=item.get("note"),
            )
        )
    return out


@cache
def load(profile_id: str) -> Profile:
    """Load a shipped profile with the profiles it extends.

    Raises:
        PolicyError: unknown profile, a file that breaks the schema, or a cycle of ``extends``.
    """
    chain: list[dict[str, Any]] = []
    current: str | None = profile_id
    while current:
        if any(d["id"] == current for d in chain):
            raise PolicyError(f"政策配置“{profile_id}”的继承关系成环（{current}）。")
        data = _read(current)
        chain.append(data)
        current = data.get("extends")
    own = chain[0]
    return Profile(
        id=own["id"],
        label=own["label"],
        region=own["region"],
        parameters=tuple(r for d in chain for r in _rules(d, "parameters")),
        requirements=tuple(r for d in chain for r in _rules(d, "requirements")),
        notes=tuple(r for d in chain for r in _rules(d, "notes")),
        dual_channel_lists=tuple(own.get("dual_channel_lists", ["dual_channel"])),
        chain=tuple(d["id"] for d in chain),
        revisions=tuple(_revisions(own)),
        all_negotiated_dual=_label(own, own.get("dual_channel_all_negotiated")),
        self_pay_list=(own["self_pay_ratio_list"]["title"], _label(own, own["self_pay_ratio_list"]) or "")
        if own.get("self_pay_ratio_list")
        else None,
    )


def _label(data: dict[str, Any], item: dict[str, Any] | None) -> str | None:
    if not item:
        return None
    notice = data["sources"][item["source"]["notice"]]
    return Source(
        notice["file"], notice.get("document"), notice["title"], item["source"]["quote"], item["source"].get("clause")
    ).label


def _revisions(data: dict[str, Any]) -> list[tuple[str, Revision]]:
    out = []
    for item in data.get("list_revisions", []):
        notice = data["sources"][item["source"]["notice"]]
        source = Source(
            notice["file"],
            notice.get("document"),
            notice["title"],
            item["source"]["quote"],
            item["source"].get("clause"),
        )
        out.append((item["kind"], Revision(int(item["months"]), item["text"], source.label)))
    return out
