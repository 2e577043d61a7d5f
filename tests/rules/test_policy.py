"""Policy profiles: valid against the schema, every quote found verbatim in its notice, lookups by specificity."""

from __future__ import annotations

import ast
import copy
import json
import re
from datetime import date
from pathlib import Path

import pytest

from desktop.rules import policy

ROOT = Path(__file__).resolve().parents[2]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("profile_id", ["national", "jilin", "hunan", "weihai"])
def test_profile_is_valid(profile_id):
    data = json.loads((policy.policies_dir() / f"{profile_id}.json").read_text(encoding="utf-8"))
    policy.validate(data, profile_id)
    assert data["id"] == profile_id


@pytest.mark.parametrize("profile_id", ["national", "jilin", "hunan", "weihai"])
def test_profile_quotes_its_notices_cross_check_shared(profile_id, shared_data):
    SHARED = shared_data.parent
    data = json.loads((policy.policies_dir() / f"{profile_id}.json").read_text(encoding="utf-8"))
    single = [data[k] for k in ("dual_channel_all_negotiated", "self_pay_ratio_list") if k in data]
    for key in ("parameters", "requirements", "notes", "list_revisions", None):
        for item in data.get(key, []) if key else single:
            notice = data["sources"][item["source"]["notice"]]
            source_file = SHARED / notice["file"] if notice["file"] != "DOMAIN.md" else SHARED / "DOMAIN.md"
            if not source_file.exists():
                source_file = SHARED / "data" / notice["file"].removeprefix("data/")
            assert source_file.exists(), notice["file"]
            assert _flat(item["source"]["quote"]) in _flat(source_file.read_text(encoding="utf-8")), item


def test_available_profiles():
    assert policy.available() == ["hunan", "jilin", "national", "weihai"]


def test_jilin_lookup_by_specificity():
    jl = policy.load("jilin")
    day = date(2025, 3, 1)

    def r(**ctx):
        base = {
            "insurance": "employee",
            "group": "general",
            "channel": "dual_channel",
            "class": "乙",
            "section": "协议期内谈判药品",
            "listed_in": frozenset(),
        }
        base.update(ctx)
        rule = jl.lookup("first_self_pay", day, base)
        return None if rule is None else rule.value

    assert r() == "0.20"
    assert r(insurance="retiree") == "0.20"
    assert r(insurance="resident") == "0.30"
    assert r(group="dibao") == "0.10"
    assert r(insurance="resident", group="orphan") == "0.20"
    assert r(channel="outpatient") is None  # no notice states it: the pharmacy must
    assert r(**{"class": "甲"}) == "0"  # national, fixed
    assert r(insurance="work_injury") == "0"
    assert (
        jl.lookup(
            "first_self_pay",
            date(2021, 12, 31),
            {"insurance": "employee", "group": "general", "channel": "dual_channel", "class": "乙"},
        )
        is None
    )


def test_requirements_by_date():
    jl = policy.load("jilin")
    ctx = {"channel": "dual_channel"}
    assert [r.name for r in jl.requirements_for(date(2025, 1, 1), ctx)] == ["filing", "responsible_physician"]
    assert jl.requirements_for(date(2024, 12, 31), ctx) == []
    hn = policy.load("hunan")
    # 003 五(三)/五(四): e-prescription, 待遇认定 and the responsible physician.
    assert [r.name for r in hn.requirements_for(date(2025, 1, 1), ctx)] == [
        "e_prescription",
        "treatment_approval",
        "responsible_physician",
    ]


def test_schema_rejects_bad_profiles():
    data = json.loads((policy.policies_dir() / "jilin.json").read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    bad["parameters"][0]["value"] = "1.5"
    with pytest.raises(policy.PolicyError, match="parameters/0"):
        policy.validate(bad)
    bad = copy.deepcopy(data)
    del bad["parameters"][0]["source"]
    with pytest.raises(policy.PolicyError):
        policy.validate(bad)
    bad = copy.deepcopy(data)
    bad["parameters"][0]["source"]["notice"] = "nowhere"
    with pytest.raises(policy.PolicyError, match="nowhere"):
        policy.validate(bad)


def test_unknown_profile():
    with pytest.raises(policy.PolicyError, match="shanghai"):
        policy.load("shanghai")


def test_rules_core_is_qt_free_and_sql_free():
    for path in (ROOT / "desktop" / "rules").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(n.startswith(("PySide6", "shiboken6")) for n in names), path
        if path.name in ("eligibility.py", "copay.py"):
            assert not any(n.startswith(("sqlite", "desktop.storage.catalogue")) for n in names), path
