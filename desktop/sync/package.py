"""Read, verify and validate a catalogue package before anything touches the database.

The format is specified in ``docs/package-format.md``. Order of checks (fail closed, first
problem wins, each with its own Chinese message):

1. the file: size cap, a readable zip, member names inside the package, no unexpected member;
2. limits taken from the zip directory *before* decompressing: declared sizes, compression
   ratio (zip bombs), member count;
3. the signature over the exact bytes of ``manifest.json``, against the trust store;
4. the manifest: format name and version, kind, ids, dates, every data file's SHA-256, size
   and row count (the manifest pins the files, so the signature covers them);
5. the rows: schema (exact columns), types, sections, classes, prices, dates, unique keys,
   ★ references, row counts.

Nothing here opens the database; checks that depend on what is installed (already applied,
older, wrong base, too many rows dropped) live in ``desktop.sync.apply``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from desktop.catalogue import derive
from desktop.catalogue import records as r
from desktop.catalogue.normalise import drug_key, normalise_name
from desktop.errors import UserFacingError, os_reason
from desktop.storage import overlays
from desktop.sync import keys as k

FORMAT_NAME = "yaomu-catalogue-package"
#: The newest format version this program reads; a newer package is refused.
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
KINDS = ("edition", "revision", "overlay", "products")

# Limits, enforced from the zip directory before anything is decompressed.
MAX_PACKAGE_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 16
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_FILE_BYTES = 64 * 1024 * 1024  # one data file, uncompressed
MAX_TOTAL_BYTES = 128 * 1024 * 1024
#: Real JSON Lines of the catalogue compress about 8:1; a zip bomb compresses 1000:1 and more.
MAX_RATIO = 100
#: The 2025 edition has 4,870 rows; a provincial list a few thousand. A million rows is an attack or a mistake.
MAX_ROWS = 50_000
#: The national product database (医保药品分类与代码) has ~270,000 rows: a products package splits it into
#: data files ("parts") of at most this many rows each, each within MAX_FILE_BYTES.
MAX_PRODUCT_ROWS = 100_000
MAX_PRODUCT_PARTS = 10


def max_rows(kind: str) -> int:
    return MAX_PRODUCT_ROWS if kind == "products" else MAX_ROWS


#: A payment standard above this (yuan) is impossible (the dearest negotiated drugs cost ~1.2 million per dose).
MAX_AMOUNT = Decimal("10000000")
#: Largest ``sequence`` of a package, and largest seq / number / star_of of a row (SQLite stops at 2^63).
MAX_SEQUENCE = 999_999_999
MAX_NUMBER = 999_999
#: Longest text of one field (a name, a remark, a CSV cell); the longest official remark has about 600 characters.
MAX_TEXT = 20_000
#: How deep JSON may nest (a manifest needs 3 levels, a row 1): deeper is refused before Python's parser recurses.
MAX_DEPTH = 16

_MEMBER = re.compile(r"^data/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NEGATIVE = re.compile(r"(^|[；;(（\s])[-－−]\s*\d+(\.\d+)?\s*元")
#: An ISO date in ASCII digits only (``date.fromisoformat`` also takes full-width ones).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]{5,15}([+-][0-9]{2}:?[0-9]{2}|Z)?)?", re.ASCII)
#: An amount in yuan as a plain decimal string (an overlay's transition ``payment_standard``).
_AMOUNT = re.compile(r"[0-9]{1,8}(\.[0-9]{1,4})?", re.ASCII)
_VARIANT = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)

#: The columns of an edition / revision row: exactly the fields of ``SourceRow``.
ROW_FIELDS = tuple(f.name for f in fields(r.SourceRow))
_ROW_TYPES: dict[str, tuple[type, ...]] = {
    "section": (str,),
    "name_published": (str,),
    "seq": (int,),
    "subsection": (str, type(None)),
    "number": (int, type(None)),
    "star_of": (int, type(None)),
    "dosage_form": (str, type(None)),
    "drug_class": (str, type(None)),
    "category_code": (str, type(None)),
    "category_path": (str, type(None)),
    "remark": (str, type(None)),
    "payment_standard": (str, type(None)),
    "agreement_text": (str, type(None)),
    "ethnic": (bool,),
}
#: Columns of an overlay item file (CSV header or JSON Lines keys), in this order.
OVERLAY_FIELDS = ("name", "dosage_form", "action", "attrs", "start", "end", "source")
REF_FIELDS = ("key", "section")

#: Data file roles per kind: role -> (formats allowed, required).
ROLES: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    "edition": {"rows": (("jsonl",), True)},
    "revision": {"added": (("jsonl",), True), "changed": (("jsonl",), True), "removed": (("jsonl",), True)},
    "overlay": {"items": (("csv", "jsonl"), True)},
    "products": {"products": (("csv",), True)},  # sheet 总表 columns; may repeat (parts)
}


# --- errors ----------------------------------------------------------------------------------


class Cancelled(UserFacingError):
    """The user cancelled verifying or applying a package; nothing was changed."""

    def __init__(self) -> None:
        super().__init__("已取消应用更新包，数据库保持不变。")


class PackageError(UserFacingError):
    """A package is refused; ``code`` names the check that refused it (stable, for tests and logs)."""

    def __init__(self, code: str, message: str, *, hint: str | None = None, window_hint: str | None = None) -> None:
        default = "更新包未被应用，数据库保持不变。请向发布方索取完好的更新包。"
        super().__init__(message, hint=hint or default, window_hint=window_hint)
        self.code = code


class PackageFormatError(PackageError):
    """The file is not a well-formed package (not a zip, bad manifest, bad member names)."""


class PackageLimitError(PackageError):
    """The package exceeds a size, ratio or row limit (zip bombs, runaway files)."""


class SignatureError(PackageError):
    """The signature is missing, made with an unknown key, or does not match."""


class IntegrityError(PackageError):
    """A data file does not match the hash, size or row count pinned by the manifest."""


class PackageDataError(PackageError):
    """The rows break the schema: columns, types, sections, prices, dates, duplicate keys."""


class PackageConflict(PackageError):
    """The package does not fit what is installed: already applied, older, or wrong base."""


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    path: str
    role: str
    format: str
    sha256: str
    bytes: int
    rows: int


@dataclass(frozen=True)
class Manifest:
    raw: dict[str, Any]
    format_version: int
    package_id: str
    kind: str
    publisher: str
    created: datetime
    sequence: int
    target: str  # edition name or overlay id
    effective_start: date | None
    effective_end: date | None
    files: tuple[FileEntry, ...]
    edition: r.EditionInfo | None = None
    sections: dict[str, r.SectionInfo] = field(default_factory=dict)
    base: dict[str, str] | None = None  # revision: {"package_id", "edition"}
    overlay: overlays.OverlayInfo | None = None
    summary: str | None = None


@dataclass
class VerifiedPackage:
    """A package whose signature, hashes, limits and rows have been checked."""

    path: Path
    sha256: str  # of the whole package file
    manifest: Manifest
    key_id: str
    publisher: str
    rows: list[r.SourceRow] = field(default_factory=list)  # edition
    added: list[r.SourceRow] = field(default_factory=list)  # revision
    changed: list[r.SourceRow] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (key, section)
    items: list[overlays.OverlayItem] = field(default_factory=list)  # overlay
    product_parts: list[str] = field(default_factory=list)  # products: CSV texts, in manifest order

    @property
    def package_id(self) -> str:
        return self.manifest.package_id

    @property
    def kind(self) -> str:
        return self.manifest.kind

    def to_json(self) -> dict[str, Any]:
        m = self.manifest
        counts: dict[str, int] = {f.role: f.rows for f in m.files}
        return {
            "package_id": m.package_id,
            "kind": m.kind,
            "target": m.target,
            "sequence": m.sequence,
            "publisher": self.publisher,
            "key_id": self.key_id,
            "created": m.created.isoformat(),
            "sha256": self.sha256,
            "format_version": m.format_version,
            "rows": counts,
            "base": m.base,
            "effective_start": m.effective_start.isoformat() if m.effective_start else None,
            "effective_end": m.effective_end.isoformat() if m.effective_end else None,
            "complete": (m.overlay.complete if m.overlay else None),
            "note": (m.overlay.note if m.overlay else None),
        }


def row_key(row: r.SourceRow) -> tuple[str, str]:
    """The identity of a row inside an edition: (stable drug key, section)."""
    return name_key(row.name_published, row.dosage_form), row.section


@lru_cache(maxsize=65536)
def name_key(name_published: str, dosage_form: str | None) -> str:
    """``drug_key`` of a published name and form (cached: an apply computes it for every row several times)."""
    return drug_key(normalise_name(name_published), dosage_form)


# --- reading the zip -------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _open_zip(path: Path) -> zipfile.ZipFile:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise PackageFormatError(
            "file", f"无法读取更新包文件 {path}：{os_reason(err)}", hint="请检查文件路径。"
        ) from err
    if size > MAX_PACKAGE_BYTES:
        raise PackageLimitError(
            "package_size",
            f"更新包文件过大（{size // (1024 * 1024)} MB，上限 {MAX_PACKAGE_BYTES // (1024 * 1024)} MB）。",
        )
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        with path.open("rb") as fh:
            head = fh.read(4)
        if head.startswith(b"PK"):
            raise PackageFormatError(
                "truncated",
                "更新包文件不完整（zip 文件被截断或已损坏）。",
                hint="请重新下载或复制更新包；数据库保持不变。",
            ) from err
        raise PackageFormatError(
            "not_zip",
            "所选文件不是药目更新包（不是 zip 格式）。",
            hint="请选择发布方提供的 .zip 更新包；数据库保持不变。",
        ) from err


def _check_members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise PackageLimitError("members", f"更新包包含的文件过多（{len(infos)} 个，上限 {MAX_MEMBERS} 个）。")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name in (MANIFEST, SIGNATURE):
            pass
        elif not _MEMBER.fullmatch(name) or ".." in name:
            raise PackageFormatError(
                "member_path",
                f"更新包内含有不允许的文件路径：{name!r}（只允许 manifest.json、manifest.sig 和 data/ 下的文件）。",
            )
        if name in members:
            raise PackageFormatError("member_duplicate", f"更新包内文件 {name} 出现了两次。")
        if info.flag_bits & 0x1:
            raise PackageFormatError("encrypted", f"更新包内文件 {name} 已加密，无法校验。")
        limit = MAX_MANIFEST_BYTES if name in (MANIFEST, SIGNATURE) else MAX_FILE_BYTES
        if info.file_size > limit:
            raise PackageLimitError(
                "file_size", f"更新包内文件 {name} 解压后过大（{info.file_size} 字节，上限 {limit} 字节）。"
            )
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
            raise PackageLimitError(
                "ratio", f"更新包内文件 {name} 的压缩比异常（{info.file_size // info.compress_size}:1），疑似压缩炸弹。"
            )
        total += info.file_size
        members[name] = info
    if total > MAX_TOTAL_BYTES:
        raise PackageLimitError("total_size", f"更新包解压后总大小过大（{total} 字节，上限 {MAX_TOTAL_BYTES} 字节）。")
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read a member, never more than ``limit`` bytes (the directory may lie about sizes)."""
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as err:
        raise PackageFormatError("member_corrupt", f"更新包内文件 {info.filename} 已损坏，无法解压：{err}") from err
    except Exception as err:  # zlib.error and friends from a damaged stream
        raise PackageFormatError("member_corrupt", f"更新包内文件 {info.filename} 已损坏，无法解压。") from err
    if len(data) > limit:
        raise PackageLimitError(
            "file_size", f"更新包内文件 {info.filename} 解压后超过上限 {limit} 字节，疑似压缩炸弹。"
        )
    return data


