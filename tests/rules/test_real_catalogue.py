"""The commands and the worked examples on the real bundled catalogue, with the overlays from the seed notices."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.rules import confidential, service
from desktop.settings import Settings
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov
from desktop.sync import bundled

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _install_seed_overlays(db) -> None:
    """The overlay definitions written from the notices (resources/overlays/*.json)."""
    for path in sorted((ROOT / "resources" / "overlays").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        o = data["overlay"]
        info = ov.OverlayInfo(
            o["overlay_id"],
            o["kind"],
            o["region"],
            o["title"],
            bool(o["complete"]),
            o.get("document"),
            d(o.get("published")),
            d(o.get("effective_start")),
            d(o.get("effective_end")),
            o.get("note"),
        )
        items = [
            ov.OverlayItem(
                i["name"],
                i["action"],
                i.get("dosage_form"),
                json.loads(i["attrs"]) if isinstance(i.get("attrs"), str) else (i.get("attrs") or {}),
                d(i.get("start")),
                d(i.get("end")),
                i.get("source"),
            )
            for i in data["items"]
        ]
        ov.store_overlay(db, info, items)


@pytest.fixture(scope="module")
def real_db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("real") / "yaomu.sqlite3"
    bundled.install(str(path))
    db = store.open_db(path)
    _install_seed_overlays(db)
    db.close()
    return path


@pytest.fixture
def real_db(real_db_path):
    db = store.open_db(real_db_path)
    yield db
    db.close()


def _id(db, name, edition):
    rows = db.execute(
        "select e.id from entry e join edition d on d.id = e.edition_id where e.name = ? and d.name = ?",
        [name, edition],
    ).fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def test_jilin_dual_channel_real_negotiated_drug_2025_03_01(real_db):
    eid = _id(real_db, "依沃西单抗注射液", "2024")
    e = service.check(real_db, eid, date(2025, 3, 1), "jilin", "employee", channel="dual_channel")
    assert e.edition == "2024年版（修订版）" and e.dual_channel.status == "listed"
    assert {c.code for c in e.conditions} == {"restriction", "filing", "responsible_physician"}
    entry = store.get_entry(real_db, eid)
    secret = "2345.67"  # stands for the value the province sends; never printed
    confidential.enter(real_db, entry, "", secret)
    res = service.estimate_json(
        real_db,
        {
            "date": "2025-03-01",
            "profile": "jilin",
            "insurance": "resident",
            "patient_group": "dibao",
            "channel": "dual_channel",
            "deductible_remaining": "0.00",
            "items": [
                {
                    "entry": eid,
                    "unit_price": "2400.00",
                    "quantity": 2,
                    "confirmed": ["restriction", "filing", "responsible_physician"],
                }
            ],
        },
        Settings(profile="jilin", parameters={"fund_ratio": "0.80"}),
    )
    # 低保 resident 20 %: base 4691.34; first 938.27; scope 3753.07; fund 3002.46; patient 1797.54.
    # The "*" line's components are folded (confidential_patient), never itemised.
    assert (res["fund"], res["patient_total"], res["confidential_patient"]) == ("3002.46", "1797.54", "1797.54")
    assert res["first_self_pay"] == "0.00" and res["lines"][0]["first_self_pay"] is None
    assert secret not in json.dumps(res, ensure_ascii=False)


def test_removed_from_jilin_dual_channel_on_real_rows(real_db):
    e = service.check(
        real_db, _id(real_db, "玛巴洛沙韦片", "2024"), date(2025, 3, 1), "jilin", "employee", channel="dual_channel"
    )
    assert e.verdict == "not_covered" and e.dual_channel.status == "removed"


def test_no_confidential_value_in_any_check(real_db):
    # Every "*" entry of both editions: the check output has no payment standard at all.
    ids = [row[0] for row in real_db.execute("select id from entry where payment_standard = '*'")]
    assert len(ids) > 500
    for eid in ids[::25]:
        text = json.dumps(
            service.check(real_db, eid, date(2025, 3, 1), "jilin", "employee", channel="dual_channel").to_json(),
            ensure_ascii=False,
        )
        assert "元(" not in text and "payment_standard" not in text


def _cli(db_path, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--db", str(db_path), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_cli_check_and_estimate(real_db_path, real_db, tmp_path):
    eid = _id(real_db, "依沃西单抗注射液", "2024")
    out = _cli(
        real_db_path,
        "check",
        eid,
        "--date",
        "2025-03-01",
        "--profile",
        "jilin",
        "--insurance",
        "employee",
        "--channel",
        "dual_channel",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["dual_channel"]["status"] == "listed"
    text = _cli(real_db_path, "check", eid, "--date", "2025-03-01", "--profile", "jilin", "--insurance", "employee")
    assert text.returncode == 0 and "需确认" in text.stdout
    req = {
        "date": "2025-03-01",
        "profile": "jilin",
        "insurance": "employee",
        "channel": "dual_channel",
        "items": [
            {
                "entry": eid,
                "unit_price": "2400.00",
                "quantity": 2,
                "payment_standard": "2345.67",
                "confirmed": ["restriction", "filing", "responsible_physician"],
            },
            {"name": "某药", "class": "乙", "payment_standard": "8.00", "unit_price": "10.00", "quantity": 1},
        ],
        "policy": {"first_self_pay": "0.10", "fund_ratio": "0.80"},
    }
    path = tmp_path / "req.json"
    path.write_text(json.dumps(req, ensure_ascii=False), encoding="utf-8")
    for extra in ([], ["--json"]):
        out = _cli(real_db_path, "estimate", str(path), *extra)
        assert out.returncode == 0, out.stderr
        assert "2345.67" not in out.stdout and "个人负担" in out.stdout if not extra else "2345.67" not in out.stdout
    result = json.loads(_cli(real_db_path, "estimate", "-", "--json", stdin=json.dumps(req)).stdout)
    assert result["lines"][0]["payment_standard_shown"] == "保密"


def test_cli_bad_request_exit_2_with_every_problem(real_db_path):
    bad = {
        "profile": "shanghai",
        "insurance": "employee",
        "items": [
            {"entry": "2024-00000000", "unit_price": "1.234", "quantity": 0},
            {"name": "某药", "class": "乙", "unit_price": "abc", "quantity": -1},
        ],
    }
    out = _cli(real_db_path, "estimate", "-", stdin=json.dumps(bad, ensure_ascii=False))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    for needle in ("shanghai", "2024-00000000", "1.234", "“0”", "abc", "“-1”"):
        assert needle in out.stderr, needle
    out = _cli(real_db_path, "estimate", "-", stdin="{not json")
    assert out.returncode == 2 and "JSON" in out.stderr
    out = _cli(real_db_path, "check", "2024-00000000", "--insurance", "employee", "--profile", "jilin")
    assert out.returncode == 2 and "2024-00000000" in out.stderr
