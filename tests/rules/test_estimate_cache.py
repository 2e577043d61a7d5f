"""The speed-ups of issue #10 change no answer: caches warm or cold, policy answers indexed or scanned.

``estimate``/``check`` read entries, editions and overlays through per-connection caches and ask the
policy profile through an index with kept answers. Here every answer is compared with the one given
with every cache dropped first, and every policy answer with the plain scan the profile used to make.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import date
from pathlib import Path

import pytest

from desktop.errors import UserFacingError
from desktop.rules import confidential as conf
from desktop.rules import labels, policy, service
from desktop.rules.contract import AMOUNT_FIELDS, Amounts
from desktop.settings import Settings
from desktop.storage import catalogue as store
from desktop.storage import memo

DAYS = [date(2024, 6, 1), date(2025, 3, 1), date(2025, 12, 31), date(2026, 1, 1), date(2026, 9, 1)]


def _requests(db, n: int, seed: int) -> list[dict]:  # noqa: ANN001 - a sqlite-utils Database
    """Varied baskets of real entries of both editions (any section, "*" lines, what-if lines)."""
    rng = random.Random(seed)
    ids = [row[0] for row in db.execute("select id from entry order by pk")]
    out = []
    for _ in range(n):
        items: list[dict] = [
            {
                "entry": rng.choice(ids),
                "unit_price": f"{rng.randint(1, 50000) / 100:.2f}",
                "quantity": rng.randint(1, 9),
                "confirmed": rng.sample(list(labels.CONDITIONS), rng.randint(0, 3)),
            }
            for _ in range(rng.choice([1, 5, 20]))
        ]
        if rng.random() < 0.2:
            items.append({"name": "环孢素滴眼液(Ⅲ)", "unit_price": "20.00", "quantity": 1})
        out.append(
            {
                "date": rng.choice(DAYS).isoformat(),
                "profile": rng.choice(policy.available()),
                "insurance": rng.choice(list(labels.INSURANCES)),
                "patient_group": rng.choice(list(labels.GROUPS)),
                "channel": rng.choice(list(labels.CHANNELS)),
                "deductible_remaining": rng.choice(["0", "100.00"]),
                "items": items,
                "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"} if rng.random() < 0.8 else {},
            }
        )
    return out


def _answer(db, request: dict, settings: Settings) -> str:  # noqa: ANN001
    try:
        return json.dumps(service.estimate_json(db, request, settings), ensure_ascii=False, default=str)
    except UserFacingError as err:
        return f"refused: {err}"


def test_estimates_and_checks_on_warm_caches_equal_those_read_afresh(real_db) -> None:  # noqa: ANN001
    settings = Settings(profile="jilin")
    requests = _requests(real_db, 60, seed=10)
    warm = [_answer(real_db, req, settings) for req in requests * 2][len(requests) :]  # every entry read before
    cold = []
    for req in requests:
        memo.forget(real_db)
        cold.append(_answer(real_db, req, settings))
    assert warm == cold
    assert sum(a.startswith("refused") for a in cold) < len(cold) // 2  # mostly estimates, not refusals
    ids = [item["entry"] for req in requests for item in req["items"] if "entry" in item][:80]
    for entry_id, day in zip(ids, itertools.cycle(DAYS), strict=False):
        args = (entry_id, day, "jilin", "employee", "general", "dual_channel")
        memo.forget(real_db)
        fresh = service.check(real_db, *args).to_json()
        assert service.check(real_db, *args).to_json() == fresh


def test_an_entered_confidential_standard_is_used_by_the_next_estimate(real_db_copy: Path) -> None:
    db = store.open_db(real_db_copy)
    entry = next(e for e in conf.confidential_entries(db, date(2025, 3, 1)) if len(e.payment_standards) == 1)
    request = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "items": [{"entry": entry.id, "unit_price": "900.00", "quantity": 1, "confirmed": list(labels.CONDITIONS)}],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
    }
    before = service.estimate_json(db, request)
    assert "confidential_assumed_within" in [x["code"] for x in before["lines"][0]["reasons"]]
    conf.enter(db, entry, entry.payment_standards[0].spec or "", "500.00")
    after = service.estimate_json(db, request)
    assert "confidential_assumed_within" not in [x["code"] for x in after["lines"][0]["reasons"]]
    assert after["patient_total"] != before["patient_total"]  # 400.00 above the standard now
    db.close()


def _scan_lookup(prof: policy.Profile, name: str, day: date, ctx: object, fixed_only: bool) -> policy.Rule | None:
    """``Profile.lookup`` as it was: every parameter in turn, the most specific match wins, the first on a tie."""
    best: tuple[int, int, policy.Rule] | None = None
    for rule in prof.parameters:
        if rule.name != name or not rule.active_on(day) or not rule.matches(ctx):  # type: ignore[arg-type]
            continue
        if fixed_only and not rule.fixed:
            continue
        rank = (len(rule.when), -prof.chain.index(rule.profile))
        if best is None or rank > best[:2]:
            best = (rank[0], rank[1], rule)
    return best[2] if best else None


@pytest.mark.parametrize("profile_id", policy.available())
def test_indexed_policy_answers_equal_the_plain_scan(profile_id: str) -> None:
    prof = policy.load(profile_id)
    days = sorted({r.start for r in prof.parameters + prof.requirements + prof.notes} | set(DAYS))
    kinds = sorted({k for r in prof.parameters + prof.requirements + prof.notes for k in r.when.get("listed_in", ())})
    listed = [frozenset(), *(frozenset([k]) for k in kinds), frozenset(kinds)]
    asked = 0
    for ins, group, channel, cls, section, lst in itertools.product(
        labels.INSURANCES,
        ("general", "dibao"),
        labels.CHANNELS,
        ("甲", "乙", None),
        ("西药", "协议期内谈判药品", None),
        listed,
    ):
        sel = policy.Selectors(ins, group, channel, cls, section, lst)
        as_mapping = {"insurance": ins, "group": group, "channel": channel, "class": cls, "section": section}
        as_mapping["listed_in"] = lst
        for day in days[:: max(1, len(days) // 4)]:
            for name in labels.PARAMETERS:
                for fixed_only in (False, True):
                    want = _scan_lookup(prof, name, day, sel, fixed_only)
                    assert prof.lookup(name, day, sel, fixed_only=fixed_only) is want
                    assert prof.lookup(name, day, as_mapping, fixed_only=fixed_only) is want
                    asked += want is not None
            first: dict[str, policy.Rule] = {}
            for rule in prof.requirements:
                if rule.active_on(day) and rule.matches(sel):
                    first.setdefault(rule.name, rule)
            assert prof.requirements_for(day, sel) == list(first.values())
            assert prof.notes_for(day, sel) == [n for n in prof.notes if n.when and n.active_on(day) and n.matches(sel)]
    assert asked > 0


def test_the_most_specific_rule_wins_then_the_regions_own_then_the_first_stated() -> None:
    """Overlapping rules (no shipped profile has them yet): specificity, then the chain, then the order."""
    src = policy.Source("test.pdf", None, "测试通知", "原文")

    def rule(value: str, profile: str, fixed: bool = False, **when: tuple[str, ...]) -> policy.Rule:
        return policy.Rule("fund_ratio", value, dict(when), date(2020, 1, 1), None, src, profile, fixed)

    rules = (
        rule("0.50", "town"),
        rule("0.60", "town", channel=("outpatient",)),
        rule("0.61", "town", channel=("outpatient",)),  # a tie in the same profile: the first stated wins
        rule("0.70", "province", channel=("outpatient",), insurance=("employee",)),
        rule("0.71", "town", insurance=("employee",), channel=("outpatient",)),  # the region's own beats it
        rule("0.90", "province", True, channel=("outpatient",), insurance=("employee",), group=("dibao",)),
        rule("0.40", "town", fixed=True),
    )
    prof = policy.Profile("town", "测试市", "town", rules, (), chain=("town", "province"))
    day = date(2025, 3, 1)
    cases = [
        (policy.Selectors("resident", "general", "chronic", "乙", None), False, "0.50"),
        (policy.Selectors("resident", "general", "outpatient", "乙", None), False, "0.60"),
        (policy.Selectors("employee", "general", "outpatient", "乙", None), False, "0.71"),
        (policy.Selectors("employee", "dibao", "outpatient", "乙", None), False, "0.90"),
        (policy.Selectors("employee", "dibao", "outpatient", "乙", None), True, "0.90"),
        (policy.Selectors("employee", "general", "outpatient", "乙", None), True, "0.40"),
    ]
    for sel, fixed_only, value in cases:
        found = prof.lookup("fund_ratio", day, sel, fixed_only=fixed_only)
        assert found is _scan_lookup(prof, "fund_ratio", day, sel, fixed_only)
        assert found is not None and found.value == value
    assert prof.lookup("cap", day, cases[0][0]) is None
    assert prof.lookup("fund_ratio", date(2019, 1, 1), cases[0][0]) is None


def test_amounts_add_up_field_by_field_in_the_contracts_order() -> None:
    from decimal import Decimal

    a = Amounts(*(Decimal(i) for i in range(1, 10)))
    b = Amounts(*(Decimal(i) / 100 for i in range(10, 19)))
    assert a.as_tuple() == tuple(getattr(a, name) for name in AMOUNT_FIELDS)
    assert (a + b).as_tuple() == tuple(x + y for x, y in zip(a.as_tuple(), b.as_tuple(), strict=True))