# --- strict JSON ---------------------------------------------------------------------------


class _JSONRefused(ValueError):
    """JSON the format does not allow although ``json`` would read it."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise _JSONRefused(f"键 {name!r} 出现了两次")
        out[name] = value
    return out


def _constant(name: str) -> Any:
    raise _JSONRefused(f"不允许 {name}")


def _depth(text: str) -> int:
    """How deeply brackets nest in ``text`` (strings skipped), without recursing."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses duplicate keys, NaN/Infinity and nesting deeper than ``MAX_DEPTH``.

    >>> strict_json('{"a": 1}')
    {'a': 1}

    Raises:
        ValueError: (``json.JSONDecodeError`` or a refusal) with a message to quote.
    """
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:  # a row has one "{"
        raise _JSONRefused(f"嵌套超过 {MAX_DEPTH} 层")
    return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)


def _json_problem(err: ValueError) -> str:
    return err.msg if isinstance(err, json.JSONDecodeError) else str(err)


#: Free-text fields that may hold line feeds (an official note quoted over several lines).
MULTILINE_FIELDS = frozenset({"note", "summary"})


def _no_control(value: Any, where: str) -> None:
    """Refuse control characters (C0/C1, DEL, bidi overrides) and over-long text anywhere in ``value``.

    A line feed is allowed only in the ``note`` and ``summary`` fields.
    """
    from desktop.sanitize import find_control

    stack: list[tuple[str | None, Any]] = [(None, value)]
    while stack:
        name, v = stack.pop()
        if isinstance(v, str):
            bad = find_control(v.replace("\n", "") if name in MULTILINE_FIELDS else v)
            if bad:
                raise PackageDataError(
                    "control_character",
                    f"{where}{'的 ' + name + ' ' if name else ''}含有控制字符 {bad}"
                    "（如换行、ESC、NUL 或文字方向控制符），已拒绝。",
                    hint="名称、备注等文字中不能有控制字符；请发布方清理后重新打包签名。数据库保持不变。",
                )
            if len(v) > MAX_TEXT:
                raise PackageLimitError(
                    "text_length", f"{where}有一段文字长达 {len(v)} 个字符，超过 {MAX_TEXT} 的上限。"
                )
        elif isinstance(v, dict):
            stack.extend((None, k) for k in v)
            stack.extend(v.items())
        elif isinstance(v, list):
            stack.extend((name, x) for x in v)


def json_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text: split at LF only (a CR before it is dropped).

    U+2028/U+2029 and the other Unicode line breaks ``str.splitlines`` honours are ordinary characters
    inside a JSON string (Yaomu's own writer leaves them unescaped).
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


# --- signature -------------------------------------------------------------------------------


def signature_doc(manifest_bytes: bytes, key: k.PrivateKey) -> bytes:
    """The content of ``manifest.sig`` for a manifest signed with ``key``."""
    sig = key.sign(manifest_bytes)
    doc = {"algorithm": k.ALGORITHM, "key_id": key.key_id, "signature": base64.b64encode(sig).decode()}
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def _verify_signature(manifest_bytes: bytes, sig_bytes: bytes | None, trust: dict[str, k.PublicKey]) -> k.PublicKey:
    if sig_bytes is None:
        raise SignatureError(
            "unsigned",
            "更新包没有签名（缺少 manifest.sig），无法确认来源。",
            hint="只能应用经可信发布方签名的更新包；数据库保持不变。",
        )
    try:
        doc = strict_json(sig_bytes.decode("utf-8"))
        key_id = doc["key_id"]
        algorithm = doc["algorithm"]
        signature = base64.b64decode(doc["signature"], validate=True)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise SignatureError("signature_format", "更新包的签名文件 manifest.sig 格式错误。") from err
    if algorithm != k.ALGORITHM:
        raise SignatureError("signature_algorithm", f"更新包使用了不支持的签名算法：{algorithm}（只支持 ed25519）。")
    key = trust.get(str(key_id))
    if key is None:
        raise SignatureError(
            "unknown_key",
            f"更新包由未知的密钥签名（密钥编号 {key_id}），不在本机的信任列表中。",
            hint="请确认更新包来自可信发布方；如确需信任新发布方，请由管理员将其公钥加入信任列表。数据库保持不变。",
        )
    if not key.verify(signature, manifest_bytes):
        raise SignatureError(
            "bad_signature",
            "更新包签名校验失败：清单在签名后被修改，或签名与密钥不符。",
            hint="更新包可能被篡改，请勿使用，并向发布方重新索取。数据库保持不变。",
        )
    return key


# --- manifest --------------------------------------------------------------------------------


def _need(doc: dict[str, Any], name: str, kinds: type | tuple[type, ...], where: str = "清单") -> Any:
    if name not in doc or doc[name] is None:
        raise PackageFormatError("manifest_field", f"更新包{where}缺少必填项 {name}。")
    value = doc[name]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        raise PackageFormatError("manifest_field", f"更新包{where}中 {name} 的类型不正确。")
    return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _date(value: Any, what: str, code: str = "bad_date") -> date | None:
    """An ISO date in ASCII digits between 1990 and 2100 (None stays None)."""
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError as err:
        raise PackageDataError(code, f"{what} 不是有效日期：{value!r}（应为 YYYY-MM-DD，半角数字）。") from err
    if not (date(1990, 1, 1) <= day <= date(2100, 12, 31)):
        raise PackageDataError("date_range", f"{what} {day} 不合理（应在 1990 至 2100 年之间）。")
    return day


def _text_or_none(doc: dict[str, Any], name: str, where: str) -> str | None:
    """An optional free-text field: a string or null, nothing else."""
    value = doc.get(name)
    if value is not None and not isinstance(value, str):
        raise PackageFormatError(
            "manifest_field", f"更新包{where}中 {name} 应为文字或 null（实际 {type(value).__name__}）。"
        )
    return value


def _bounded(doc: dict[str, Any], name: str, low: int, high: int, where: str = "清单") -> int:
    value = _need(doc, name, int, where)
    if not low <= value <= high:
        raise PackageFormatError(
            "manifest_field", f"更新包{where}中 {name} 应在 {low} 到 {high} 之间（实际 {value}）。"
        )
    return int(value)


def _period(start: date | None, end: date | None, what: str) -> None:
    if start and end and end < start:
        raise PackageDataError("date_order", f"{what}的结束日期 {end} 早于开始日期 {start}。")
    for d in (start, end):
        if d and not (date(1990, 1, 1) <= d <= date(2100, 12, 31)):
            raise PackageDataError("date_range", f"{what}的日期 {d} 不合理（应在 1990 至 2100 年之间）。")


# Longer than 60 lines: a flat list of field checks, each with its own refusal message, in the manifest's field order.
def parse_manifest(manifest_bytes: bytes) -> Manifest:
    try:
        doc = strict_json(manifest_bytes.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise PackageFormatError("manifest_json", "更新包清单 manifest.json 不是 UTF-8 编码。") from err
    except ValueError as err:
        raise PackageFormatError(
            "manifest_json", f"更新包清单 manifest.json 不是有效的 JSON：{_json_problem(err)}。"
        ) from err
    if not isinstance(doc, dict) or not doc:
        raise PackageFormatError("manifest_empty", "更新包清单 manifest.json 为空。")
    _no_control(doc, "更新包清单 manifest.json ")
    if doc.get("format") != FORMAT_NAME:
        raise PackageFormatError("format_name", f"更新包清单的 format 不是 {FORMAT_NAME}，这不是药目目录更新包。")
    version = _bounded(doc, "format_version", 0, MAX_SEQUENCE)
    if version > FORMAT_VERSION:
        raise PackageFormatError(
            "format_future",
            f"更新包格式版本为 {version}，本程序只支持到 {FORMAT_VERSION}。",
            hint="请先升级药目到最新版本，再应用此更新包；数据库保持不变。",
        )
    if version < 1:
        raise PackageFormatError("format_version", f"更新包格式版本 {version} 无效。")
    package_id = _need(doc, "package_id", str)
    if not _ID.fullmatch(package_id):
        raise PackageFormatError(
            "package_id", f"更新包编号 {package_id!r} 无效（只允许小写字母、数字、点、横线、下划线）。"
        )
    kind = _need(doc, "kind", str)
    if kind not in KINDS:
        raise PackageFormatError("kind", f"未知的更新包类型 {kind!r}（应为 edition、revision、overlay 或 products）。")
    publisher = _need(doc, "publisher", str)
    try:
        created_text = _need(doc, "created", str)
        if not _ISO_DATETIME.fullmatch(created_text):
            raise ValueError(created_text)
        created = datetime.fromisoformat(created_text)
    except ValueError as err:
        raise PackageFormatError("created", "更新包清单中 created 不是有效的时间。") from err
    sequence = _need(doc, "sequence", int)
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise PackageFormatError("sequence", f"更新包清单中 sequence 必须是 1 到 {MAX_SEQUENCE} 之间的整数。")
    files = _files(_need(doc, "files", list), kind)
    start = _date(doc.get("effective_start"), "生效日期")
    end = _date(doc.get("effective_end"), "失效日期")
    _period(start, end, "更新包有效期")

    edition = None
    sections: dict[str, r.SectionInfo] = {}
    base = None
    overlay = None
    if kind in ("edition", "revision"):
        edition = _edition_info(_need(doc, "edition", dict))
        target = edition.name
        sections = _sections(_need(doc, "sections", list))
        if kind == "revision":
            b = _need(doc, "base", dict)
            base = {
                "package_id": str(_need(b, "package_id", str, "基础包说明")),
                "edition": str(_need(b, "edition", str, "基础包说明")),
            }
            if base["edition"] != edition.name:
                raise PackageFormatError(
                    "base_edition", f"修订包的基础版本 {base['edition']} 与目标版本 {edition.name} 不一致。"
                )
    elif kind == "products":
        target = "products"
    else:
        overlay = _overlay_info(_need(doc, "overlay", dict))
        target = overlay.overlay_id
    return Manifest(
        raw=doc,
        format_version=version,
        package_id=package_id,
        kind=kind,
        publisher=publisher,
        created=created,
        sequence=sequence,
        target=target,
        effective_start=start,
        effective_end=end,
        files=files,
        edition=edition,
        sections=sections,
        base=base,
        overlay=overlay,
        summary=_text_or_none(doc, "summary", "清单"),
    )


def _files(items: list[Any], kind: str) -> tuple[FileEntry, ...]:
    out = []
    roles = ROLES[kind]
    for item in items:
        if not isinstance(item, dict):
            raise PackageFormatError("manifest_files", "更新包清单 files 中的条目格式错误。")
        path = _need(item, "path", str, "文件清单")
        if not _MEMBER.fullmatch(path) or ".." in path:
            raise PackageFormatError("member_path", f"更新包清单中的文件路径不允许：{path!r}。")
        role = _need(item, "role", str, "文件清单")
        fmt = _need(item, "format", str, "文件清单")
        if role not in roles:
            raise PackageFormatError("file_role", f"{kind} 类型的更新包不应包含 {role} 数据文件（{path}）。")
        if fmt not in roles[role][0]:
            raise PackageFormatError(
                "file_format", f"数据文件 {path} 的格式 {fmt} 不允许（应为 {'/'.join(roles[role][0])}）。"
            )
        sha = _need(item, "sha256", str, "文件清单")
        if not _HEX64.fullmatch(sha):
            raise PackageFormatError("file_sha", f"数据文件 {path} 的 sha256 格式错误。")
        nbytes = _need(item, "bytes", int, "文件清单")
        rows = _need(item, "rows", int, "文件清单")
        if rows > max_rows(kind):
            raise PackageLimitError(
                "rows_declared", f"数据文件 {path} 声明了 {rows} 行，超过上限 {max_rows(kind)} 行。"
            )
        if nbytes > MAX_FILE_BYTES:
            raise PackageLimitError("file_size", f"数据文件 {path} 声明的大小 {nbytes} 字节超过上限。")
        if rows < 0 or nbytes < 0:
            raise PackageFormatError("manifest_files", f"数据文件 {path} 的行数或大小为负数。")
        out.append(FileEntry(path, role, fmt, sha, nbytes, rows))
    seen = [f.role for f in out]
    for role, (_fmts, required) in roles.items():
        if required and role not in seen:
            raise PackageFormatError("file_missing_role", f"{kind} 类型的更新包缺少 {role} 数据文件。")
    parts = kind == "products" and len(seen) <= MAX_PRODUCT_PARTS  # a products package may be split
    if (len(set(seen)) != len(seen) and not parts) or len({f.path for f in out}) != len(out):
        raise PackageFormatError("file_duplicate", "更新包清单中同一数据文件或角色出现了两次。")
    return tuple(out)


def _edition_info(doc: dict[str, Any]) -> r.EditionInfo:
    name = _need(doc, "name", str, "版本说明")
    if not re.fullmatch(r"\d{4}", name):
        raise PackageFormatError("edition_name", f"目录版本名称 {name!r} 无效（应为四位年份，如 2025）。")
    start = _date(_need(doc, "effective_start", str, "版本说明"), "目录生效日期")
    end = _date(doc.get("effective_end"), "目录失效日期")
    _period(start, end, "目录有效期")
    published = _date(doc.get("published"), "目录发布日期")
    assert start is not None
    variant = _need(doc, "variant", str, "版本说明")
    if not _VARIANT.fullmatch(variant):
        raise PackageFormatError(
            "edition_variant",
            f"目录版本的 variant {variant!r} 无效（只允许小写字母、数字、横线、下划线，最多 40 个）。",
        )
    return r.EditionInfo(
        name=name,
        variant=variant,
        title=_need(doc, "title", str, "版本说明"),
        document=_text_or_none(doc, "document", "版本说明"),
        published=published,
        effective_start=start,
        effective_end=end,
        source=_text_or_none(doc, "source", "版本说明") or "",
        checksum=_text_or_none(doc, "checksum", "版本说明") or "",
    )


def _sections(items: list[Any]) -> dict[str, r.SectionInfo]:
    out = {}
    for item in items:
        if not isinstance(item, dict):
            raise PackageFormatError("manifest_sections", "更新包清单 sections 中的条目格式错误。")
        section = _need(item, "section", str, "部分说明")
        if section not in r.SECTIONS:
            raise PackageDataError("unknown_section", f"更新包清单声明了未知的目录部分 {section!r}。")
        expected = item.get("expected")
        if expected is not None and (
            not isinstance(expected, int) or isinstance(expected, bool) or not 0 <= expected <= MAX_ROWS
        ):
            raise PackageFormatError(
                "manifest_sections", f"目录部分 {section} 的 expected 必须是 0 到 {MAX_ROWS} 之间的整数。"
            )
        out[section] = r.SectionInfo(
            section, bool(_need(item, "complete", bool, "部分说明")), expected, _text_or_none(item, "note", "部分说明")
        )
    return out


def _overlay_info(doc: dict[str, Any]) -> overlays.OverlayInfo:
    overlay_id = _need(doc, "overlay_id", str, "叠加目录说明")
    if not _ID.fullmatch(overlay_id):
        raise PackageFormatError("overlay_id", f"叠加目录编号 {overlay_id!r} 无效。")
    kind = _need(doc, "kind", str, "叠加目录说明")
    if kind not in overlays.KINDS:
        raise PackageFormatError("overlay_kind", f"未知的叠加目录类型 {kind!r}（允许：{'、'.join(overlays.KINDS)}）。")
    complete = _need(doc, "complete", bool, "叠加目录说明")
    note = _text_or_none(doc, "note", "叠加目录说明")
    if not complete and not note:
        raise PackageFormatError("overlay_note", "不完整的叠加目录必须在 note 中说明缺少什么。")
    start = _date(doc.get("effective_start"), "叠加目录生效日期")
    end = _date(doc.get("effective_end"), "叠加目录失效日期")
    _period(start, end, "叠加目录有效期")
    return overlays.OverlayInfo(
        overlay_id=overlay_id,
        kind=kind,
        region=_need(doc, "region", str, "叠加目录说明"),
        title=_need(doc, "title", str, "叠加目录说明"),
        complete=complete,
        document=_text_or_none(doc, "document", "叠加目录说明"),
        published=_date(doc.get("published"), "叠加目录发布日期"),
        effective_start=start,
        effective_end=end,
        note=note,
    )


# --- rows ------------------------------------------------------------------------------------


def _text(data: bytes, path: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        try:
            data.decode("gb18030")
            guess = "（看起来是 GBK/GB18030 编码）"
        except UnicodeDecodeError:
            guess = ""
        raise PackageDataError(
            "encoding",
            f"数据文件 {path} 不是 UTF-8 编码{guess}。",
            hint="请发布方将文件另存为 UTF-8 编码后重新打包签名；数据库保持不变。",
        ) from err
    return text.removeprefix("\ufeff")


def _jsonl(text: str, path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(json_lines(text), start=1):
        if not line.strip():
            continue
        try:
            obj = strict_json(line)
        except ValueError as err:
            raise PackageDataError(
                "jsonl", f"数据文件 {path} 第 {n} 行不是有效的 JSON：{_json_problem(err)}。"
            ) from err
        if not isinstance(obj, dict):
            raise PackageDataError("jsonl", f"数据文件 {path} 第 {n} 行不是 JSON 对象。")
        _no_control(obj, f"数据文件 {path} 第 {n} 行")
        yield n, obj


def _columns(obj_keys: set[str] | list[str], expected: tuple[str, ...], path: str, n: int) -> None:
    missing = [c for c in expected if c not in obj_keys]
    extra = [c for c in obj_keys if c not in expected]
    if missing:
        raise PackageDataError("missing_column", f"数据文件 {path} 第 {n} 行缺少列：{'、'.join(missing)}。")
    if extra:
        raise PackageDataError("extra_column", f"数据文件 {path} 第 {n} 行有多余的列：{'、'.join(map(str, extra))}。")


def _source_row(obj: dict[str, Any], path: str, n: int) -> r.SourceRow:
    _columns(list(obj), ROW_FIELDS, path, n)
    for name, kinds in _ROW_TYPES.items():
        value = obj[name]
        if isinstance(value, bool) and bool not in kinds:
            raise PackageDataError("row_type", f"数据文件 {path} 第 {n} 行 {name} 的类型不正确。")
        if not isinstance(value, kinds):
            raise PackageDataError("row_type", f"数据文件 {path} 第 {n} 行 {name} 的类型不正确（{value!r}）。")
    row = r.SourceRow(**obj)
    where = f"数据文件 {path} 第 {n} 行（{row.name_published}）"
    if row.section not in r.SECTIONS:
        raise PackageDataError("unknown_section", f"{where}的目录部分 {row.section!r} 未知。")
    if not row.name_published.strip():
        raise PackageDataError("empty_name", f"数据文件 {path} 第 {n} 行的药品名称为空。")
    if row.drug_class not in (None, r.CLASS_A, r.CLASS_B):
        raise PackageDataError("bad_class", f"{where}的甲乙类 {row.drug_class!r} 无效（只能是 甲、乙 或空）。")
    if any(v is not None and not 1 <= v <= MAX_NUMBER for v in (row.seq, row.number, row.star_of)):
        raise PackageDataError("bad_number", f"{where}的序号或编号必须是 1 到 {MAX_NUMBER} 之间的整数。")
    _check_price(row, where)
    _check_agreement(row, where)
    return row


def _check_price(row: r.SourceRow, where: str) -> None:
    text = row.payment_standard
    if not text:
        return
    if _NEGATIVE.search(text):
        raise PackageDataError("bad_price", f"{where}的支付标准为负数：{text}。")
    try:
        derive.check_standards(text, row.name_published)
    except derive.StandardError as err:
        raise PackageDataError("bad_price", f"{where}：{err}。") from None
    for std in derive.parse_standards(text, row.name_published):
        if std.amount is None:
            continue
        amount = Decimal(std.amount)
        if amount <= 0 or amount > MAX_AMOUNT:
            raise PackageDataError(
                "bad_price", f"{where}的支付标准 {std.amount} 元不合理（应大于 0 且不超过 {MAX_AMOUNT} 元）。"
            )


def _check_agreement(row: r.SourceRow, where: str) -> None:
    if not row.agreement_text:
        return
    # parse_period builds dates: an impossible one ("2025年2月30日") raises ValueError there.
    try:
        start, end = derive.parse_period(row.agreement_text)
    except ValueError as err:
        raise PackageDataError("bad_date", f"{where}的协议有效期含不存在的日期：{row.agreement_text}。") from err
    for day in (start, end):
        if day and not (date(1990, 1, 1) <= day <= date(2100, 12, 31)):
            raise PackageDataError("date_range", f"{where}的协议有效期日期 {day} 不合理（应在 1990 至 2100 年之间）。")
    if start and end:
        _period(start, end, f"{where}的协议有效期")


def _ref(obj: dict[str, Any], path: str, n: int) -> tuple[str, str]:
    _columns(list(obj), REF_FIELDS, path, n)
    key, section = obj["key"], obj["section"]
    if not isinstance(key, str) or not isinstance(section, str) or "|" not in key:
        raise PackageDataError("row_type", f"数据文件 {path} 第 {n} 行的 key/section 格式不正确。")
    return key, section


def _overlay_items(text: str, fmt: str, path: str) -> list[overlays.OverlayItem]:
    out = []
    if fmt == "csv":
        reader = _csv_rows(text, path)
        try:
            header = next(reader)
        except StopIteration:
            raise PackageDataError("missing_column", f"数据文件 {path} 为空，缺少表头。") from None
        _columns(header, OVERLAY_FIELDS, path, 1)
        if len(header) != len(set(header)):
            raise PackageDataError("extra_column", f"数据文件 {path} 的表头有重复的列。")
        records: Iterator[tuple[int, dict[str, Any]]] = (
            (n, dict(zip(header, values, strict=False)) if len(values) == len(header) else {"__len__": values})
            for n, values in enumerate(reader, start=2)
            if any(v.strip() for v in values)
        )
    else:
        records = _jsonl(text, path)
    for n, obj in records:
        if "__len__" in obj:
            raise PackageDataError("row_width", f"数据文件 {path} 第 {n} 行的列数与表头不一致。")
        _columns(list(obj), OVERLAY_FIELDS, path, n)
        out.append(_overlay_item(obj, path, n))
        if len(out) > MAX_ROWS:
            raise PackageLimitError("rows", f"数据文件 {path} 超过 {MAX_ROWS} 行上限。")
    return out


def _csv_rows(text: str, path: str) -> Iterator[list[str]]:
    """CSV records; a malformed file (a field over the csv module's 128 K limit, a stray quote) is refused."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise PackageDataError(
                "csv", f"数据文件 {path} 第 {reader.line_num} 行不是有效的 CSV（{err}）。", hint=_CSV_HINT
            ) from None
        _no_control(values, f"数据文件 {path} 第 {reader.line_num} 行")
        yield values


