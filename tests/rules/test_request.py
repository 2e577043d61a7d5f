"""The estimate request at the edge (desktop/rules/request.py): every bad input is a refusal, never a crash.

The CLI cases are issue 12's list ("Never an internal error for bad input"); the property test feeds
arbitrary JSON, and request-shaped JSON with hostile field values, through parse + estimate.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop import cli
from desktop.errors import RequestError
from desktop.rules import request as req
from desktop.rules import service
from desktop.rules.contract import (
    Channel,
    ConditionCode,
    DrugClass,
    Estimate,
    EstimateRequest,
    Insurance,
    PatientGroup,
)
from desktop.rules.labels import CHANNELS, CONDITIONS, GROUPS, INSURANCES
from desktop.settings import Settings
from tests.rules.conftest import find

SETTINGS = Settings(profile="national")


def _base(db, **kw):  # type: ignore[no-untyped-def]
    data = {
        "date": "2025-03-01",
        "profile": "national",
        "insurance": "employee",
        "items": [{"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "1.00", "quantity": 1}],
        "policy": {"fund_ratio": "0.50"},
    }
    data.update(kw)
    return data


def test_vocabularies_are_the_labels() -> None:
    """The StrEnums and the label tables name the same codes (one can't drift from the other)."""
    for enum, table in ((Insurance, INSURANCES), (PatientGroup, GROUPS), (Channel, CHANNELS)):
        assert [str(v) for v in enum] == list(table)
    assert [str(v) for v in ConditionCode] == list(CONDITIONS)
    assert {str(v) for v in DrugClass} == {"甲", "乙"}


def test_parse_builds_the_typed_request(db) -> None:  # type: ignore[no-untyped-def]
    entry = find(db, "阿莫西林", form="口服常释剂型")
    data = _base(
        db,
        channel="dual_channel",
        deductible_remaining="12.5",
        items=[
            {"entry": entry, "unit_price": 3, "quantity": "2", "confirmed": ["filing"], "spec": 100},
            {"name": " 某药 ", "class": "乙", "unit_price": "5.00", "quantity": 1.0, "payment_standard": "4"},
        ],
    )
    parsed = service.parse_request(db, data, SETTINGS)
    assert isinstance(parsed, EstimateRequest)
    assert parsed.day == date(2025, 3, 1) and parsed.day_given
    assert parsed.insurance is Insurance.EMPLOYEE and parsed.channel is Channel.DUAL_CHANNEL
    assert parsed.deductible_remaining == Decimal("12.50") and parsed.policy.fund_ratio == Decimal("0.50")
    first, second = parsed.items
    assert (first.entry, first.quantity, first.unit_price, first.spec) == (entry, 2, Decimal("3.00"), "100")
    assert first.confirmed == {ConditionCode.FILING} and not first.what_if
    assert second.what_if and second.name == "某药" and second.drug_class is DrugClass.B
    assert second.payment_standard == Decimal("4.00")
    # The typed request says the same thing in JSON: parsing it again gives it back.
    assert service.parse_request(db, parsed.to_json(), SETTINGS) == parsed


def test_the_profile_defaults_to_the_settings(db) -> None:  # type: ignore[no-untyped-def]
    data = _base(db)
    del data["profile"]
    assert service.parse_request(db, data, Settings(profile="jilin")).profile == "jilin"


@pytest.mark.parametrize(
    ("patch", "needles"),
    [
        ({"unit_price": "1e30"}, ("单价", "过大")),
        ({"unit_price": "1e400"}, ("单价", "过大")),
        ({"unit_price": "NaN"}, ("单价", "不是数字")),
        ({"unit_price": ["1"]}, ("单价", "不是数字")),
        ({"quantity": 10**25}, ("数量", "过大")),
        ({"quantity": "1e400"}, ("数量", "过大")),
        ({"quantity": {"n": 1}}, ("数量", "不是整数")),
        ({"confirmed": [["x"]]}, ("confirmed",)),
        ({"confirmed": "restriction"}, ("confirmed",)),
        ({"entry": 12}, ("entry", "字符串")),
        ({"spec": {"a": 1}}, ("规格", "spec")),
        ({"spec": "x" * 5000}, ("规格", "最多")),
        ({"payment_standard": "0.001"}, ("支付标准", "两位小数")),
    ],
)
def test_a_bad_item_field_is_named(db, patch, needles) -> None:  # type: ignore[no-untyped-def]
    data = _base(db)
    data["items"][0].update(patch)
    with pytest.raises(RequestError) as err:
        service.parse_request(db, data, SETTINGS)
    text = "\n".join(err.value.problems)
    assert text.startswith("第 1 项")
    for needle in needles:
        assert needle in text, (needle, text)


@pytest.mark.parametrize(
    ("patch", "needles"),
    [
        ({"insurance": 5}, ("险种", "“5”")),
        ({"insurance": {"x": 1}}, ("险种",)),
        ({"date": {"y": 2025}}, ("日期",)),
        ({"date": 10**5000}, ("日期",)),
        ({"patient_group": ["general"]}, ("人员类别",)),
        ({"deductible_remaining": "1e30"}, ("deductible_remaining", "过大")),
        ({"policy": {"fund_ratio": "NaN"}}, ("fund_ratio",)),
        ({"policy": {"fund_ratio": 10**5000}}, ("fund_ratio",)),
        ({"policy": ["fund_ratio"]}, ("policy",)),
        ({"items": [{"entry": "x"}] * 10_000}, ("最多", "200")),
        ({"items": {}}, ("items",)),
    ],
)
def test_a_bad_request_field_is_named(db, patch, needles) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RequestError) as err:
        service.parse_request(db, _base(db, **patch), SETTINGS)
    text = "\n".join(err.value.problems)
    for needle in needles:
        assert needle in text, (needle, text)


