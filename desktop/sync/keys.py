"""Ed25519 publisher keys and the trust store (via ``cryptography``; no hand-rolled crypto).

A key file is JSON so a provincial office can read it::

    {"key_id": "3f2a...", "publisher": "…", "algorithm": "ed25519", "public_key": "<base64 raw 32 bytes>"}

The private key file has the same shape with ``private_key`` (base64 raw 32-byte seed) and is
kept out of the repository (``~/.config/yaomu-publisher/`` by default).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from desktop.errors import UserFacingError, reason

ALGORITHM = "ed25519"


class KeyError_(UserFacingError):
    """A key file cannot be read or used."""


def default_key_dir() -> Path:
    """Where ``yaomu package keygen`` writes the publisher's private key (outside the repository)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "yaomu-publisher"


def key_id_of(public_raw: bytes) -> str:
    """The id of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    publisher: str
    key: Ed25519PublicKey

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


class _Pinned:
    """Stands for "trusted by the SHA-256 pin of the installer's manifest" where a key would be."""

    key_id = "bundled-sha256"
    publisher = "随安装包提供（按 SHA-256 清单校验）"


#: The "key" of a bundled package: it carries no signature; its file hash is pinned at build time.
PINNED = _Pinned()


@dataclass(frozen=True)
class PrivateKey:
    key_id: str
    publisher: str
    key: Ed25519PrivateKey

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key_id, self.publisher, self.key.public_key())


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def generate(publisher: str) -> PrivateKey:
    key = Ed25519PrivateKey.generate()
    return PrivateKey(key_id_of(_raw_public(key.public_key())), publisher, key)


def public_json(key: PublicKey) -> dict[str, str]:
    return {
        "key_id": key.key_id,
        "publisher": key.publisher,
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(_raw_public(key.key)).decode(),
    }


def private_json(key: PrivateKey) -> dict[str, str]:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    seed = key.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return {**public_json(key.public), "private_key": base64.b64encode(seed).decode()}


def write_keypair(key: PrivateKey, private_path: Path, public_path: Path) -> None:
    """Write the private key (mode 0600) and the public key file."""
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(private_json(key), fh, ensure_ascii=False, indent=2)
    public_path.write_text(json.dumps(public_json(key.public), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _load_json(path: Path) -> dict[str, str]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise KeyError_(
            f"无法读取密钥文件 {path}：{reason(err)}。", hint="请确认文件路径正确、内容为密钥 JSON。"
        ) from err
    if not isinstance(doc, dict) or doc.get("algorithm") != ALGORITHM:
        raise KeyError_(f"密钥文件 {path} 不是 Ed25519 密钥。", hint="请用 yaomu package keygen 生成密钥。")
    return doc


def load_private(path: Path) -> PrivateKey:
    doc = _load_json(path)
    try:
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(doc["private_key"], validate=True))
    except (KeyError, ValueError) as err:
        raise KeyError_(f"密钥文件 {path} 中没有有效的私钥。", hint="请用 yaomu package keygen 生成密钥。") from err
    return PrivateKey(key_id_of(_raw_public(key.public_key())), str(doc.get("publisher", "")), key)


def load_public(path: Path) -> PublicKey:
    doc = _load_json(path)
    try:
        raw = base64.b64decode(doc["public_key"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, ValueError) as err:
        raise KeyError_(f"密钥文件 {path} 中没有有效的公钥。", hint="请向发布方索取正确的公钥文件。") from err
    return PublicKey(key_id_of(raw), str(doc.get("publisher", "")), key)


def trust_store(directory: Path | None = None) -> dict[str, PublicKey]:
    """Publisher public keys by key id: every ``*.json`` key file in the trust directory."""
    if directory is None:
        from desktop.paths import resource_path

        directory = resource_path("trust")
    out: dict[str, PublicKey] = {}
    if Path(directory).is_dir():
        for path in sorted(Path(directory).glob("*.json")):
            key = load_public(path)
            out[key.key_id] = key
    return out