_CSV_HINT = "每个单元格最多 131072 个字符，引号须成对；请检查文件后重新打包签名。数据库保持不变。"


def _overlay_item(obj: dict[str, Any], path: str, n: int) -> overlays.OverlayItem:
    def s(name: str) -> str | None:
        value = obj.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise PackageDataError("row_type", f"数据文件 {path} 第 {n} 行 {name} 应为文字。")
        return value.strip() or None

    name = s("name")
    if not name:
        raise PackageDataError("empty_name", f"数据文件 {path} 第 {n} 行的药品名称为空。")
    action = s("action")
    if action not in ("add", "remove", "set"):
        raise PackageDataError(
            "bad_action", f"数据文件 {path} 第 {n} 行（{name}）的 action {action!r} 无效（应为 add、remove 或 set）。"
        )
    attrs_text = s("attrs") or "{}"
    try:
        attrs = strict_json(attrs_text)
    except ValueError as err:
        raise PackageDataError("bad_attrs", f"数据文件 {path} 第 {n} 行（{name}）的 attrs 不是有效的 JSON。") from err
    if not isinstance(attrs, dict) or not all(isinstance(v, str) for v in attrs.values()):
        raise PackageDataError("bad_attrs", f"数据文件 {path} 第 {n} 行（{name}）的 attrs 应为文字值的 JSON 对象。")
    if "ratio" in attrs:
        try:
            ratio = Decimal(attrs["ratio"])
        except InvalidOperation:
            ratio = Decimal(-1)
        if not ratio.is_finite() or not (Decimal(0) <= ratio <= Decimal(1)):
            raise PackageDataError(
                "bad_ratio", f"数据文件 {path} 第 {n} 行（{name}）的比例 {attrs['ratio']} 应在 0 到 1 之间。"
            )
    standard = attrs.get("payment_standard")
    if standard is not None and (not _AMOUNT.fullmatch(standard) or not Decimal(0) < Decimal(standard) <= MAX_AMOUNT):
        raise PackageDataError(
            "bad_price",
            f"数据文件 {path} 第 {n} 行（{name}）的支付标准 {standard!r} 无效"
            f'（应为大于 0、不超过 {MAX_AMOUNT} 的金额，如 "12.50"）。',
        )
    start = _date(s("start"), f"数据文件 {path} 第 {n} 行（{name}）的开始日期")
    end = _date(s("end"), f"数据文件 {path} 第 {n} 行（{name}）的结束日期")
    _period(start, end, f"数据文件 {path} 第 {n} 行（{name}）")
    return overlays.OverlayItem(
        name=name, action=action, dosage_form=s("dosage_form"), attrs=attrs, start=start, end=end, source=s("source")
    )


