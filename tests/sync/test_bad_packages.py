"""Crafted bad packages: each is refused with its own Chinese message and the database unchanged (#3)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop.catalogue import records as r
from desktop.storage import catalogue as store
from desktop.sync import apply, build, keys
from desktop.sync import package as p

Members = dict[str, bytes]


def _members(path: Path) -> Members:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _write(path: Path, members: Members, *, compress: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _rows_json(data: r.EditionData) -> list[dict[str, Any]]:
    return [p.source_row_json(x) for x in data.rows]


def _jsonl(objs: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode()


@dataclass
class Ctx:
    tmp: Path
    key: keys.PrivateKey
    other_key: keys.PrivateKey
    small: r.EditionData
    db_path: Path
    trust: dict[str, keys.PublicKey]

    def edition(
        self,
        name: str,
        *,
        rows: list[dict[str, Any]] | None = None,
        patch: Callable[[dict], None] | None = None,
        key: keys.PrivateKey | None | str = "default",
        package_id: str = "bad-2024",
        sequence: int = 5,
        declared_rows: int | None = None,
    ) -> Path:
        rows = _rows_json(self.small) if rows is None else rows
        manifest = build._base_manifest("edition", package_id, sequence, "测试", None)
        manifest.update(edition=build.edition_json(self.small.info), sections=build.sections_json(self.small.sections))
        if patch:
            patch(manifest)
        body = _jsonl(rows)
        k = self.key if key == "default" else key
        return build.write_package(
            self.tmp / name,
            manifest,
            [("data/rows.jsonl", "rows", "jsonl", body, len(rows) if declared_rows is None else declared_rows)],
            k,
        )

    def signed_raw(self, name: str, manifest: dict[str, Any], files: Members) -> Path:
        data = json.dumps(manifest, ensure_ascii=False).encode()
        members = {p.MANIFEST: data, p.SIGNATURE: p.signature_doc(data, self.key), **files}
        return _write(self.tmp / name, members)


@pytest.fixture
def ctx(tmp_path: Path, key: keys.PrivateKey, trust: dict, small_2024: r.EditionData, db_path: Path) -> Ctx:
    c = Ctx(tmp_path, key, keys.generate("陌生发布方"), small_2024, db_path, trust)
    # The database holds an installed edition, so "unchanged" means something.
    base = build.edition_package(small_2024, tmp_path / "base.zip", key, package_id="test-2024-small", sequence=1)
    apply.apply_package(db_path, base, trust=trust, backup=False)
    return c


def _tamper(path: Path, member: str, fn: Callable[[bytes], bytes]) -> Path:
    members = _members(path)
    members[member] = fn(members[member])
    return _write(path, members)


def _row_patch(**changes: Any) -> Callable[[Ctx], Path]:
    def make(c: Ctx) -> Path:
        rows = _rows_json(c.small)
        rows[1].update(changes)
        return c.edition("row.zip", rows=rows)

    return make


def _bomb(c: Ctx) -> Path:
    zeros = b"0" * (40 * 1024 * 1024)
    manifest = build._base_manifest("edition", "bomb", 9, "x", None)
    manifest.update(edition=build.edition_json(c.small.info), sections=build.sections_json(c.small.sections))
    import hashlib

    manifest["files"] = [
        {
            "path": "data/rows.jsonl",
            "role": "rows",
            "format": "jsonl",
            "sha256": hashlib.sha256(zeros).hexdigest(),
            "bytes": len(zeros),
            "rows": 1,
        }
    ]
    return c.signed_raw("bomb.zip", manifest, {"data/rows.jsonl": zeros})


def _million(c: Ctx) -> Path:
    return c.edition("million.zip", declared_rows=2_000_000)


def _over_cap(c: Ctx) -> Path:
    rows = [{"x": 1}] * (p.MAX_ROWS + 1)
    return c.edition("cap.zip", rows=rows, declared_rows=p.MAX_ROWS)


def _overlay(c: Ctx, name: str, csv_bytes: bytes, *, patch: Callable[[dict], None] | None = None) -> Path:
    manifest = build._base_manifest("overlay", "bad-overlay", 1, "测试", None)
    manifest["overlay"] = {
        "overlay_id": "jilin-test",
        "kind": "dual_channel",
        "region": "jilin",
        "title": "测试",
        "complete": False,
        "note": "仅测试",
    }
    if patch:
        patch(manifest)
    n = max(len(csv_bytes.splitlines()) - 1, 0)
    return build.write_package(c.tmp / name, manifest, [("data/items.csv", "items", "csv", csv_bytes, n)], c.key)


HEADER = "name,dosage_form,action,attrs,start,end,source\n"


def _revision(c: Ctx, name: str, base_id: str, *, changed: list[dict] | None = None) -> Path:
    rows = _rows_json(c.small)
    changed = changed if changed is not None else [dict(rows[0], remark="测试备注")]
    manifest = build._base_manifest("revision", "bad-rev", 7, "测试", None)
    manifest.update(
        edition=build.edition_json(c.small.info),
        sections=build.sections_json(c.small.sections),
        base={"package_id": base_id, "edition": c.small.info.name},
    )
    files = [
        ("data/added.jsonl", "added", "jsonl", b"", 0),
        ("data/changed.jsonl", "changed", "jsonl", _jsonl(changed), len(changed)),
        ("data/removed.jsonl", "removed", "jsonl", b"", 0),
    ]
    return build.write_package(c.tmp / name, manifest, files, c.key)


def _delete_edition_first(c: Ctx) -> None:
    db = store.open_db(c.db_path)
    with db.atomic():
        store.delete_edition(db, "2024")
    db.close()


def _manifest_patch(fn: Callable[[dict], None]) -> Callable[[Ctx], Path]:
    return lambda c: c.edition("m.zip", patch=fn)


def _set(**kv: Any) -> Callable[[dict], None]:
    def f(m: dict) -> None:
        m.update(kv)

    return f


def _edition_set(**kv: Any) -> Callable[[dict], None]:
    def f(m: dict) -> None:
        m["edition"].update(kv)

    return f


def _same_length(data: bytes) -> bytes:
    i = data.index("乙".encode())
    return data[:i] + "甲".encode() + data[i + 3 :]


def _fewer_rows(c: Ctx) -> Path:
    rows = _rows_json(c.small)[:3]
    return c.edition("few.zip", rows=rows)


def _add_member(c: Ctx) -> Path:
    path = c.edition("extra.zip")
    members = _members(path)
    members["data/notes.txt"] = "未列出的文件".encode()
    return _write(path, members)


def _zip_member(name: str) -> Callable[[Ctx], Path]:
    def make(c: Ctx) -> Path:
        path = c.edition("path.zip")
        members = _members(path)
        members[name] = b"x"
        return _write(path, members)

    return make


def _drop_member(member: str) -> Callable[[Ctx], Path]:
    def make(c: Ctx) -> Path:
        path = c.edition("drop.zip")
        members = _members(path)
        del members[member]
        return _write(path, members)

    return make


def _star_bad(c: Ctx) -> Path:
    rows = _rows_json(c.small)
    rows.append(dict(rows[0], seq=999, number=None, star_of=9999, dosage_form="测试剂型"))
    return c.edition("star.zip", rows=rows)


def _duplicate(c: Ctx) -> Path:
    rows = _rows_json(c.small)
    rows.append(dict(rows[0], seq=999))
    return c.edition("dup.zip", rows=rows)


def _older(c: Ctx) -> Path:
    newer = c.edition("newer.zip", package_id="test-2024-newer", sequence=8)
    apply.apply_package(c.db_path, newer, trust=c.trust, backup=False)
    return c.edition("older.zip", package_id="test-2024-older", sequence=6)


def _twice(c: Ctx) -> Path:
    return build.edition_package(c.small, c.tmp / "same.zip", c.key, package_id="test-2024-small", sequence=1)


#: (check code, how to make the package). Every one must be refused with the database unchanged.
CASES: dict[str, tuple[str, Callable[[Ctx], Path]]] = {
    "not a zip": ("not_zip", lambda c: (c.tmp / "x.zip").write_text("这不是压缩包") and c.tmp / "x.zip"),
    "truncated zip": ("truncated", lambda c: _write_bytes(c.tmp / "t.zip", c.edition("full.zip").read_bytes()[:-200])),
    "unsigned": ("unsigned", lambda c: c.edition("u.zip", key=None)),
    "unknown key": ("unknown_key", lambda c: c.edition("k.zip", key=c.other_key)),
    "garbage signature file": (
        "signature_format",
        lambda c: _tamper(c.edition("g.zip"), p.SIGNATURE, lambda b: b"not json"),
    ),
    "manifest changed after signing": (
        "bad_signature",
        lambda c: _tamper(c.edition("ms.zip"), p.MANIFEST, lambda b: b.replace("测试".encode(), "篡改".encode())),
    ),
    "data file changed after signing": (
        "file_hash",
        lambda c: _tamper(c.edition("d.zip"), "data/rows.jsonl", _same_length),
    ),
    "data file grown after signing": (
        "file_bytes",
        lambda c: _tamper(c.edition("d2.zip"), "data/rows.jsonl", lambda b: b + b"\n"),
    ),
    "path escaping the folder": ("member_path", _zip_member("../../evil.txt")),
    "absolute path": ("member_path", _zip_member("/etc/passwd")),
    "zip bomb": ("ratio", _bomb),
    "millions of rows declared": ("rows_declared", _million),
    "more rows than the cap": ("rows", _over_cap),
    "GBK-encoded CSV": (
        "encoding",
        lambda c: _overlay(c, "gbk.zip", (HEADER + "依沃西单抗,注射剂,add,,,,\n").encode("gbk")),
    ),
    "missing column": (
        "missing_column",
        lambda c: c.edition(
            "mc.zip", rows=[{k: v for k, v in row.items() if k != "remark"} for row in _rows_json(c.small)]
        ),
    ),
    "extra column": (
        "extra_column",
        lambda c: c.edition("ec.zip", rows=[dict(row, price="1.00") for row in _rows_json(c.small)]),
    ),
    "missing CSV column": (
        "missing_column",
        lambda c: _overlay(c, "mcsv.zip", "name,action\n依沃西单抗,add\n".encode()),
    ),
    "duplicate keys": ("duplicate_key", _duplicate),
    "negative price": ("bad_price", _row_patch(payment_standard="-5.00元(10mg/片)")),
    "impossible price": ("bad_price", _row_patch(payment_standard="99999999.00元(1支)")),
    "unreadable price": ("bad_price", _row_patch(payment_standard="12.00元(10mg/片)；约五元(20mg/片)")),
    "impossible agreement date": ("bad_date", _row_patch(agreement_text="2025年2月30日至2026年12月31日")),
    "agreement ends before it starts": ("date_order", _row_patch(agreement_text="2026年1月1日至2025年12月31日")),
    "edition ends before it starts": ("date_order", _manifest_patch(_edition_set(effective_end="2020-01-01"))),
    "unknown section": ("unknown_section", _row_patch(section="保健食品")),
    "impossible class": ("bad_class", _row_patch(drug_class="丙")),
    "wrong field type": ("row_type", _row_patch(seq="第二行")),
    "star reference to nothing": ("bad_reference", _star_bad),
    "revision against the wrong base": ("wrong_base", lambda c: _revision(c, "rev.zip", "nrdl-2024-other")),
    "revision without a base": ("base_missing", lambda c: (_delete_edition_first(c), _revision(c, "r2.zip", "x"))[1]),
    "revision changing a drug not installed": (
        "bad_reference",
        lambda c: _revision(
            c, "r3.zip", "test-2024-small", changed=[dict(_rows_json(c.small)[0], name_published="不存在的药", seq=77)]
        ),
    ),
    "older edition": ("older", _older),
    "same package twice": ("already_applied", _twice),
    "format version from the future": ("format_future", _manifest_patch(_set(format_version=99))),
    "empty manifest": ("manifest_empty", lambda c: c.signed_raw("e.zip", {}, {})),
    "not a Yaomu package": ("format_name", _manifest_patch(_set(format="other-format"))),
    "unknown kind": ("kind", _manifest_patch(_set(kind="patch"))),
    "row count differs from the manifest": ("row_count", lambda c: c.edition("rc.zip", declared_rows=3)),
    "file not listed in the manifest": ("extra_member", _add_member),
    "no manifest": ("no_manifest", _drop_member(p.MANIFEST)),
    "listed file missing": ("file_missing", _drop_member("data/rows.jsonl")),
    "broken JSON line": ("jsonl", lambda c: _tamper_resign(c, b"{not json\n")),
    "would drop most rows": ("too_many_dropped", _fewer_rows),
    "self-pay ratio above 100%": (
        "bad_ratio",
        lambda c: _overlay(c, "ratio.zip", (HEADER + '某药,注射剂,set,"{""ratio"": ""1.5""}",,,\n').encode()),
    ),
    "unknown overlay action": (
        "bad_action",
        lambda c: _overlay(c, "act.zip", (HEADER + "依沃西单抗,注射剂,drop,,,,\n").encode()),
    ),
    "partial overlay without a note": (
        "overlay_note",
        lambda c: _overlay(
            c,
            "note.zip",
            (HEADER + "依沃西单抗,注射剂,add,,,,\n").encode(),
            patch=lambda m: m["overlay"].update(note=None),
        ),
    ),
    # issue 12: holes found by the attack run
    "sequence of 2^63": ("sequence", _manifest_patch(_set(sequence=2**63))),
    "row number of 2^63": ("bad_number", _row_patch(number=2**63)),
    "self-pay ratio NaN": (
        "bad_ratio",
        lambda c: _overlay(c, "nan.zip", (HEADER + '某药,注射剂,set,"{""ratio"": ""NaN""}",,,\n').encode()),
    ),
    "CSV field over 128 K characters": (
        "csv",
        lambda c: _overlay(c, "wide.zip", (HEADER + "药" * 140_000 + ",注射剂,add,,,,\n").encode()),
    ),
    "transition standard abc": (
        "bad_price",
        lambda c: _overlay(c, "abc.zip", (HEADER + '某药,注射剂,add,"{""payment_standard"": ""abc""}",,,\n').encode()),
    ),
    "transition standard -5.00": (
        "bad_price",
        lambda c: _overlay(
            c, "neg.zip", (HEADER + '某药,注射剂,add,"{""payment_standard"": ""-5.00""}",,,\n').encode()
        ),
    ),
    "ANSI escape in a name": ("control_character", _row_patch(name_published="阿莫西林\x1b[2J胶囊")),
    "right-to-left override in a remark": ("control_character", _row_patch(remark="限\u202e成人")),
    "NUL in a CSV cell": (
        "control_character",
        lambda c: _overlay(c, "nul.zip", (HEADER + "某\x00药,,add,,,,\n").encode()),
    ),
    "CR in the edition title": ("control_character", _manifest_patch(_edition_set(title="目录\r伪造"))),
    "published 0001-01-01": ("date_range", _manifest_patch(_edition_set(published="0001-01-01"))),
    "full-width year": ("bad_date", _manifest_patch(_edition_set(effective_start="２０２５-01-01"))),
    "duplicate manifest key": ("manifest_json", lambda c: _raw_manifest(c, "dupkey.zip", duplicate=True)),
    "manifest nested 100,000 deep": ("manifest_json", lambda c: _raw_manifest(c, "deep.zip", deep=True)),
    "variant with spaces": ("edition_variant", _manifest_patch(_edition_set(variant="official 2"))),
}


def _raw_manifest(c: Ctx, name: str, *, duplicate: bool = False, deep: bool = False) -> Path:
    """A signed package whose manifest bytes JSON-decode to something the format forbids."""
    good = c.edition("raw-" + name)
    members = _members(good)
    text = members[p.MANIFEST].decode()
    if duplicate:  # the same key twice: json.loads would silently keep the second
        text = text.replace('"kind": "edition",', '"kind": "edition",\n "kind": "overlay",', 1)
        assert text.count('"kind"') >= 2
    if deep:
        text = text[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    data = text.encode()
    members[p.MANIFEST] = data
    members[p.SIGNATURE] = p.signature_doc(data, c.key)
    return _write(c.tmp / name, members)


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _tamper_resign(c: Ctx, body: bytes) -> Path:
    """A correctly signed package whose data file is broken JSON (the publisher's mistake, not tampering)."""
    manifest = build._base_manifest("edition", "broken-json", 9, "测试", None)
    manifest.update(edition=build.edition_json(c.small.info), sections=build.sections_json(c.small.sections))
    return build.write_package(c.tmp / "bj.zip", manifest, [("data/rows.jsonl", "rows", "jsonl", body, 1)], c.key)


def test_at_least_30_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", list(CASES))
def test_bad_package_refused_database_unchanged(case: str, ctx: Ctx) -> None:
    code, make = CASES[case]
    path = make(ctx)
    db = store.open_db(ctx.db_path)
    before = store.content_hash(db)
    db.close()
    with pytest.raises(p.PackageError) as info:
        apply.apply_package(ctx.db_path, path, trust=ctx.trust)
    assert info.value.code == code, str(info.value)
    message = str(info.value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    db = store.open_db(ctx.db_path)
    assert store.content_hash(db) == before
    db.close()
    MESSAGES[case] = info.value.message


MESSAGES: dict[str, str] = {}


def test_messages_are_distinct() -> None:
    """Runs after the parametrized cases (file order): each refusal says its own thing."""
    if len(MESSAGES) < len(CASES):
        pytest.skip("run together with test_bad_package_refused_database_unchanged")
    by_message: dict[str, list[str]] = {}
    for case, message in MESSAGES.items():
        by_message.setdefault(message, []).append(case)
    assert [cases for cases in by_message.values() if len(cases) > 1] == []


def test_limit_checked_before_decompressing(ctx: Ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bomb is refused from the zip directory: no member is read at all."""
    path = _bomb(ctx)

    def no_read(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a member was decompressed")

    monkeypatch.setattr(p, "_read_member", no_read)
    with pytest.raises(p.PackageLimitError):
        p.verify_package(path, ctx.trust)


def test_verify_good_package(ctx: Ctx) -> None:
    verified = p.verify_package(ctx.edition("good.zip"), ctx.trust)
    assert verified.kind == "edition" and len(verified.rows) == len(ctx.small.rows)
    assert verified.key_id == ctx.key.key_id


def test_refused_revision_leaves_edition_rows(ctx: Ctx) -> None:
    """Row-level check of "unchanged" beside the content hash: the small edition is still there."""
    with pytest.raises(p.PackageConflict):
        apply.apply_package(ctx.db_path, _revision(ctx, "rev.zip", "wrong"), trust=ctx.trust)
    db = store.open_db(ctx.db_path)
    (edition,) = store.editions(db)
    assert sum(edition.counts.values()) == len(ctx.small.rows)
    db.close()
