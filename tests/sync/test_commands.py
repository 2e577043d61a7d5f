"""``yaomu package`` / ``yaomu sync`` from the command line: exit codes and JSON (#3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.sync import keys


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_keygen_build_sign_verify_apply_history_rollback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.paths import resource_path

    private, public = tmp_path / "key" / "publisher.json", tmp_path / "trust" / "pub.json"
    assert main(["package", "keygen", "--publisher", "测试", "--private", str(private), "--public", str(public)]) == 0
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    capsys.readouterr()
    definition = resource_path("overlays/jilin-dual-channel-2024.json")
    pkg = tmp_path / "o.zip"
    assert main(["package", "build", "--overlay", str(definition), "--unsigned", "--out", str(pkg)]) == 0
    db = str(tmp_path / "db.sqlite3")
    trust = ["--trust", str(public.parent)]
    capsys.readouterr()
    assert main(["--db", db, "sync", "verify", str(pkg), "--json", *trust]) == 2
    assert _json(capsys)["code"] == "unsigned"
    assert main(["package", "sign", str(pkg), "--key", str(private)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "sync", "verify", str(pkg), "--json", *trust]) == 0
    out = _json(capsys)
    assert out["status"] == "verified" and out["complete"] is False
    assert main(["--db", db, "sync", "diff", str(pkg), "--json", *trust]) == 0
    assert len(_json(capsys)["overlay_added"]) == 5
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["--db", db, "sync", "apply", str(pkg), *trust]) == 2  # no --yes, not interactive
    capsys.readouterr()
    assert main(["--db", db, "sync", "apply", str(pkg), "--yes", "--json", *trust]) == 0
    assert _json(capsys)["status"] == "applied"
    assert main(["--db", db, "sync", "apply", str(pkg), "--yes", "--json", *trust]) == 2
    assert _json(capsys)["code"] == "already_applied"
    assert main(["--db", db, "sync", "history", "--json"]) == 0
    (entry,) = _json(capsys)
    assert entry["package_id"] == "jilin-dual-channel-2024" and entry["key_id"] == keys.load_public(public).key_id
    assert main(["--db", db, "sync", "rollback", "--yes", "--json"]) == 0
    assert _json(capsys)["status"] == "rolled_back"
    assert main(["--db", db, "sync", "rollback", "--yes"]) == 2