# --- the whole check -------------------------------------------------------------------------


def verify_package(
    pkg_path: Path | str,
    trust: dict[str, k.PublicKey] | None = None,
    *,
    should_cancel: Callable[[], bool] | None = None,
    pinned_sha256: str | None = None,
) -> VerifiedPackage:
    """Check everything that can be checked without the database.

    Args:
        pkg_path: the package file.
        trust: publisher keys by key id; default: ``resources/trust/``.
        pinned_sha256: a package shipped inside the installer is trusted because its file hash
            equals the one in the bundled manifest (``desktop.sync.bundled``), not by a signature:
            the hash must match, and the signature is then not required.

    Raises:
        PackageError: (a subclass) naming the first problem found.
    """
    pkg_path = Path(pkg_path)
    if trust is None and pinned_sha256 is None:
        trust = k.trust_store()
    if pinned_sha256 is not None:
        actual = sha256_file(pkg_path) if pkg_path.is_file() else "(missing)"
        if actual != pinned_sha256:
            raise IntegrityError(
                "bundled_hash",
                f"随安装包提供的目录包 {pkg_path.name} 与安装包清单中的 SHA-256 不符：文件已损坏或被替换。",
                hint="请重新安装药目（或在源码目录中运行 make packages 重建随附的目录包）。数据库保持不变。",
            )
    with _open_zip(pkg_path) as zf:
        members = _check_members(zf)
        if MANIFEST not in members:
            raise PackageFormatError("no_manifest", "更新包中缺少清单文件 manifest.json。")
        manifest_bytes = _read_member(zf, members[MANIFEST], MAX_MANIFEST_BYTES)
        sig_bytes = _read_member(zf, members[SIGNATURE], MAX_MANIFEST_BYTES) if SIGNATURE in members else None
        if not manifest_bytes.strip() or manifest_bytes.strip() in (b"{}", b"null", b"[]"):
            raise PackageFormatError("manifest_empty", "更新包清单 manifest.json 为空。")
        if pinned_sha256 is not None:
            key_id, publisher = k.PINNED.key_id, k.PINNED.publisher
        else:
            assert trust is not None
            key = _verify_signature(manifest_bytes, sig_bytes, trust)
            key_id, publisher = key.key_id, key.publisher
        manifest = parse_manifest(manifest_bytes)
        listed = {f.path for f in manifest.files}
        extra = sorted(set(members) - listed - {MANIFEST, SIGNATURE})
        if extra:
            raise PackageFormatError("extra_member", f"更新包中含有清单未列出的文件：{'、'.join(extra)}。")
        pkg = VerifiedPackage(pkg_path, sha256_file(pkg_path), manifest, key_id, publisher)
        for entry in manifest.files:
            if entry.path not in members:
                raise IntegrityError("file_missing", f"清单列出的数据文件 {entry.path} 不在更新包中。")
            info = members[entry.path]
            if info.file_size != entry.bytes:
                raise IntegrityError(
                    "file_bytes",
                    f"数据文件 {entry.path} 的大小与清单不符（清单 {entry.bytes}，实际 {info.file_size} 字节）。",
                )
            data = _read_member(zf, info, entry.bytes)
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                raise IntegrityError(
                    "file_hash",
                    f"数据文件 {entry.path} 的 SHA-256 与已签名的清单不符：文件在签名后被修改或已损坏。",
                    hint="更新包可能被篡改，请勿使用，并向发布方重新索取。数据库保持不变。",
                )
            if should_cancel and should_cancel():
                raise Cancelled()
            _read_rows(pkg, entry, _text(data, entry.path))
    _validate(pkg)
    return pkg


