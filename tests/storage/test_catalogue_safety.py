"""Tests for desktop/storage/catalogue.py: foreign files refused, private modes, verified back-ups, damage refused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.errors import DatabaseError
from desktop.storage import catalogue as store
from desktop.sync import apply, build, keys

ROOT = Path(__file__).resolve().parents[2]


def _bytes(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("schema", ["create table notes (x)", "create table settings (key text primary key, v)"])
def test_a_foreign_sqlite_file_is_refused_unchanged(tmp_path: Path, schema: str, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute(schema)
    con.commit()
    con.close()
    before = _bytes(path)
    with pytest.raises(DatabaseError, match="不是药目的数据库"):
        store.open_db(path)
    with pytest.raises(DatabaseError, match="不是药目的数据库"):
        store.open_db(path, readonly=True)
    assert main(["--db", str(path), "editions"]) == 2
    assert "不是药目的数据库" in capsys.readouterr().err
    assert _bytes(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no WAL, no back-up left beside it


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_database_and_backups_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "data" / "yaomu.sqlite3"
        db = store.open_db(path)
        db["t"].insert({"x": 1})
        bak = store.backup(db, path, reason="sync")
        db.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for f in [path, bak, *path.parent.glob("*-wal")]:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


@pytest.fixture()
def overlay_pkg(tmp_path: Path) -> tuple[Path, dict[str, keys.PublicKey]]:
    key = keys.generate("测试")
    d = build.read_overlay_def(ROOT / "resources" / "overlays" / "national-transition-2024.json")
    info = replace(d.info, title=d.info.title + "（测试）")
    pkg = build.overlay_package(info, d.items, tmp_path / "o.zip", key, package_id="test-transition", sequence=50)
    return pkg, {key.key_id: key.public}


def _damage(path: Path) -> None:
    """Overwrite the middle of the file (b-tree pages of the catalogue) with garbage."""
    con = sqlite3.connect(path)
    con.execute("pragma wal_checkpoint(truncate)")
    con.close()
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(size // 2 // 4096 * 4096)
        fh.write(os.urandom(4096 * 8))


def test_damaged_database_is_refused_before_any_write_and_keeps_the_good_backups(
    real_db_copy: Path, overlay_pkg, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pkg, trust = overlay_pkg
    db = store.open_db(real_db_copy)
    good = [store.backup(db, real_db_copy, reason="sync") for _ in range(3)]
    db.close()
    _damage(real_db_copy)
    before = _bytes(real_db_copy)
    for _ in range(3):
        with pytest.raises(store.DamagedDatabase) as caught:
            apply.apply_package(real_db_copy, pkg, trust=trust)
        assert "已损坏" in caught.value.message and good[-1].name in (caught.value.hint or "")
    assert sorted(real_db_copy.parent.glob("*.bak")) == sorted(good)  # no damaged copy rotated a good one away
    assert not list(real_db_copy.parent.glob("*.partial"))
    assert _bytes(real_db_copy) == before


def test_a_damaged_backup_never_counts_among_the_kept(real_db_copy: Path) -> None:
    db = store.open_db(real_db_copy)
    first = store.backup(db, real_db_copy, reason="sync")
    broken = real_db_copy.with_name(real_db_copy.name + ".sync-20000101-000000-000000.bak")
    broken.write_bytes(first.read_bytes()[:8192])  # what an older version left on a full disk
    later = [store.backup(db, real_db_copy, reason="sync") for _ in range(3)]
    db.close()
    assert sorted(real_db_copy.parent.glob("*.sync-*.bak")) == sorted(later)
    for bak in later:
        con = sqlite3.connect(bak)
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        con.close()


FULL_DISK = r"""
import resource, signal, sys
from pathlib import Path
from desktop.storage import catalogue as store
from desktop.errors import DatabaseError
from desktop.sync import apply, keys
db_path, pkg, trust_dir = sys.argv[1:4]
trust = keys.trust_store(Path(trust_dir))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
size = Path(db_path).stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))  # the disk fills half-way through the back-up
try:
    apply.apply_package(db_path, pkg, trust=trust)
except DatabaseError as err:
    print("refused", err.message)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE")
def test_full_disk_during_backup_leaves_no_partial_backup_and_the_database_unchanged(
    real_db_copy: Path, overlay_pkg, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pkg, trust = overlay_pkg
    trust_dir = tmp_path / "trust"
    trust_dir.mkdir()
    for k in trust.values():
        (trust_dir / "k.json").write_text(json.dumps(keys.public_json(k)), encoding="utf-8")
    db = store.open_db(real_db_copy)
    db.execute("pragma wal_checkpoint(truncate)")
    before = store.content_hash(db)
    db.close()
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(real_db_copy), str(pkg), str(trust_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
    )
    assert out.stdout.startswith("refused 无法备份数据库"), out.stdout + out.stderr
    assert not list(real_db_copy.parent.glob("*.bak")) and not list(real_db_copy.parent.glob("*.partial"))
    db = store.open_db(real_db_copy, readonly=True)
    assert store.content_hash(db) == before
    db.close()
    shutil.rmtree(trust_dir)


def test_a_backup_is_one_file_with_nothing_beside_it(real_db_copy: Path) -> None:
    db = store.open_db(real_db_copy)
    baks = [store.backup(db, real_db_copy, reason="sync") for _ in range(2)]
    db.close()
    assert store.latest_backup(real_db_copy) == baks[-1]
    assert sorted(p.name for p in real_db_copy.parent.iterdir() if ".bak" in p.name) == sorted(b.name for b in baks)
