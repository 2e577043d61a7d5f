"""Where the receipt check-value key lives: the OS keyring when one works, else a 0600 file beside the database.

The database holds only the key's id (``receipt_key_ref``), so the database file and its back-ups can
be copied, read or edited without giving anyone the means to re-sign an edited receipt. The key file
is ``<database>.receipt-key`` (JSON: key id and secret, mode 0600), which is never an output path
(``desktop.outfile``). Moving the pharmacy to another PC means copying the key file (or exporting the
keyring entry) together with the database; without it old receipts cannot be verified.

Keyring backends: Windows Credential Locker, macOS Keychain, Secret Service on a Linux desktop. On a
headless Linux machine ``keyring`` has no backend and the file is used. ``YAOMU_KEYRING=off`` forces
the file (tests use it, so they never touch a real keyring).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop import platform
from desktop.errors import DatabaseError

SERVICE = "yaomu-receipt-key"
FILE_SUFFIX = ".receipt-key"
log = logging.getLogger(__name__)

#: Keys of in-memory databases (tests, benchmarks): they live as long as the process.
_MEMORY: dict[str, bytes] = {}


class MissingKey(DatabaseError):
    """The database names a check-value key that is neither in the keyring nor beside the database."""


def key_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + FILE_SUFFIX)


def _keyring() -> Any | None:
    if os.environ.get("YAOMU_KEYRING") == "off":
        return None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - pinned dependency
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration: use the file
        log.warning("keyring unavailable", exc_info=True)
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def where(db_path: Path | None) -> str:
    """Where a new key for this database would be kept, for messages and docs."""
    if db_path is None:
        return "内存"
    return "系统钥匙串" if _keyring() else str(key_file(db_path))


def load(db_path: Path | None, key_id: str) -> bytes | None:
    """The key named ``key_id`` for the database at ``db_path`` (None: not found)."""
    if db_path is None:
        return _MEMORY.get(key_id)
    kr = _keyring()
    if kr is not None:
        try:
            value = kr.get_password(SERVICE, key_id)
        except Exception:
            log.warning("keyring read failed", exc_info=True)
            value = None
        if value:
            return bytes.fromhex(value)
    path = key_file(db_path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise MissingKey(
            f"收据校验密钥文件 {path} 无法读取：{err}", hint="请从备份恢复该文件（它与数据库放在同一文件夹）。"
        ) from err
    if not isinstance(doc, dict) or doc.get("key_id") != key_id:
        return None
    return bytes.fromhex(str(doc["secret"]))


def save(db_path: Path | None, key_id: str, secret: bytes) -> str:
    """Keep a new key outside the database; returns where (for the log)."""
    if db_path is None:
        _MEMORY[key_id] = secret
        return "memory"
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(SERVICE, key_id, secret.hex())
            return "keyring"
        except Exception:
            log.warning("keyring write failed; using the key file", exc_info=True)
    path = key_file(db_path)
    doc = {
        "key_id": key_id,
        "secret": secret.hex(),
        "database": db_path.name,
        "created_at": datetime.now().isoformat(timespec="seconds"),
        "note": "药目收据校验密钥：请与数据库一起备份，切勿外传。",
    }
    if path.exists():  # another key of another database file once lived here: keep it, it may be needed
        path.replace(path.with_name(path.name + f".old-{datetime.now():%Y%m%d%H%M%S}"))
    try:
        platform.atomic_write(path, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    except OSError as err:
        raise DatabaseError(
            f"无法保存收据校验密钥 {path}：{err.strerror or err}。没有开具任何收据。",
            hint="请检查磁盘空间和文件夹写入权限后重试。",
        ) from err
    return str(path)