def _read_rows(pkg: VerifiedPackage, entry: FileEntry, text: str) -> None:
    if entry.format == "jsonl":
        # Count lines before parsing any: a runaway file is refused without building its rows.
        lines = sum(1 for line in json_lines(text) if line.strip())
        if lines > MAX_ROWS:
            raise PackageLimitError("rows", f"数据文件 {entry.path} 有 {lines} 行，超过 {MAX_ROWS} 行上限。")
        if lines != entry.rows:
            raise IntegrityError(
                "row_count", f"数据文件 {entry.path} 有 {lines} 行，与清单声明的 {entry.rows} 行不符。"
            )
    count = 0
    if entry.role == "products":
        count = sum(1 for values in csv.reader(io.StringIO(text, newline="")) if any(values)) - 1
        pkg.product_parts.append(text)
    elif entry.role == "items":
        pkg.items = _overlay_items(text, entry.format, entry.path)
        count = len(pkg.items)
    else:
        targets: dict[str, list[Any]] = {
            "rows": pkg.rows,
            "added": pkg.added,
            "changed": pkg.changed,
            "removed": pkg.removed,
        }
        target = targets[entry.role]
        for n, obj in _jsonl(text, entry.path):
            count += 1
            if count > MAX_ROWS:
                raise PackageLimitError("rows", f"数据文件 {entry.path} 超过 {MAX_ROWS} 行上限。")
            target.append(_ref(obj, entry.path, n) if entry.role == "removed" else _source_row(obj, entry.path, n))
    if count != entry.rows:
        raise IntegrityError("row_count", f"数据文件 {entry.path} 有 {count} 行，与清单声明的 {entry.rows} 行不符。")


