"""Fuzz ``yaomu estimate`` (and ``receipt``'s request): any JSON, any bytes -> an answer (0) or a refusal (2).

Issue 12's list of inputs that once crashed is among the explicit examples: amounts "1e30" and "1e400",
quantity 10^25, a 5,000-digit integer, "confirmed": [["x"]], non-string fields, non-UTF-8 bytes, JSON
nested 100,000 deep, 10,000 items.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.conftest import examples, run_cli


@pytest.fixture(scope="module")
def world(real_db_path: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from desktop.storage import catalogue as store

    tmp = tmp_path_factory.mktemp("fuzz-req")
    db_path = tmp / "catalogue.sqlite3"
    shutil.copy(real_db_path, db_path)
    db = store.open_db(db_path, readonly=True)
    ids = [row[0] for row in db.execute("select id from entry order by pk limit 40 offset 500").fetchall()]
    db.close()
    return {"db": db_path, "ids": ids, "tmp": tmp}


weird = st.sampled_from(
    ["1e30", "1e400", "-1", "0", "NaN", "Infinity", "12.345", "１２", "", " ", "\x1b[2J", "2025-02-30", "0001-01-01"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
    | weird
)
json_values = st.recursive(
    scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3)
)


def items(ids: list[str]) -> st.SearchStrategy[Any]:
    item = st.fixed_dictionaries(
        {"entry": st.sampled_from(ids) | json_values},
        optional={
            "unit_price": st.sampled_from(["12.50", "0.01", "99999999"]) | json_values,
            "quantity": st.integers(min_value=-3, max_value=10**25) | json_values,
            "spec": json_values,
            "payment_standard": json_values,
            "confirmed": st.lists(st.sampled_from(["restriction", "dual_channel"]) | json_values, max_size=3)
            | json_values,
            "channel": json_values,
        },
    )
    return st.lists(item, max_size=4) | json_values


def requests(ids: list[str]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"items": items(ids)},
        optional={
            "date": st.sampled_from(["2025-06-01", "2026-03-01"]) | json_values,
            "profile": st.sampled_from(["national", "jilin", "hunan", "weihai"]) | json_values,
            "insurance": st.sampled_from(["employee", "resident"]) | json_values,
            "patient_group": st.sampled_from(["general", "special"]) | json_values,
            "channel": st.sampled_from(["outpatient", "inpatient"]) | json_values,
            "deductible_remaining": json_values,
            "cap_remaining": json_values,
            "policy": st.dictionaries(st.sampled_from(["first_self_pay", "fund_ratio"]), json_values) | json_values,
        },
    )


def _estimate(world: dict[str, Any], body: bytes) -> None:
    path = world["tmp"] / "req.json"
    path.write_bytes(body)
    code, _out, err = run_cli(["--db", str(world["db"]), "estimate", str(path), "--json"])
    assert code in (0, 2), err
    assert "内部错误" not in err


@examples(80, 3000)
@given(data=st.data())
def test_any_request_is_answered_or_refused(world, data) -> None:  # type: ignore[no-untyped-def]
    request = data.draw(requests(world["ids"]) | json_values)
    _estimate(world, json.dumps(request, ensure_ascii=False).encode("utf-8"))


@examples(20, 500)
@given(body=st.binary(max_size=200))
@example(body=b"\xff\xfe{\x00}")
@example(body='{"date": "2025-06-01", "items": []}'.encode("gbk"))
def test_any_bytes_are_answered_or_refused(world, body: bytes) -> None:  # type: ignore[no-untyped-def]
    _estimate(world, body)


@pytest.mark.parametrize(
    "body",
    [
        '{"items": [{"entry": "X", "unit_price": "1e30", "quantity": 1}]}',
        '{"items": [{"entry": "X", "unit_price": "1e400", "quantity": 1}]}',
        '{"items": [{"entry": "X", "unit_price": "1.00", "quantity": 10000000000000000000000000}]}',
        '{"items": [{"entry": "X", "unit_price": "1.00", "quantity": ' + "9" * 5000 + "}]}",
        '{"items": [{"entry": "X", "unit_price": "1.00", "quantity": 1, "confirmed": [["x"]]}]}',
        '{"date": 20250601, "profile": ["jilin"], "items": [{"entry": 7, "unit_price": 1.5, "quantity": "2"}]}',
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"items": [{"entry": "X", "unit_price": "1.00", "quantity": 1}] * 10_000}),
    ],
    ids=["1e30", "1e400", "10^25", "5000 digits", "confirmed [[x]]", "non-strings", "100000 deep", "10000 items"],
)
def test_the_inputs_issue_12_listed(world, body: str) -> None:  # type: ignore[no-untyped-def]
    entry = world["ids"][0]
    _estimate(world, body.replace('"X"', json.dumps(entry)).encode("utf-8"))
