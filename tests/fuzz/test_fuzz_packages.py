"""Fuzz the package format: correctly signed packages with any manifest field, row field, CSV cell or data
byte changed are applied (0) or refused (2) with the database unchanged -- never an internal error (1).

The signature and the file pins are redone after each change, so the fuzz reaches the parsers and the
checks behind them instead of stopping at "bad signature".
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.storage import catalogue as store
from desktop.sync import apply, build, keys
from desktop.sync import package as p
from tests.fuzz.conftest import examples, run_cli

ROOT = Path(__file__).resolve().parents[2]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["0001-01-01", "２０２５-01-01", "2025-02-30", "NaN", "-5.00", "abc", "\x1b[2J", "\u202e", "乙"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A key, its trust folder, a template database holding a small real edition, and base packages."""
    from desktop.catalogue import records as r
    from desktop.sync import bundled
    from tests.sync.conftest import small_edition

    pkg = next(v for v in bundled.bundled_packages() if v.package_id == "nrdl-2024-revised")
    small_2024 = small_edition(r.EditionData(pkg.manifest.edition, pkg.rows, pkg.manifest.sections))
    tmp = tmp_path_factory.mktemp("fuzz")
    key = keys.generate("模糊测试")
    trust_dir = tmp / "trust"
    trust_dir.mkdir()
    (trust_dir / "k.json").write_text(json.dumps(keys.public_json(key.public)), encoding="utf-8")
    template = tmp / "template.sqlite3"
    base = build.edition_package(small_2024, tmp / "base.zip", key, package_id="fuzz-base", sequence=1)
    apply.apply_package(template, base, trust={key.key_id: key.public}, backup=False)
    db = store.open_db(template)
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    edition = build.edition_package(small_2024, tmp / "edition.zip", key, package_id="fuzz-edition", sequence=2)
    d = build.read_overlay_def(ROOT / "resources" / "overlays" / "jilin-dual-channel-2024.json")
    overlay = build.overlay_package(d.info, d.items, tmp / "overlay.zip", key, package_id="fuzz-overlay", sequence=3)
    return {"tmp": tmp, "key": key, "trust": trust_dir, "template": template, "edition": edition, "overlay": overlay}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _repack(members: dict[str, bytes], manifest: dict[str, Any] | bytes, key: keys.PrivateKey, out: Path) -> Path:
    """Pin every data file in the manifest again and sign it, so the change reaches the parsers."""
    if isinstance(manifest, dict):
        for entry in manifest.get("files", []) if isinstance(manifest.get("files"), list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"] in members:
                data = members[entry["path"]]
                entry["sha256"] = hashlib.sha256(data).hexdigest()
                entry["bytes"] = len(data)
                lines = [x for x in data.decode("utf-8", "replace").split("\n") if x.strip()]
                entry["rows"] = max(len(lines) - (1 if entry.get("format") == "csv" else 0), 0)
        manifest_bytes = json.dumps(manifest, ensure_ascii=False).encode("utf-8")
    else:
        manifest_bytes = manifest
    members = {**members, p.MANIFEST: manifest_bytes, p.SIGNATURE: p.signature_doc(manifest_bytes, key)}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def _apply(world: dict, pkg: Path, n: str) -> None:  # type: ignore[type-arg]
    db_path = world["tmp"] / f"db-{n}.sqlite3"
    shutil.copy(world["template"], db_path)
    db = store.open_db(db_path)
    before = store.content_hash(db)
    db.close()
    code, _out, err = run_cli(
        ["--db", str(db_path), "sync", "apply", str(pkg), "--yes", "--trust", str(world["trust"])]
    )
    assert code in (0, 2), err
    assert "内部错误" not in err
    OUTCOMES[code] = OUTCOMES.get(code, 0) + 1
    if code == 2:
        db = store.open_db(db_path)
        assert store.content_hash(db) == before, err
        db.close()
    for f in db_path.parent.glob(db_path.name + "*"):
        f.unlink()


#: Exit codes seen, for the summary test below (a fuzz that only ever sees refusals tests little).
OUTCOMES: dict[int, int] = {}


def _set_path(doc: Any, path: list[Any], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def _paths(doc: Any, prefix: list[Any] | None = None) -> list[list[Any]]:
    prefix = prefix or []
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append([*prefix, k])
            out += _paths(v, [*prefix, k])
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append([*prefix, i])
            out += _paths(v, [*prefix, i])
    return out


@examples(70, 1500)
@given(which=st.sampled_from(["edition", "overlay"]), pick=st.integers(min_value=0), value=json_values)
def test_any_manifest_field_changed(world, which: str, pick: int, value: Any) -> None:  # type: ignore[no-untyped-def]
    members = _members(world[which])
    manifest = json.loads(members[p.MANIFEST])
    paths = [x for x in _paths(manifest) if x[:1] != ["files"] or x[-1] in ("path", "role", "format")]
    _set_path(manifest, paths[pick % len(paths)], value)
    _apply(world, _repack(members, manifest, world["key"], world["tmp"] / "m.zip"), "m")


@examples(70, 1500)
@given(row=st.integers(min_value=0), field=st.sampled_from(p.ROW_FIELDS), value=json_values)
def test_any_row_field_changed(world, row: int, field: str, value: Any) -> None:  # type: ignore[no-untyped-def]
    members = _members(world["edition"])
    lines = [json.loads(x) for x in members["data/rows.jsonl"].decode().splitlines() if x.strip()]
    lines[row % len(lines)][field] = value
    members["data/rows.jsonl"] = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode()
    manifest = json.loads(members[p.MANIFEST])
    _apply(world, _repack(members, manifest, world["key"], world["tmp"] / "r.zip"), "r")


cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ['{"ratio": "NaN"}', '{"ratio": "1e400"}', '{"payment_standard": "abc"}', "0001-01-01", "x" * 140_000]
    ),
)


