"""Files the user asks Yaomu to write (receipt PDFs, CSV exports, packages, keys): checked, then written atomically.

An output path is refused when it is the database, its WAL/SHM/journal, one of its back-ups or the
receipt key, or any SQLite database at all (always, even with ``--force``), and when it names an
existing file unless the caller says to overwrite it (``--force`` on the command line; a save dialog
that already asked). The file is written to a temporary name beside it and renamed into place.
"""

from __future__ import annotations

from pathlib import Path

from desktop import platform
from desktop.errors import UserFacingError

_SQLITE_HEADER = b"SQLite format 3\x00"
#: Files that sit beside the database and belong to it.
_SIDE_SUFFIXES = ("", "-wal", "-shm", "-journal", ".receipt-key")


class OutputPathError(UserFacingError):
    """An output path that must not be written."""


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def protected(db_path: Path | str | None) -> list[Path]:
    """The database file, the files SQLite keeps beside it, its back-ups and its receipt key."""
    if db_path is None or str(db_path) == ":memory:":
        return []
    db = Path(db_path)
    out = [db.with_name(db.name + suffix) for suffix in _SIDE_SUFFIXES]
    if db.parent.is_dir():
        out += sorted(db.parent.glob(f"{db.name}.*.bak"))
    return out


def _is_backup_name(out: Path, db: Path) -> bool:
    return out.name.startswith(db.name + ".") and out.name.endswith(".bak") and _same(out.parent, db.parent)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == _SQLITE_HEADER
    except OSError:
        return False


def check(out: Path | str, *, db_path: Path | str | None, force: bool = False, what: str = "文件") -> Path:
    """Refuse an output path that would destroy data; returns it as a ``Path``.

    Raises:
        OutputPathError: the path is the database or belongs to it, an existing SQLite file, a
            folder, inside a missing folder, or an existing file without ``force``.
    """
    out = Path(out)
    backup_name = db_path is not None and _is_backup_name(out, Path(db_path))
    for p in [*protected(db_path), *([out] if backup_name else [])]:
        if _same(out, p):
            raise OutputPathError(
                f"不能把{what}保存到 {out}：这是药目的数据库或其备份文件，写入会毁掉收据历史、设置和目录。",
                hint="请另选一个文件名（例如 收据.pdf、收据历史.csv）。数据库未被改动。",
            )
    if out.is_dir():
        raise OutputPathError(f"输出路径 {out} 是一个文件夹。", hint=f"请给出{what}的文件名。")
    if not out.parent.is_dir():
        raise OutputPathError(
            f"无法保存{what}：文件夹 {out.parent} 不存在。", hint="请先创建该文件夹，或选择其他保存位置。"
        )
    if out.exists():
        if _is_sqlite(out):
            raise OutputPathError(
                f"不能覆盖 {out}：这是一个 SQLite 数据库文件。", hint="请另选一个文件名。原文件未被改动。"
            )
        if not force:
            raise OutputPathError(f"文件 {out} 已存在，未覆盖。", hint="如确需覆盖，请加 --force；或另选一个文件名。")
    return out


def write(out: Path | str, data: bytes, *, db_path: Path | str | None, force: bool = False, what: str = "文件") -> Path:
    """``check`` the path, then write ``data`` atomically (temp file + rename)."""
    out = check(out, db_path=db_path, force=force, what=what)
    try:
        return platform.atomic_write(out, data)
    except OSError as err:
        raise OutputPathError(
            f"无法写入 {out}：{err.strerror or err}", hint="请检查磁盘空间、文件夹权限，以及文件是否被其他程序占用。"
        ) from None
