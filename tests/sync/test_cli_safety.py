"""``yaomu package keygen`` never overwrites a key; ``--trust`` says which keys it trusts; build --out is guarded."""

from __future__ import annotations

import json
from pathlib import Path

from desktop.cli import main


def test_keygen_refuses_to_overwrite_either_key_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    private, public = tmp_path / "k" / "private.json", tmp_path / "t" / "public.json"
    args = ["package", "keygen", "--publisher", "测试", "--private", str(private), "--public", str(public)]
    assert main(args) == 0
    first = (private.read_text(encoding="utf-8"), public.read_text(encoding="utf-8"))
    capsys.readouterr()
    assert main(args) == 2
    assert "已存在，不会覆盖" in capsys.readouterr().err
    other = tmp_path / "k" / "other.json"
    assert main([*args[:4], "--private", str(other), "--public", str(public)]) == 2  # the public file exists
    assert not other.exists()
    assert (private.read_text(encoding="utf-8"), public.read_text(encoding="utf-8")) == first


def test_trust_on_the_command_line_is_announced_with_its_keys(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    private, public = tmp_path / "private.json", tmp_path / "trust" / "public.json"
    keygen = ["package", "keygen", "--publisher", "某发布方", "--private", str(private), "--public", str(public)]
    assert main(keygen) == 0
    key_id = json.loads(public.read_text(encoding="utf-8"))["key_id"]
    pkg = tmp_path / "o.zip"
    overlay = Path(__file__).resolve().parents[2] / "resources" / "overlays" / "national-transition-2024.json"
    assert main(["package", "build", "--overlay", str(overlay), "--key", str(private), "--out", str(pkg)]) == 0
    capsys.readouterr()
    assert main(["sync", "verify", str(pkg), "--trust", str(public.parent)]) == 0
    err = capsys.readouterr().err
    assert "--trust" in err and key_id in err and "某发布方" in err and "不是本机内置" in err
    assert main(["sync", "verify", str(pkg), "--trust", str(tmp_path / "missing")]) == 2


def test_build_out_never_overwrites_without_force_nor_the_database(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    overlay = Path(__file__).resolve().parents[2] / "resources" / "overlays" / "national-transition-2024.json"
    out = tmp_path / "o.zip"
    out.write_bytes(b"keep")
    db = tmp_path / "y.sqlite3"
    build = ["--db", str(db), "package", "build", "--overlay", str(overlay), "--unsigned"]
    assert main([*build, "--out", str(out)]) == 2
    assert out.read_bytes() == b"keep"
    assert main([*build, "--out", str(out), "--force"]) == 0
    db.write_bytes(b"SQLite format 3\x00" + bytes(100))
    assert main([*build, "--out", str(db), "--force"]) == 2