def test_json_edge_refuses_what_the_decoder_cannot_take() -> None:
    for data, needle in (
        ("[" * 100_000 + "]" * 100_000, "嵌套"),
        ('{"items": ' + "[" * 100_000 + "]" * 100_000 + "}", "嵌套"),
        ("{", "JSON"),
        ("", "JSON"),
    ):
        with pytest.raises(RequestError, match=needle):
            req.parse_json_bytes(data.encode())
    with pytest.raises(RequestError, match="UTF-8"):
        req.parse_json_bytes('{"name": "阿莫西林"}'.encode("gbk"))
    with pytest.raises(RequestError, match="过大"):
        req.parse_json_bytes(b" " * (req.MAX_BYTES + 1))
    huge = req.parse_json_bytes(('{"quantity": ' + "9" * 5000 + "}").encode())
    assert isinstance(huge, dict) and isinstance(huge["quantity"], Decimal)  # kept, refused later as too large
    assert req.parse_json_bytes("\ufeff{}".encode()) == {}  # a BOM (Notepad) is fine


# --- the CLI: issue 12's list, each a refusal with exit 2 --------------------------------------------


def _cli(capsys, db_path: Path, tmp_path: Path, body: bytes) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    path = tmp_path / "req.json"
    path.write_bytes(body)
    code = cli.main(["--db", str(db_path), "estimate", str(path), "--json"])
    return code, capsys.readouterr().err


def _item_json(db, field: str, raw: str) -> bytes:  # type: ignore[no-untyped-def]
    item = {"entry": find(db, "阿莫西林", form="口服常释剂型"), "unit_price": "1.00", "quantity": 1}
    text = json.dumps(_base(db, items=[{**item, field: "@@"}]), ensure_ascii=False)
    return text.replace('"@@"', raw).encode()


