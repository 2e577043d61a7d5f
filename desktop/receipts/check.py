"""Receipt check values: an HMAC-SHA256 over the printed content, keyed by the pharmacy's own secret.

The QR code of a receipt carries ``YAOMU1:<number>:<check>``. The check value is the first 80 bits
of ``HMAC-SHA256(secret, "yaomu-receipt-v1\\n" + number + "\\n" + signed text)``, written as
16 base-32 characters in groups of four. The secret is created on first use and kept outside the
database (the OS keyring, or a 0600 file beside it: ``desktop.receipts.keystore``), so neither
someone outside nor someone editing the database can make a valid check for content we did not print.

Every receipt is also a link of a hash chain (``link``): an edited or deleted history row breaks it,
and ``verify`` says so.

An altered paper copy is caught at ``yaomu receipts verify``: the check is recomputed from the
history, and the command shows what the original said (amounts, drugs) for staff to compare with the
paper. A copy with a forged number or check fails outright.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from desktop.errors import UserFacingError
from desktop.storage import receipts as storage

QR_PREFIX = "YAOMU1"
_DOMAIN = b"yaomu-receipt-v1\n"


def secret(db: Database) -> bytes:
    """The pharmacy's check-value secret, kept outside the database (``keystore``), created on first use.

    A secret an older version kept in the database is moved out (and deleted from it) on first use.

    Raises:
        MissingKey: the database names a key this machine does not have (copied without its key file).
    """
    from desktop.receipts import keystore
    from desktop.storage import catalogue as store

    db_path = store.db_file(db)
    key_id = storage.key_ref(db)
    if key_id is None:
        new_id = secrets.token_hex(8)

        def keep(legacy: str | None) -> None:
            keystore.save(db_path, new_id, bytes.fromhex(legacy) if legacy else secrets.token_bytes(32))

        # Under the write lock: two counters starting together share one key (the second finds it).
        key_id = storage.create_key_ref(db, new_id, datetime.now(), keep)
    key = keystore.load(db_path, key_id)
    if key is None:
        raise keystore.MissingKey(
            f"本数据库的收据校验密钥（编号 {key_id}）不在本机：收据无法开具或核验。",
            hint=(
                f"密钥不随数据库复制。请把原电脑上的 {db_path.name if db_path else '数据库'}"
                f"{keystore.FILE_SUFFIX} 文件复制到数据库所在文件夹"
                f"（或在原电脑的系统钥匙串中导出“{keystore.SERVICE}”）。"
            ),
        )
    return key


# --- the hash chain over issued receipts -------------------------------------------------------

_CHAIN = b"yaomu-receipt-chain-v1\n"
_HEAD = b"yaomu-receipt-head-v1\n"


def link(key: bytes, previous: str, row: storage.ChainRow) -> str:
    """A receipt's link: HMAC over the previous link, its number, check value and stored content.

    >>> row = storage.ChainRow(1, "P1-20250301-0001", "5J2N-AQEO-WNZI-2A2A", "{}", "{}", "{}", None)
    >>> link(b"k" * 32, "", row)[:16]
    '0c9776b71d4e5ee2'
    """
    content = hashlib.sha256("\n".join((row.request, row.result, row.meta)).encode()).digest()
    message = _CHAIN + previous.encode() + b"\n" + row.number.encode() + b"\n" + row.check_value.encode() + b"\n"
    return hmac.new(key, message + content, hashlib.sha256).hexdigest()


def head_mac(key: bytes, count: int, last: str) -> str:
    return hmac.new(key, _HEAD + str(count).encode() + b"\n" + last.encode(), hashlib.sha256).hexdigest()


def extend_chain(db: Database, key: bytes, receipt_id: int) -> None:
    """Chain a just-inserted receipt (inside the transaction that took its number)."""
    head = storage.chain_head(db)
    count, last = (head[0], head[1]) if head else (0, "")
    new = link(key, last, storage.chain_row(db, receipt_id))
    storage.set_chain(db, receipt_id, new, count + 1, head_mac(key, count + 1, new))


def chain_problem(db: Database, key: bytes) -> str | None:
    """Walk the chain: None when every issued receipt is there as issued, else what is wrong (Chinese)."""
    previous, count = "", 0
    for row in storage.chain_rows(db):
        if row.chain != link(key, previous, row):
            return f"收据 {row.number} 的记录在开具后被改动，或它之前的收据记录被删除"
        previous, count = row.chain or "", count + 1
    head = storage.chain_head(db)
    if head is None:
        return None if count == 0 else "收据链的记录头缺失"
    expected, last, mac = head
    if not hmac.compare_digest(mac, head_mac(key, expected, last)):
        return "收据链的记录头被改动"
    if expected != count or last != previous:
        return f"最近开具的收据记录被删除（本店共开具 {expected} 张，记录中只有 {count} 张）"
    return None


def compute(key: bytes, number: str, signed_text: str) -> str:
    """The check value of a receipt.

    >>> compute(b"k" * 32, "P1-20250301-0001", "a\\nb")
    '5J2N-AQEO-WNZI-2A2A'
    """
    digest = hmac.new(key, _DOMAIN + number.encode() + b"\n" + signed_text.encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest[:10]).decode()  # 80 bits -> 16 characters, no padding
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def normalise(check: str) -> str:
    """Accept what staff type: lower case, spaces or no dashes.

    >>> normalise(" wwth dwsf-4pby2giu ")
    'WWTH-DWSF-4PBY-2GIU'
    """
    text = re.sub(r"[\s\-]", "", check).upper()
    if not re.fullmatch(r"[A-Z2-7]{16}", text):
        raise UserFacingError(
            f"校验码“{check.strip()}”格式不对：应为 16 位字母和数字（如 WWTH-DWSF-4PBY-2GIU）。",
            hint="请照收据二维码下方的“校验码”输入，或直接扫描二维码。",
        )
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def qr_payload(number: str, check: str) -> str:
    return f"{QR_PREFIX}:{number}:{check}"


@dataclass(frozen=True)
class Scanned:
    number: str
    check: str


def parse_qr(text: str) -> Scanned:
    """Read what a scanner typed from a receipt's QR code.

    >>> parse_qr("YAOMU1:P1-20250301-0001:WWTH-DWSF-4PBY-2GIU")
    Scanned(number='P1-20250301-0001', check='WWTH-DWSF-4PBY-2GIU')

    Raises:
        UserFacingError: not a Yaomu receipt code.
    """
    parts = text.strip().split(":")
    if len(parts) != 3 or parts[0] != QR_PREFIX:
        raise UserFacingError("扫描内容不是药目收据的二维码。", hint="请扫描收据底部的二维码，或手工输入单号和校验码。")
    return Scanned(parts[1], normalise(parts[2]))


def matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected, normalise(given))
