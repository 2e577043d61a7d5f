"""``yaomu feed publish`` and ``yaomu sync feed`` from the command line: exit codes, JSON, Chinese messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.paths import resource_path
from tests.sync.feed_server import FeedServer


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """A head-office key, a counter trust folder (Yaomu's key + head office's), two overlay packages."""
    private, public = tmp_path / "hq" / "private.json", tmp_path / "trust" / "hq.json"
    assert (
        main(["package", "keygen", "--publisher", "测试总部", "--private", str(private), "--public", str(public)]) == 0
    )
    for f in resource_path("trust").glob("*.json"):
        shutil.copy(f, public.parent / f.name)
    pkgs = []
    for name in ("jilin-dual-channel-2024", "national-transition-2024"):
        out = tmp_path / f"{name}.zip"
        definition = str(resource_path(f"overlays/{name}.json"))
        assert main(["package", "build", "--overlay", definition, "--key", str(private), "--out", str(out)]) == 0
        pkgs.append(out)
    capsys.readouterr()
    return private, public.parent, pkgs


def test_publish_then_check_then_sync_over_http(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: tuple
) -> None:
    private, trust, pkgs = setup
    out = tmp_path / "www"
    args = ["feed", "publish", str(pkgs[0]), "--to", str(out), "--key", str(private), "--trust", str(trust)]
    assert main([*args, "--feed-id", "test-hq", "--json"]) == 0
    published = _json(capsys)
    assert published["sequence"] == 1 and published["feed_id"] == "test-hq"
    assert (out / "feed.json").exists() and (out / "feed.sig").exists()
    server = FeedServer(out).start()
    try:
        db = str(tmp_path / "db.sqlite3")
        assert main(["--db", db, "sync", "feed", server.url, "--check", "--trust", str(trust), "--json"]) == 0
        checked = _json(capsys)
        assert checked["status"] == "pending" and [e["package_id"] for e in checked["pending"]] == [
            "jilin-dual-channel-2024"
        ]
        assert main(["--db", db, "sync", "history", "--json"]) == 0 and _json(capsys) == []  # --check applied nothing
        assert main(["--db", db, "sync", "feed", server.url, "--trust", str(trust)]) == 0
        text = capsys.readouterr().out
        assert "已应用更新包 jilin-dual-channel-2024" in text
        assert main(["--db", db, "sync", "feed", server.url, "--trust", str(trust), "--json"]) == 0
        again = _json(capsys)
        assert again["status"] == "current" and again["unchanged"] and again["requests"] == 1
        assert (
            main(["feed", "publish", str(pkgs[1]), "--to", str(out), "--key", str(private), "--trust", str(trust)]) == 0
        )
        assert "索引序号 2" in capsys.readouterr().out
        assert main(["--db", db, "sync", "feed", server.url, "--trust", str(trust), "--json"]) == 0
        assert [a["package_id"] for a in _json(capsys)["applied"]] == ["national-transition-2024"]
        assert main(["--db", db, "sync", "history"]) == 0
        assert f"来自目录源 {server.url}" in capsys.readouterr().out
        assert main(["--db", db, "sync", "history", "--json"]) == 0
        history = _json(capsys)
        assert [h["feed_url"] for h in history] == [server.url, server.url]
        assert history[0]["package_url"].startswith(server.url + "packages/national-transition-2024-")
    finally:
        server.stop()


def test_refusals_exit_2_with_a_chinese_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: tuple
) -> None:
    private, trust, pkgs = setup
    out = tmp_path / "share"
    assert (
        main(["feed", "publish", *map(str, pkgs), "--to", str(out), "--key", str(private), "--trust", str(trust)]) == 0
    )
    capsys.readouterr()
    db = str(tmp_path / "db.sqlite3")
    (out / "feed.json").write_bytes((out / "feed.json").read_bytes().replace(b'"sequence": 1', b'"sequence": 9', 1))
    assert main(["--db", db, "sync", "feed", str(out), "--trust", str(trust), "--json"]) == 2
    refused = _json(capsys)
    assert refused["status"] == "refused" and refused["code"] == "index_bad_signature"
    assert main(["--db", db, "sync", "feed", str(out), "--trust", str(trust)]) == 2
    assert "目录源的索引签名校验失败" in capsys.readouterr().err
    assert main(["--db", db, "sync", "feed", str(tmp_path / "nowhere")]) == 2
    assert "目录源文件夹中没有 feed.json" in capsys.readouterr().err
    assert main(["feed", "publish", str(pkgs[0]), "--to", str(out), "--key", str(tmp_path / "no-key.json")]) == 2
    assert "找不到发布方私钥" in capsys.readouterr().err


def test_the_feed_settings_through_yaomu_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "db.sqlite3")
    for key, value in (
        ("feed_url", "https://feeds.example.com/hq/"),
        ("feed_poll_minutes", "30"),
        ("opening_hours", "07:00-23:00"),
        ("feed_auto_apply", "是"),
    ):
        assert main(["--db", db, "settings", "set", key, value]) == 0
    capsys.readouterr()
    assert main(["--db", db, "settings", "set", "feed_auto_apply", "也许"]) == 2
    assert "应填 是 或 否" in capsys.readouterr().err
    assert main(["--db", db, "settings", "set", "feed_poll_minutes", "1"]) == 2
    assert "5 到 1440 分钟" in capsys.readouterr().err
    from desktop import settings as st
    from desktop.storage import catalogue as store

    with store.open_db(db) as conn:
        saved = st.get(conn)
        assert (saved.feed_url, saved.feed_poll_minutes, saved.opening_hours, saved.feed_auto_apply) == (
            "https://feeds.example.com/hq/",
            30,
            "07:00-23:00",
            True,
        )
        again = st.set_values(st.Settings(), st.parse_import(json.dumps(st.export_document(saved))))
        assert again.feed_auto_apply is True and again.feed_poll_minutes == 30  # export and import round-trip