def test_cli_refuses_every_listed_bad_input_with_exit_2(db, real_db_copy, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (_item_json(db, "unit_price", '"1e30"'), "单价"),
        (_item_json(db, "unit_price", '"1e400"'), "单价"),
        (_item_json(db, "unit_price", "1e400"), "单价"),
        (_item_json(db, "quantity", str(10**25)), "数量"),
        (_item_json(db, "quantity", "9" * 5000), "数量"),
        (_item_json(db, "unit_price", "9" * 5000), "单价"),
        (_item_json(db, "confirmed", '[["x"]]'), "confirmed"),
        (_item_json(db, "entry", '{"id": 1}'), "entry"),
        (json.dumps(_base(db, items=[{"name": [1], "class": "甲", "unit_price": 1, "quantity": 1}])).encode(), "name"),
        (json.dumps(_base(db, insurance=[1]), ensure_ascii=False).encode(), "险种"),
        (json.dumps(_base(db, profile="吉林"), ensure_ascii=False).encode("gbk"), "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "嵌套"),
        (json.dumps(_base(db, items=[{"entry": "x", "quantity": 1}] * 10_000)).encode(), "200"),
        (b"\xff\xfe\x00\x00", "UTF-8"),
        (b"[1, 2]", "JSON 对象"),
    ]
    for body, needle in cases:
        code, err = _cli(capsys, real_db_copy, tmp_path, body)
        assert code == 2, (needle, body[:80], err)
        assert needle in err and "内部错误" not in err and "Traceback" not in err, (body[:80], err)


def test_cli_refuses_non_utf8_stdin(real_db_copy) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", str(real_db_copy), "estimate", "-"],
        input='{"insurance": "职工"}'.encode("gbk"),
        capture_output=True,
        cwd=root,
        timeout=120,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "UTF-8" in err and "内部错误" not in err, err


# --- the property: any JSON value gives an estimate or a refusal --------------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["1e30", "1e400", "-1", "0", "0.001", "NaN", "Infinity", "12.50", "", " ", "甲", "乙"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_KEYS = ("entry", "name", "class", "dosage_form", "unit_price", "quantity", "payment_standard", "spec", "confirmed")


@st.composite
def _requests(draw: st.DrawFn, entry_ids: list[str]) -> dict[str, object]:
    """A valid request, then 0-3 of its fields (top level or in an item) replaced by arbitrary JSON."""

    def item() -> dict[str, object]:
        out: dict[str, object] = {
            "unit_price": draw(st.sampled_from(["1.00", "12.34", "99999999.99", "0.01", 5])),
            "quantity": draw(st.integers(min_value=1, max_value=req.MAX_QUANTITY)),
            "confirmed": draw(st.lists(st.sampled_from(list(CONDITIONS)), max_size=3, unique=True)),
        }
        if draw(st.booleans()):
            out["entry"] = draw(st.sampled_from(entry_ids))
        else:
            out.update(name=draw(st.sampled_from(["某药", "麝香某丸"])), **{"class": draw(st.sampled_from("甲乙"))})
        if draw(st.booleans()):
            out["payment_standard"] = draw(st.sampled_from(["1.00", "10.00"]))
        return out

    data: dict[str, object] = {
        "date": draw(st.sampled_from(["2025-03-01", "2024-06-01", "2026-02-01", "2019-01-01", None])),
        "profile": draw(st.sampled_from(["national", "jilin", "hunan", "weihai"])),
        "insurance": draw(st.sampled_from(list(INSURANCES))),
        "patient_group": draw(st.sampled_from(list(GROUPS))),
        "channel": draw(st.sampled_from(list(CHANNELS))),
        "deductible_remaining": draw(st.sampled_from([None, "0.00", "100.00"])),
        "policy": {"fund_ratio": "0.80", "first_self_pay": "0.10"},
        "items": [item() for _ in range(draw(st.integers(min_value=1, max_value=4)))],
    }
    hostile = _JSON | _SCALARS
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if draw(st.booleans()):
            data[draw(st.sampled_from([*data, "extra"]))] = draw(hostile)
        elif isinstance(data["items"], list) and data["items"] and isinstance(data["items"][0], dict):
            target = draw(st.sampled_from(data["items"]))
            if isinstance(target, dict):
                target[draw(st.sampled_from(_KEYS))] = draw(hostile)
    return data


def _estimate_or_refusal(db, data: object) -> None:  # type: ignore[no-untyped-def]
    try:
        parsed = service.parse_request(db, data, SETTINGS)
        # The typed request says the same in JSON (what the history stores): it parses back to itself.
        assert service.parse_request(db, parsed.to_json(), SETTINGS) == parsed
        result = service.estimate_json(db, data, SETTINGS)
    except RequestError as err:
        assert err.problems and all(isinstance(p, str) and p for p in err.problems)
        str(err)  # the message itself renders
        return
    json.dumps(result, ensure_ascii=False)  # an estimate is JSON (the CLI prints it)
    assert Estimate.from_json(result).to_json() == result  # and reads back whole (the receipt history)
    if result.get("fund_unset"):  # no fund ratio set (issue 11): the fund's share is marked, not invented
        assert result["fund"] is None and result["patient_total"] is None
        return
    assert Decimal(result["total"]) == Decimal(result["fund"]) + Decimal(result["patient_total"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_JSON)
def test_any_json_value_gives_an_estimate_or_a_refusal(db, data) -> None:  # type: ignore[no-untyped-def]
    _estimate_or_refusal(db, data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_request_shaped_json_gives_an_estimate_or_a_refusal(db, data) -> None:  # type: ignore[no-untyped-def]
    ids = [find(db, "阿莫西林", form="口服常释剂型"), find(db, "依普利酮片"), find(db, "玛巴洛沙韦片")]
    _estimate_or_refusal(db, data.draw(_requests(ids)))