def _validate(pkg: VerifiedPackage) -> None:
    m = pkg.manifest
    if m.kind == "edition":
        if not pkg.rows:
            raise PackageDataError("no_rows", "完整版本更新包中没有任何药品行。")
        check_rows(pkg.rows, m.sections)
    elif m.kind == "products":
        if not pkg.product_parts:
            raise PackageDataError("no_rows", "药品库更新包中没有任何数据文件。")
    elif m.kind == "revision":
        for rows in (pkg.added, pkg.changed):
            for row in rows:
                if row.section not in m.sections:
                    raise PackageDataError(
                        "undeclared_section",
                        f"修订包中药品 {row.name_published} 所在部分 {row.section} 未在清单中声明。",
                    )
        keys = [row_key(x) for x in pkg.added + pkg.changed] + list(pkg.removed)
        dup = _first_duplicate(keys)
        if dup:
            raise PackageDataError("duplicate_key", f"修订包中药品 {dup[0]}（{dup[1]}）出现了不止一次。")
    else:
        seen: set[tuple[str, str, str]] = set()
        for item in pkg.items:
            ident = (item.name, item.dosage_form or "", item.action)
            if ident in seen:
                raise PackageDataError(
                    "duplicate_key",
                    f"叠加目录中 {item.name}（{item.dosage_form or '未注明剂型'}，{item.action}）重复。",
                )
            seen.add(ident)


