"""Receipt check values: an HMAC-SHA256 over the printed content, keyed by the pharmacy's own secret.

The QR code of a receipt carries ``YAOMU1:<number>:<check>``. The check value is the first 80 bits
of ``HMAC-SHA256(secret, "yaomu-receipt-v1\\n" + number + "\\n" + signed text)``, written as
16 base-32 characters in groups of four. The secret is created on first use and lives only in the
pharmacy's database, so nobody outside can make a valid check for content we did not print.

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
    """The pharmacy's check-value secret, created (and committed) on first use."""
    stored = storage.receipt_secret(db)
    if stored is None:
        stored = storage.create_receipt_secret(db, secrets.token_hex(32), datetime.now())
    return bytes.fromhex(stored)


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
