"""Tests for desktop/outfile.py and desktop/platform.py: output paths that would destroy data are refused."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from desktop import outfile, platform


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "yaomu.sqlite3"
    con = sqlite3.connect(path)
    con.execute("pragma journal_mode=wal")
    con.execute("create table t (x)")
    con.commit()
    con.close()
    (tmp_path / "yaomu.sqlite3.sync-20260101-000000-000000.bak").write_bytes(path.read_bytes())
    return path


@pytest.mark.parametrize(
    "name", ["yaomu.sqlite3", "yaomu.sqlite3-wal", "yaomu.sqlite3-shm", "yaomu.sqlite3.sync-20260101-000000-000000.bak"]
)
def test_database_wal_and_backups_are_refused_even_with_force(db_path: Path, name: str) -> None:
    target = db_path.parent / name
    before = target.read_bytes() if target.exists() else None
    with pytest.raises(outfile.OutputPathError, match="数据库或其备份"):
        outfile.write(target, b"%PDF", db_path=db_path, force=True)
    assert (target.read_bytes() if target.exists() else None) == before


def test_a_future_backup_name_and_a_path_through_another_spelling_are_refused(db_path: Path) -> None:
    with pytest.raises(outfile.OutputPathError):
        outfile.check(db_path.parent / "yaomu.sqlite3.migrate-29990101.bak", db_path=db_path, force=True)
    odd = db_path.parent / "sub" / ".." / "yaomu.sqlite3"
    (db_path.parent / "sub").mkdir()
    with pytest.raises(outfile.OutputPathError):
        outfile.check(odd, db_path=db_path, force=True)


def test_any_other_sqlite_file_is_never_overwritten(db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table y (z)").connection.commit()
    with pytest.raises(outfile.OutputPathError, match="SQLite"):
        outfile.write(other, b"x", db_path=db_path, force=True)


def test_existing_file_needs_force_and_is_replaced_atomically(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    outfile.write(out, b"one", db_path=db_path)
    with pytest.raises(outfile.OutputPathError, match="--force"):
        outfile.write(out, b"two", db_path=db_path)
    assert out.read_bytes() == b"one"
    outfile.write(out, b"two", db_path=db_path, force=True)
    assert out.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


def test_missing_folder_and_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(outfile.OutputPathError, match="不存在"):
        outfile.check(tmp_path / "nope" / "x.pdf", db_path=None)
    with pytest.raises(outfile.OutputPathError, match="文件夹"):
        outfile.check(tmp_path, db_path=None)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_private_modes(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        folder = platform.private_dir(tmp_path / "data" / "yaomu")
        f = folder / "db"
        platform.create_private(f)
        out = platform.atomic_write(folder / "out.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