@examples(70, 1500)
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=9), min_size=1, max_size=4))
def test_any_overlay_csv(world, rows: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(p.OVERLAY_FIELDS)
    writer.writerows(rows)
    members = _members(world["overlay"])
    members["data/items.csv"] = buf.getvalue().encode("utf-8")
    manifest = json.loads(members[p.MANIFEST])
    _apply(world, _repack(members, manifest, world["key"], world["tmp"] / "c.zip"), "c")


@examples(50, 1000)
@given(
    which=st.sampled_from(["edition", "overlay"]), at=st.integers(min_value=0), junk=st.binary(min_size=1, max_size=8)
)
def test_any_data_bytes_changed(world, which: str, at: int, junk: bytes) -> None:  # type: ignore[no-untyped-def]
    members = _members(world[which])
    name = next(n for n in members if n.startswith("data/"))
    data = members[name]
    i = at % len(data)
    members[name] = data[:i] + junk + data[i + len(junk) :]
    manifest = json.loads(members[p.MANIFEST])
    _apply(world, _repack(members, manifest, world["key"], world["tmp"] / "b.zip"), "b")


@examples(20, 500)
@given(text=st.text(max_size=200) | st.sampled_from(["[" * 100_000, '{"a": 1, "a": 2}', "NaN", "\ufeff{}"]))
def test_any_manifest_bytes(world, text: str) -> None:  # type: ignore[no-untyped-def]
    members = _members(world["overlay"])
    _apply(world, _repack(members, text.encode("utf-8", "surrogatepass"), world["key"], world["tmp"] / "t.zip"), "t")


def test_the_fuzz_saw_both_applies_and_refusals() -> None:
    """Runs after the fuzz tests (file order): they exercised the apply path, not only early refusals."""
    if not OUTCOMES:
        pytest.skip("run together with the fuzz tests above")
    assert OUTCOMES.get(0, 0) > 0 and OUTCOMES.get(2, 0) > 0, OUTCOMES
    print(f"package fuzz outcomes: {OUTCOMES}")