def _first_duplicate(keys: list[tuple[str, str]]) -> tuple[str, str] | None:
    seen: set[tuple[str, str]] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def check_rows(rows: list[r.SourceRow], sections: dict[str, r.SectionInfo]) -> None:
    """Whole-edition checks: declared sections, unique keys and seq, ★ references.

    Raises:
        PackageDataError: naming the first offending row.
    """
    seen: dict[tuple[str, str], r.SourceRow] = {}
    seqs: set[int] = set()
    numbers: dict[str, set[int]] = {}
    for row in rows:
        if row.section not in sections:
            raise PackageDataError(
                "undeclared_section", f"药品 {row.name_published} 所在部分 {row.section} 未在清单中声明。"
            )
        key = row_key(row)
        if key in seen:
            raise PackageDataError(
                "duplicate_key",
                f"药品 {row.name_published}（{row.dosage_form or '无剂型'}）在{row.section}部分出现了两次。",
            )
        seen[key] = row
        if row.seq in seqs:
            raise PackageDataError("duplicate_seq", f"药品 {row.name_published} 的序号 seq={row.seq} 与其他行重复。")
        seqs.add(row.seq)
        if row.number is not None:
            numbers.setdefault(row.section, set()).add(row.number)
    for row in rows:
        if row.star_of is not None and row.star_of not in numbers.get(row.section, set()):
            raise PackageDataError(
                "bad_reference",
                f"药品 {row.name_published} 标注为 ★({row.star_of})，但{row.section}部分没有编号 {row.star_of}。",
            )


def source_row_json(row: r.SourceRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ROW_FIELDS}
