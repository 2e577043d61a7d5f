"""Catalogue feeds: one signed index of packages, served by any static web server, CDN, object storage or folder.

Head office (``publish``) copies packages into a directory under content-addressed names and writes a
signed index beside them::

    feed.json   {"format": "yaomu-catalogue-feed", "format_version": 1, "feed_id": ..., "sequence": 7,
                 "published": ..., "publisher": ..., "packages": [{"package_id", "kind", "target",
                 "sequence", "sha256", "size", "url", "base", "summary"}, ...]}
    feed.sig    {"algorithm": "ed25519", "key_id": ..., "signature": ...}  (over the exact bytes of feed.json)
    packages/<package_id>-<sha256[:12]>.zip

A counter (``sync`` / ``check``) reads the index (HTTP(S) with ``If-None-Match``, so an unchanged feed
costs one 304; or a folder), verifies its signature with the package trust store, refuses an index
older than one it accepted before, works out from the sync history which listed packages are new,
downloads them (resumable with ``Range``, into the data directory, size and SHA-256 checked against
the signed index before the file is opened) and applies them one by one in sequence order through
``desktop.sync.apply``, each in its own transaction, stopping at the first refusal.

Nothing here touches Qt. The format is described for people in ``docs/feeds.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlite_utils import Database

from desktop.errors import UserFacingError
from desktop.storage import feeds as feeds_db
from desktop.storage import history as history_db
from desktop.sync import keys as k
from desktop.sync import package as p

FEED_FORMAT = "yaomu-catalogue-feed"
FEED_VERSION = 1
INDEX = "feed.json"
INDEX_SIG = "feed.sig"
PACKAGES = "packages"
MAX_INDEX_BYTES = 1024 * 1024
MAX_ENTRIES = 2000
#: Seconds: connecting, and waiting for the next bytes of an answer. A dead network fails within these.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
#: One package download never takes longer than this, however slowly a server trickles bytes.
DOWNLOAD_DEADLINE = 15 * 60.0
#: Attempts per package within one sync when the connection breaks mid-download (each resumes).
DOWNLOAD_ATTEMPTS = 3
CHUNK = 64 * 1024

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_REL_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FULL_KINDS = ("edition", "overlay")  # a package of these kinds replaces everything older of its target

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


# --- errors ----------------------------------------------------------------------------------


class FeedError(UserFacingError):
    """A feed cannot be used; ``code`` names the check (stable, for tests and ``--json``)."""

    def __init__(self, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "本次未应用任何更新，数据库保持不变。")
        self.code = code


class FeedNetworkError(FeedError):
    """The feed could not be reached or a download broke off (retry later; nothing changed)."""


class FeedIndexError(FeedError):
    """The index is malformed, unsigned, badly signed, or older than one accepted before."""


class FeedPackageRefused(FeedError):
    """A listed package was refused (bytes differ from the index, or the package itself is refused)."""

    def __init__(self, code: str, message: str, *, hint: str | None = None, report: FeedReport | None = None) -> None:
        super().__init__(code, message, hint=hint)
        self.report = report


class PublishError(FeedError):
    """``yaomu feed publish`` cannot write the feed (nothing in the directory was changed)."""


# --- the index -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    package_id: str
    kind: str
    target: str
    sequence: int
    sha256: str
    size: int
    url: str  # relative to the feed's directory
    base: str | None = None  # a revision: the package id it applies to
    summary: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class FeedIndex:
    feed_id: str
    sequence: int
    published: str
    publisher: str
    packages: tuple[FeedEntry, ...]
    key_id: str
    sha256: str  # of feed.json
    raw: bytes = field(repr=False)
    sig: bytes = field(repr=False)

    def in_order(self) -> list[FeedEntry]:
        """Entries in the order they are applied: targets as first listed, by sequence within a target."""
        first: dict[str, int] = {}
        for i, e in enumerate(self.packages):
            first.setdefault(e.target, i)
        return sorted(self.packages, key=lambda e: (first[e.target], e.sequence))


def _index_error(code: str, message: str, hint: str | None = None) -> FeedIndexError:
    return FeedIndexError(code, message, hint=hint or "目录源的索引无法使用，本次未应用任何更新，数据库保持不变。")


def sign_index(index_bytes: bytes, key: k.PrivateKey) -> bytes:
    """The content of ``feed.sig`` for ``feed.json`` signed with ``key`` (same shape as ``manifest.sig``)."""
    return p.signature_doc(index_bytes, key)


def verify_index(index_bytes: bytes, sig_bytes: bytes | None, trust: dict[str, k.PublicKey]) -> FeedIndex:
    """Check the signature over the exact bytes of ``feed.json``, then parse it (fail closed).

    Raises:
        FeedIndexError: unsigned, unknown key, bad signature, or a malformed index.
    """
    if len(index_bytes) > MAX_INDEX_BYTES or (sig_bytes is not None and len(sig_bytes) > MAX_INDEX_BYTES):
        raise _index_error("index_size", f"目录源的索引过大（上限 {MAX_INDEX_BYTES // 1024} KB）。")
    if not sig_bytes:
        raise _index_error("index_unsigned", "目录源的索引没有签名（缺少 feed.sig），无法确认来源。")
    try:
        doc = json.loads(sig_bytes.decode("utf-8"))
        key_id = str(doc["key_id"])
        algorithm = doc["algorithm"]
        signature = base64.b64decode(doc["signature"], validate=True)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise _index_error("index_signature_format", "目录源的签名文件 feed.sig 格式错误。") from err
    if algorithm != k.ALGORITHM:
        raise _index_error("index_signature_algorithm", f"目录源的索引使用了不支持的签名算法：{algorithm}。")
    key = trust.get(key_id)
    if key is None:
        raise _index_error(
            "index_unknown_key",
            f"目录源的索引由未知的密钥签名（密钥编号 {key_id}），不在本机的信任列表中。",
            "请确认目录源地址正确；如确需信任新发布方，请由管理员将其公钥加入信任列表。数据库保持不变。",
        )
    if not key.verify(signature, index_bytes):
        raise _index_error(
            "index_bad_signature",
            "目录源的索引签名校验失败：feed.json 在签名后被修改，或签名与密钥不符。",
            "目录源可能被篡改或正在更新，请稍后重试；如反复出现请联系总部。数据库保持不变。",
        )
    return _parse_index(index_bytes, sig_bytes, key)


def _parse_index(index_bytes: bytes, sig_bytes: bytes, key: k.PublicKey) -> FeedIndex:
    try:
        doc = json.loads(index_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _index_error("index_format", f"目录源的索引 feed.json 不是有效的 JSON：{err}") from err
    if not isinstance(doc, dict) or doc.get("format") != FEED_FORMAT:
        raise _index_error("index_format", "目录源的 feed.json 不是药目目录源索引。")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _index_error("index_format", "目录源的索引缺少格式版本 format_version。")
    if version > FEED_VERSION:
        raise _index_error(
            "index_version", f"目录源的索引格式版本 {version} 高于本程序支持的 {FEED_VERSION}。", "请升级药目后重试。"
        )
    feed_id, sequence, packages = doc.get("feed_id"), doc.get("sequence"), doc.get("packages")
    if not isinstance(feed_id, str) or not _ID.fullmatch(feed_id):
        raise _index_error("index_format", "目录源的索引中 feed_id 缺失或无效。")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
        raise _index_error("index_format", "目录源的索引中 sequence 应为正整数。")
    if not isinstance(packages, list) or len(packages) > MAX_ENTRIES:
        raise _index_error("index_format", f"目录源的索引中 packages 应为列表（最多 {MAX_ENTRIES} 项）。")
    entries = tuple(_entry(obj, n) for n, obj in enumerate(packages, start=1))
    seen: set[str] = set()
    last: dict[str, int] = {}
    for e in entries:
        if e.package_id in seen:
            raise _index_error("index_format", f"目录源的索引中更新包 {e.package_id} 出现了两次。")
        seen.add(e.package_id)
        if e.target in last and e.sequence <= last[e.target]:
            raise _index_error("index_format", f"目录源的索引中 {e.target} 的更新包序号没有递增（{e.package_id}）。")
        last[e.target] = e.sequence
    return FeedIndex(
        feed_id,
        sequence,
        str(doc.get("published") or ""),
        str(doc.get("publisher") or key.publisher),
        entries,
        key.key_id,
        hashlib.sha256(index_bytes).hexdigest(),
        index_bytes,
        sig_bytes,
    )


def _entry(obj: Any, n: int) -> FeedEntry:
    where = f"目录源索引第 {n} 个更新包"
    if not isinstance(obj, dict):
        raise _index_error("index_format", f"{where}格式错误。")

    def need(name: str, kind: type) -> Any:
        value = obj.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _index_error("index_format", f"{where}缺少 {name} 或类型错误。")
        return value

    package_id, kind, target = need("package_id", str), need("kind", str), need("target", str)
    sequence, sha, size, url = need("sequence", int), need("sha256", str), need("size", int), need("url", str)
    if not _ID.fullmatch(package_id) or kind not in p.KINDS or not target or len(target) > 100:
        raise _index_error("index_format", f"{where}的编号、类型或对象无效。")
    if sequence < 1 or not _HEX64.fullmatch(sha) or not 0 < size <= p.MAX_PACKAGE_BYTES:
        raise _index_error("index_format", f"{where}（{package_id}）的序号、SHA-256 或大小无效。")
    if not _REL_URL.fullmatch(url) or ".." in url.split("/"):
        raise _index_error("index_url", f"{where}（{package_id}）的地址 {url!r} 不是目录源内的相对路径，已拒绝。")
    base = obj.get("base")
    summary = obj.get("summary")
    return FeedEntry(
        package_id,
        kind,
        target,
        sequence,
        sha,
        size,
        url,
        base if isinstance(base, str) else None,
        summary if isinstance(summary, str) else None,
    )


# --- publishing (head office) ----------------------------------------------------------------


@dataclass
class PublishReport:
    directory: Path
    feed_id: str
    sequence: int
    added: list[FeedEntry]
    unchanged: list[str]  # package ids already listed with the same bytes
    superseded: list[str]  # package ids no longer listed
    listed: list[FeedEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "published",
            "directory": str(self.directory),
            "feed_id": self.feed_id,
            "sequence": self.sequence,
            "added": [e.to_json() for e in self.added],
            "unchanged": self.unchanged,
            "superseded": self.superseded,
            "listed": [e.to_json() for e in self.listed],
        }

    def text(self) -> str:
        lines = [f"已发布目录源 {self.feed_id}（索引序号 {self.sequence}）到 {self.directory}："]
        lines += [
            f"  新增 {e.package_id}（{e.kind}，{e.target}，序号 {e.sequence}，{e.size} 字节）" for e in self.added
        ]
        lines += [f"  已在目录源中，未改动：{pid}" for pid in self.unchanged]
        lines += [f"  已被新版本取代，不再列出：{pid}" for pid in self.superseded]
        lines.append(f"  索引共列出 {len(self.listed)} 个更新包。")
        return "\n".join(lines)


def _describe(e: FeedEntry) -> str:
    return f"{e.package_id}（{e.kind}，{e.target}，序号 {e.sequence}，{e.size} 字节）"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_manifest(path: Path) -> p.Manifest:
    """The manifest of a package whose bytes are already pinned (no signature check: apply does that)."""
    with p._open_zip(path) as zf:
        members = p._check_members(zf)
        if p.MANIFEST not in members:
            raise p.PackageFormatError("no_manifest", "更新包中缺少清单文件 manifest.json。")
        return p.parse_manifest(p._read_member(zf, members[p.MANIFEST], p.MAX_MANIFEST_BYTES))


def _supersede(entries: list[FeedEntry]) -> tuple[list[FeedEntry], list[str]]:
    """Drop what a later full package of the same target replaces (a full edition or overlay re-states it all)."""
    latest_full: dict[str, int] = {}
    for e in entries:
        if e.kind in _FULL_KINDS:
            latest_full[e.target] = max(latest_full.get(e.target, 0), e.sequence)
    kept = [e for e in entries if e.sequence >= latest_full.get(e.target, 0)]
    return kept, [e.package_id for e in entries if e not in kept]


def publish(
    packages: list[Path],
    directory: Path,
    key: k.PrivateKey,
    *,
    trust: dict[str, k.PublicKey] | None = None,
    feed_id: str | None = None,
    now: datetime | None = None,
) -> PublishReport:
    """Add packages to the feed in ``directory`` (created when missing) and re-sign its index.

    Each package is verified first (against ``trust`` plus ``key``'s own public key). Packages of a
    target must come in increasing sequence; a package id already listed must have the same bytes.
    Everything a later full edition or overlay of the same target replaces is dropped from the index
    (its file stays, so a counter half-way through a download can finish).

    Raises:
        PublishError: a package is refused or the existing index cannot be read; nothing is written.
        PackageError: a package fails verification.
    """
    directory = Path(directory)
    trust = {**(trust if trust is not None else k.trust_store()), key.key_id: key.public}
    verified = [p.verify_package(path, trust) for path in packages]
    old: FeedIndex | None = None
    index_path, sig_path = directory / INDEX, directory / INDEX_SIG
    if index_path.exists():
        try:
            old = verify_index(index_path.read_bytes(), sig_path.read_bytes() if sig_path.exists() else None, trust)
        except FeedIndexError as err:
            raise PublishError(
                "existing_index",
                f"{directory} 中已有的目录源索引无法校验：{err.message}",
                hint="请确认发布目录正确；如需重新开始，请换一个空目录。目录中的文件未被改动。",
            ) from err
    if old is not None and feed_id and feed_id != old.feed_id:
        raise PublishError(
            "feed_id",
            f"{directory} 中的目录源编号是 {old.feed_id}，与 --feed-id {feed_id} 不符。",
            hint="一个目录只发布一个目录源。目录中的文件未被改动。",
        )
    fid = old.feed_id if old else (feed_id or f"feed-{key.key_id}")
    if not _ID.fullmatch(fid):
        raise PublishError("feed_id", f"目录源编号 {fid!r} 无效（小写字母、数字、点、下划线、连字符）。")
    entries = list(old.packages) if old else []
    by_id = {e.package_id: e for e in entries}
    added: list[FeedEntry] = []
    unchanged: list[str] = []
    copies: list[tuple[Path, Path]] = []
    order = {"edition": 0, "revision": 1, "overlay": 2}  # as the bundled packages: editions, revisions, overlays
    for v in sorted(verified, key=lambda v: (order[v.kind], v.manifest.target, v.manifest.sequence)):
        m = v.manifest
        if m.package_id in by_id:
            if by_id[m.package_id].sha256 == v.sha256:
                unchanged.append(m.package_id)
                continue
            raise PublishError(
                "package_id_reused",
                f"更新包编号 {m.package_id} 已在目录源中发布过，但内容不同。",
                hint="编号不能重复使用：请为新内容制作新编号的更新包。目录中的文件未被改动。",
            )
        same_target = [e for e in entries if e.target == m.target]
        if same_target and m.sequence <= max(e.sequence for e in same_target):
            newest = max(same_target, key=lambda e: e.sequence)
            raise PublishError(
                "older",
                f"更新包 {m.package_id}（序号 {m.sequence}）不比目录源中已有的 {newest.package_id}"
                f"（序号 {newest.sequence}）新。",
                hint="同一对象的更新包须按序号递增发布。目录中的文件未被改动。",
            )
        rel = f"{PACKAGES}/{m.package_id}-{v.sha256[:12]}.zip"
        entry = FeedEntry(
            m.package_id,
            m.kind,
            m.target,
            m.sequence,
            v.sha256,
            v.path.stat().st_size,
            rel,
            (m.base or {}).get("package_id") if m.base else None,
            m.summary,
        )
        entries.append(entry)
        by_id[m.package_id] = entry
        added.append(entry)
        copies.append((v.path, directory / rel))
    kept, superseded = _supersede(entries)
    if old is not None and not added:
        return PublishReport(directory, fid, old.sequence, [], unchanged, [], list(old.packages))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / PACKAGES).mkdir(exist_ok=True)
    for src, dst in copies:  # packages first: a counter never sees an index listing a file not there yet
        if not (dst.exists() and p.sha256_file(dst) == p.sha256_file(src)):
            tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    sequence = (old.sequence + 1) if old else 1
    doc = {
        "format": FEED_FORMAT,
        "format_version": FEED_VERSION,
        "feed_id": fid,
        "sequence": sequence,
        "published": (now or datetime.now()).isoformat(timespec="seconds"),
        "publisher": key.publisher,
        "packages": [e.to_json() for e in kept],
    }
    body = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    # The signature first, then the index: a reader that gets the new index also gets its signature;
    # one that got the old index and the new signature retries once (see ``_read_index``).
    _atomic_write(sig_path, sign_index(body, key))
    _atomic_write(index_path, body)
    return PublishReport(directory, fid, sequence, added, unchanged, superseded, kept)


# --- transports: HTTP(S) and folders ---------------------------------------------------------


@dataclass
class Fetched:
    """The index as read: ``unchanged`` when the server said 304 or the folder's bytes are the same."""

    index: bytes
    sig: bytes
    unchanged: bool
    etag: str | None = None
    last_modified: str | None = None


class Transport:
    """Reads a feed's files; counts requests and bytes (the benchmark and ``--json`` report them)."""

    requests: int = 0
    received: int = 0  # bytes

    def get_index(self, state: FeedState | None, *, conditional: bool = True) -> Fetched:
        raise NotImplementedError

    def open_range(self, url: str, offset: int) -> tuple[int, Iterator[bytes]]:
        """Bytes of ``url`` (relative) from ``offset``; returns the offset actually served (0 = from the start)."""
        raise NotImplementedError

    def location(self, url: str) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _is_http(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def make_transport(source: str, *, client: Any = None, timeout: float | None = None) -> Transport:
    """The transport for a feed: an http(s) URL, a ``file://`` URL or a folder path.

    Raises:
        FeedError: the source is neither.
    """
    source = source.strip()
    if _is_http(source):
        return HttpTransport(source, client=client, timeout=timeout)
    if source.lower().startswith("file://"):
        return DirTransport(Path(unquote(urlsplit(source).path)))
    if "://" in source:
        raise FeedError(
            "source",
            f"目录源地址 {source} 无法识别：只支持 http://、https:// 或本机/共享文件夹路径。",
            hint="请在设置中填写总部提供的目录源地址。",
        )
    return DirTransport(Path(source))


def _system_tls() -> Any:
    """An SSL context that trusts what the operating system trusts (Windows / macOS store, Linux CA bundle)."""
    import ssl

    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class HttpTransport(Transport):
    """HTTP(S) with httpx: proxies from the system (environment / registry), fixed timeouts, redirects."""

    def __init__(self, source: str, *, client: Any = None, timeout: float | None = None) -> None:
        import httpx

        self.httpx = httpx
        base = source if source.endswith("/") else source + "/"
        if source.rsplit("/", 1)[-1] == INDEX:
            base = source[: -len(INDEX)]
        self.base = httpx.URL(base)
        self.source = source
        self.own = client is None
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout or READ_TIMEOUT, connect=timeout or CONNECT_TIMEOUT),
            verify=_system_tls(),  # the operating system's certificate store (a chain's own CA, TLS proxies)
            trust_env=True,  # HTTP(S)_PROXY / NO_PROXY, and the system proxy settings where Python reads them
            follow_redirects=True,
            headers={"User-Agent": "yaomu-feed/1"},
        )
        self.requests = 0
        self.received = 0

    def location(self, url: str) -> str:
        return str(self.base.join(url))

    def _network_error(self, err: Exception, url: str) -> FeedNetworkError:
        host = self.base.host or self.source
        hx = self.httpx
        if isinstance(err, hx.TimeoutException):
            msg = f"连接目录源 {host} 超时（{url}），网络可能中断或服务器无响应。"
        elif isinstance(err, hx.ProxyError):
            msg = f"通过代理服务器连接目录源 {host} 失败：{err}。"
        elif isinstance(err, hx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(err):
            msg = (
                f"目录源 {host} 的 HTTPS 证书无法验证（不受本机信任或已过期），为安全起见未连接。"
                "如公司网络使用自己的证书，请由管理员将其加入系统的受信任证书。"
            )
        elif isinstance(err, hx.ConnectError):
            msg = f"无法连接目录源 {host}：网络不通、地址有误或服务器未启动（{err}）。"
        else:
            msg = f"从目录源 {host} 读取 {url} 时网络中断（{type(err).__name__}）。"
        return FeedNetworkError(
            "network", msg, hint="请检查网络连接和代理设置，稍后会自动重试；本次未应用任何更新，数据库保持不变。"
        )

    def _status_error(self, status: int, url: str) -> FeedNetworkError:
        what = {404: "不存在", 403: "拒绝访问", 401: "需要登录"}.get(status, "出错")
        return FeedNetworkError(
            f"http_{status}",
            f"目录源返回 HTTP {status}（{what}）：{url}。",
            hint="请确认目录源地址正确、总部已发布；本次未应用任何更新，数据库保持不变。",
        )

    def _get(self, url: str, headers: dict[str, str], limit: int) -> tuple[int, Any, bytes]:
        """(status, headers, body) of a small file; a body over ``limit`` is refused while it streams."""
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                self.requests += 1
                body = b""
                if r.status_code == 200:
                    for chunk in r.iter_bytes(CHUNK):
                        body += chunk
                        if len(body) > limit:
                            raise _index_error("index_size", f"目录源的 {url} 过大（上限 {limit // 1024} KB）。")
                self.received += len(body)
                return r.status_code, r.headers, body
        except self.httpx.HTTPError as err:
            raise self._network_error(err, url) from err

    def get_index(self, state: FeedState | None, *, conditional: bool = True) -> Fetched:
        url = self.location(INDEX)
        headers: dict[str, str] = {}
        if conditional and state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if conditional and state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        status, head, body = self._get(url, headers, MAX_INDEX_BYTES)
        if status == 304 and state is not None:
            return Fetched(state.index_json, state.index_sig, True, state.etag, state.last_modified)
        if status != 200:
            raise self._status_error(status, url)
        etag, modified = head.get("etag"), head.get("last-modified")
        if conditional and state is not None and hashlib.sha256(body).hexdigest() == state.index_sha256:
            return Fetched(state.index_json, state.index_sig, True, etag, modified)  # a host without validators
        sig_status, _head, sig = self._get(self.location(INDEX_SIG), {}, MAX_INDEX_BYTES)
        if sig_status == 404:
            return Fetched(body, b"", False, etag, modified)
        if sig_status != 200:
            raise self._status_error(sig_status, self.location(INDEX_SIG))
        return Fetched(body, sig, False, etag, modified)

    def open_range(self, url: str, offset: int) -> tuple[int, Iterator[bytes]]:
        full = self.location(url)
        headers = {"Accept-Encoding": "identity"}  # byte ranges of the file itself, never of a compressed form
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            cm = self.client.stream("GET", full, headers=headers)
            r = cm.__enter__()
        except self.httpx.HTTPError as err:
            raise self._network_error(err, full) from err
        self.requests += 1
        served = 0
        if r.status_code == 206:
            m = re.match(r"bytes (\d+)-", r.headers.get("content-range", ""))
            served = int(m.group(1)) if m else -1
            if served != offset:
                cm.__exit__(None, None, None)
                raise FeedNetworkError("range", f"目录源对断点续传的回应有误（{full}）。")
        elif r.status_code == 416:  # the part on disk is already as long as the file (or longer)
            cm.__exit__(None, None, None)
            return offset, iter(())
        elif r.status_code != 200:
            cm.__exit__(None, None, None)
            raise self._status_error(r.status_code, full)

        def chunks() -> Iterator[bytes]:
            try:
                for chunk in r.iter_bytes():  # as the bytes arrive: a broken connection loses none of them
                    self.received += len(chunk)
                    yield chunk
            except self.httpx.HTTPError as err:
                raise self._network_error(err, full) from err
            finally:
                cm.__exit__(None, None, None)

        return served, chunks()

    def close(self) -> None:
        if self.own:
            self.client.close()


class DirTransport(Transport):
    """A folder (local disk or a mounted share): the same files, read with plain file I/O."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        if self.directory.name == INDEX:
            self.directory = self.directory.parent
        self.requests = 0
        self.received = 0

    def location(self, url: str) -> str:
        return str(self.directory.joinpath(*url.split("/")))

    def _read(self, name: str, limit: int, required: bool = True) -> bytes:
        path = self.directory / name
        self.requests += 1
        try:
            with path.open("rb") as fh:
                data = fh.read(limit + 1)
        except FileNotFoundError as err:
            if not required:
                return b""
            raise FeedNetworkError(
                "not_found",
                f"目录源文件夹中没有 {name}：{path}。",
                hint="请确认文件夹路径正确、共享盘已连接、总部已发布；本次未应用任何更新，数据库保持不变。",
            ) from err
        except OSError as err:
            raise FeedNetworkError(
                "folder",
                f"无法读取目录源文件夹 {self.directory}：{err.strerror}。",
                hint="请确认共享盘已连接、有读取权限；本次未应用任何更新，数据库保持不变。",
            ) from err
        if len(data) > limit:
            raise _index_error("index_size", f"目录源的 {name} 过大（上限 {limit // 1024} KB）。")
        self.received += len(data)
        return data

    def get_index(self, state: FeedState | None, *, conditional: bool = True) -> Fetched:
        body = self._read(INDEX, MAX_INDEX_BYTES)
        if conditional and state is not None and hashlib.sha256(body).hexdigest() == state.index_sha256:
            return Fetched(state.index_json, state.index_sig, True)
        return Fetched(body, self._read(INDEX_SIG, MAX_INDEX_BYTES, required=False), False)

    def open_range(self, url: str, offset: int) -> tuple[int, Iterator[bytes]]:
        path = Path(self.location(url))
        self.requests += 1
        try:
            fh = path.open("rb")
        except OSError as err:
            raise FeedNetworkError(
                "not_found",
                f"目录源文件夹中缺少索引列出的更新包 {url}：{err.strerror}。",
                hint="总部可能正在发布，请稍后重试；本次未应用该更新包，数据库保持不变。",
            ) from err
        fh.seek(offset)

        def chunks() -> Iterator[bytes]:
            with fh:
                for block in iter(lambda: fh.read(CHUNK), b""):
                    self.received += len(block)
                    yield block

        return offset, chunks()


# --- the counter's memory of a feed ----------------------------------------------------------


FeedState = feeds_db.FeedState


def load_state(db: Database, source: str) -> FeedState | None:
    return feeds_db.get(db, source)


def last_checked(db: Database) -> FeedState | None:
    """The feed polled most recently (for the status bar)."""
    return feeds_db.last_checked(db)


# --- reading a feed (no database writes) -----------------------------------------------------


def read_index(
    transport: Transport,
    state: FeedState | None,
    trust: dict[str, k.PublicKey],
    *,
    accepted_sequence: int = 0,
) -> tuple[FeedIndex, Fetched]:
    """Fetch (conditionally) and verify the index; refuse one older than what was accepted before.

    A signature that fails right after a fresh download is fetched once more: the publisher replaces
    ``feed.sig`` just before ``feed.json``, so a reader can meet the old index with the new signature.
    """
    fetched = transport.get_index(state)
    try:
        index = verify_index(fetched.index, fetched.sig, trust)
    except FeedIndexError as err:
        if fetched.unchanged or err.code != "index_bad_signature":
            raise
        fetched = transport.get_index(state, conditional=False)
        index = verify_index(fetched.index, fetched.sig, trust)
    floor = max(accepted_sequence, state.sequence if state and state.feed_id == index.feed_id else 0)
    if index.sequence < floor:
        raise _older(index, floor)
    if state is not None and index.sequence == state.sequence and index.feed_id == state.feed_id:
        if index.sha256 != state.index_sha256:
            raise _index_error(
                "index_conflict",
                f"目录源 {index.feed_id} 的索引序号 {index.sequence} 与本机已接受的相同，但内容不同，已拒绝。",
                "发布方每次发布都应提高索引序号，请联系总部；数据库保持不变。",
            )
    return index, fetched


def new_entries(db: Database, index: FeedIndex) -> list[FeedEntry]:
    """Listed packages this database has not seen, in apply order (older ones of a target are skipped)."""
    ids, hashes, current = history_db.seen_and_current(db)
    out: list[FeedEntry] = []
    for e in index.in_order():
        if e.package_id in ids or e.sha256 in hashes or current.get(e.target, 0) >= e.sequence:
            continue
        out.append(e)
    return out


def default_cache_dir(db_path: Path | None) -> Path:
    """Downloads go beside the database, in the data directory (never over a file being applied)."""
    if db_path is not None and str(db_path) != ":memory:":
        return Path(db_path).resolve().parent / "feed-cache"
    from desktop.paths import data_dir

    return data_dir() / "feed-cache"


def fetch_package(
    transport: Transport,
    entry: FeedEntry,
    cache_dir: Path,
    *,
    should_cancel: CancelFn | None = None,
    on_progress: ProgressFn | None = None,
) -> Path:
    """Download (or copy) a listed package into ``cache_dir``; resumes a ``.part`` left by a broken download.

    The file gets its final name only when its size and SHA-256 equal the signed index's, so nothing
    ever opens a partial or altered file.

    Raises:
        FeedNetworkError: the download broke off (the part is kept; the next try resumes).
        FeedPackageRefused: the bytes differ from the index.
    """
    cancel = should_cancel or (lambda: False)
    cache_dir.mkdir(parents=True, exist_ok=True)
    final = cache_dir / f"{entry.sha256}.zip"
    part = cache_dir / f"{entry.sha256}.zip.part"
    if final.exists():
        if final.stat().st_size == entry.size and p.sha256_file(final) == entry.sha256:
            return final
        final.unlink()
    started = time.monotonic()
    fresh_retry_done = False
    attempt = 0
    while True:
        attempt += 1
        have = part.stat().st_size if part.exists() else 0
        if have > entry.size:
            part.unlink()
            have = 0
        resumed = have > 0
        try:
            if have < entry.size:
                have = _receive(transport, entry, part, have, started, cancel, on_progress)
        except FeedNetworkError:
            if attempt < DOWNLOAD_ATTEMPTS and not cancel():
                continue
            raise
        if have < entry.size:
            if attempt < DOWNLOAD_ATTEMPTS:
                continue
            raise FeedNetworkError(
                "incomplete",
                f"更新包 {entry.package_id} 下载不完整（{have}/{entry.size} 字节）。",
                hint="已下载的部分已保留，下次同步时会从断点继续；本次未应用该更新包，数据库保持不变。",
            )
        if p.sha256_file(part) == entry.sha256:
            os.replace(part, final)
            return final
        part.unlink()
        if resumed and not fresh_retry_done:  # the kept part may be stale: once more from the start
            fresh_retry_done = True
            continue
        raise FeedPackageRefused(
            "package_hash",
            f"下载的更新包 {entry.package_id} 与已签名的目录源索引不符（SHA-256 不同），已丢弃。",
            hint="文件在传输或存放中被修改或损坏，请联系总部；该更新包未被应用，数据库保持不变。",
        )


def _receive(
    transport: Transport,
    entry: FeedEntry,
    part: Path,
    have: int,
    started: float,
    cancel: CancelFn,
    progress: ProgressFn | None,
) -> int:
    served, chunks = transport.open_range(entry.url, have)
    if served == 0 and have:  # the server sent the whole file: start the part again
        have = 0
    with part.open("ab" if have else "wb") as fh:
        try:
            for chunk in chunks:
                have += len(chunk)
                if have > entry.size:
                    fh.close()
                    part.unlink()
                    raise FeedPackageRefused(
                        "package_size",
                        f"下载的更新包 {entry.package_id} 比目录源索引所列的 {entry.size} 字节大，已丢弃。",
                        hint="文件与已签名的索引不符，请联系总部；该更新包未被应用，数据库保持不变。",
                    )
                fh.write(chunk)
                if progress:
                    progress(have, entry.size)
                if cancel():
                    from desktop.sync.apply import Cancelled

                    raise Cancelled()
                if time.monotonic() - started > DOWNLOAD_DEADLINE:
                    raise FeedNetworkError(
                        "slow",
                        f"更新包 {entry.package_id} 下载过慢，已超过 {int(DOWNLOAD_DEADLINE // 60)} 分钟。",
                        hint="已下载的部分已保留，下次同步时会从断点继续；数据库保持不变。",
                    )
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # release the connection (or file) at once, also when stopping early
            if not fh.closed:
                fh.flush()
                os.fsync(fh.fileno())
    return have


def _check_listed(entry: FeedEntry, m: p.Manifest) -> None:
    """The package's own manifest says what the signed index says about it."""
    if (m.package_id, m.kind, m.target, m.sequence) != (entry.package_id, entry.kind, entry.target, entry.sequence):
        raise FeedPackageRefused(
            "index_mismatch",
            f"更新包 {m.package_id}（{m.kind}，{m.target}，序号 {m.sequence}）与目录源索引所列的 "
            f"{entry.package_id}（{entry.kind}，{entry.target}，序号 {entry.sequence}）不符。",
            hint="目录源索引有误，请联系总部；该更新包未被应用，数据库保持不变。",
        )


# --- the counter: check and sync --------------------------------------------------------------


@dataclass
class FeedReport:
    source: str
    feed_id: str
    index_sequence: int
    key_id: str
    publisher: str
    unchanged: bool  # 304 / the same bytes
    listed: int
    pending: list[FeedEntry]
    applied: list[Any] = field(default_factory=list)  # desktop.sync.apply.ApplyReport
    diffs: dict[str, Any] = field(default_factory=dict)  # package id -> desktop.sync.diff.Diff (check with diff)
    requests: int = 0
    received: int = 0  # bytes
    checked_at: str = ""
    refused: dict[str, str] | None = None

    @property
    def status(self) -> str:
        if self.refused:
            return "refused"
        if self.applied:
            return "applied"
        return "pending" if self.pending else "current"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": self.source,
            "feed_id": self.feed_id,
            "index_sequence": self.index_sequence,
            "key_id": self.key_id,
            "publisher": self.publisher,
            "unchanged": self.unchanged,
            "listed": self.listed,
            "pending": [e.to_json() for e in self.pending],
            "applied": [a.to_json() for a in self.applied],
            "diffs": {pid: d.to_json() for pid, d in self.diffs.items()},
            "requests": self.requests,
            "bytes": self.received,
            "checked_at": self.checked_at,
            "refused": self.refused,
        }

    def text(self) -> str:
        head = f"目录源 {self.source}（{self.feed_id}，索引序号 {self.index_sequence}，发布方 {self.publisher}）" + (
            "：索引未变化" if self.unchanged else ""
        )
        lines = [head]
        for a in self.applied:
            lines.append("  " + a.text())
        waiting = self.pending[len(self.applied) :]
        if self.refused:
            lines.append(f"  已停止：{self.refused['message']}")
        elif waiting:
            lines.append(f"  有 {len(waiting)} 个新的更新包待应用：")
            lines += [f"    {_describe(e)}" for e in waiting]
            for e in waiting:
                if e.package_id in self.diffs:
                    lines.append(self.diffs[e.package_id].text())
        elif not self.applied:
            lines.append("  本机目录已是最新。")
        lines.append(f"  本次请求 {self.requests} 次，下载 {self.received} 字节。")
        return "\n".join(lines)


def _trust(trust: dict[str, k.PublicKey] | None) -> dict[str, k.PublicKey]:
    return trust if trust is not None else k.trust_store()


def check(
    db_path: Path | str,
    source: str,
    *,
    trust: dict[str, k.PublicKey] | None = None,
    record: bool = False,
    download: bool = False,
    cache_dir: Path | None = None,
    transport: Transport | None = None,
    should_cancel: CancelFn | None = None,
) -> FeedReport:
    """What the feed offers that this database has not applied; changes no catalogue data.

    With ``record`` the poll is remembered (validators and index, for the next 304 and the status
    bar); with ``download`` the new packages are fetched into the cache and the diff of the first
    new package of each target is worked out (what the window shows under "有目录更新").
    """
    from desktop.storage import catalogue as store

    trust = _trust(trust)
    own = transport is None
    transport = transport or make_transport(source)
    try:
        db = store.open_db(db_path)  # migrated like any open; nothing of the feed is written unless record
        try:
            index, fetched = _read_checked(db, transport, source, trust)
            pending = new_entries(db, index)
            report = _report(source, index, fetched, pending, transport)
            if download and pending:
                from desktop.sync import apply

                cache = cache_dir or default_cache_dir(Path(db_path))
                seen: set[str] = set()
                for e in pending:
                    path = fetch_package(transport, e, cache, should_cancel=should_cancel)
                    if e.target in seen:  # later ones of a target build on the first: no diff before it is in
                        _check_listed(e, _read_manifest(path))
                        continue
                    verified = p.verify_package(path, trust, should_cancel=should_cancel)
                    _check_listed(e, verified.manifest)
                    report.diffs[e.package_id] = apply.diff_package(db, verified, trust)
                    seen.add(e.target)
            report.requests, report.received = transport.requests, transport.received
            if record:
                feeds_db.save(db, _new_state(source, index, fetched, report.checked_at))
            return report
        finally:
            db.close()
    finally:
        if own:
            transport.close()


def _read_checked(
    db: Database, transport: Transport, source: str, trust: dict[str, k.PublicKey]
) -> tuple[FeedIndex, Fetched]:
    """``read_index`` against this source's state, then against every source of the same feed (a mirror
    that lags behind what another source already gave is refused as older too)."""
    index, fetched = read_index(transport, load_state(db, source), trust)
    floor = feeds_db.accepted_sequence(db, index.feed_id, index.key_id)
    if index.sequence < floor:
        raise _older(index, floor)
    return index, fetched


def _older(index: FeedIndex, floor: int) -> FeedIndexError:
    return _index_error(
        "index_older",
        f"目录源 {index.feed_id} 的索引（序号 {index.sequence}）比本机已接受过的（序号 {floor}）旧，"
        "可能是过期的缓存或被重放的旧索引，已拒绝。",
        "请稍后重试，或联系总部确认目录源；数据库保持不变。",
    )


def _report(source: str, index: FeedIndex, fetched: Fetched, pending: list[FeedEntry], t: Transport) -> FeedReport:
    return FeedReport(
        source,
        index.feed_id,
        index.sequence,
        index.key_id,
        index.publisher,
        fetched.unchanged,
        len(index.packages),
        pending,
        requests=t.requests,
        received=t.received,
        checked_at=datetime.now().isoformat(timespec="seconds"),
    )


def _new_state(source: str, index: FeedIndex, fetched: Fetched, at: str) -> FeedState:
    return FeedState(
        source,
        index.feed_id,
        index.key_id,
        index.sequence,
        index.sha256,
        index.raw,
        index.sig,
        fetched.etag,
        fetched.last_modified,
        at,
    )


def sync(
    db_path: Path | str,
    source: str,
    *,
    trust: dict[str, k.PublicKey] | None = None,
    cache_dir: Path | None = None,
    transport: Transport | None = None,
    on_progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
    backup: bool = True,
) -> FeedReport:
    """Bring the database up to the feed: apply every new listed package in order, each atomically.

    Stops at the first package refused; what was applied before it stays applied (each is a
    complete, recorded apply that ``yaomu sync rollback`` can undo) and nothing after it is tried.
    The feed's state (for the next conditional request) is saved only when nothing was refused.

    Raises:
        FeedNetworkError, FeedIndexError: the index cannot be read or is refused; nothing changed.
        FeedPackageRefused: a package was refused; ``err.report`` says what was applied before it.
    """
    from desktop.storage import catalogue as store
    from desktop.sync import apply

    trust = _trust(trust)
    own = transport is None
    transport = transport or make_transport(source)
    cache = cache_dir or default_cache_dir(Path(db_path))
    try:
        db = store.open_db(db_path)
        try:
            index, fetched = _read_checked(db, transport, source, trust)
            pending = new_entries(db, index)
        finally:
            db.close()
        report = _report(source, index, fetched, pending, transport)
        for e in pending:
            try:
                path = fetch_package(transport, e, cache, should_cancel=should_cancel)
                verified = p.verify_package(path, trust, should_cancel=should_cancel)  # once, then carried to apply
                _check_listed(e, verified.manifest)
                if backup and not report.applied:  # one back-up before the batch, not one per package
                    _backup(db_path)
                result = apply.apply_package(
                    db_path,
                    verified,
                    trust=trust,
                    on_progress=on_progress,
                    should_cancel=should_cancel,
                    backup=False,
                    origin=(source, transport.location(e.url)),
                )
            except (p.PackageError, FeedPackageRefused) as err:
                report.requests, report.received = transport.requests, transport.received
                before = f"此前已应用 {len(report.applied)} 个，" if report.applied else ""
                message = f"目录源中的更新包 {e.package_id} 被拒绝：{err.message}"
                report.refused = {"package_id": e.package_id, "code": err.code, "message": message}
                raise FeedPackageRefused(
                    err.code,
                    message,
                    hint=f"{before}其后的更新包未应用；被拒绝的更新包没有改动数据库。{err.hint or ''}".strip(),
                    report=report,
                ) from err
            report.applied.append(result)
            path.unlink(missing_ok=True)  # applied: the database and its back-ups hold it now
        report.requests, report.received = transport.requests, transport.received
        db = store.open_db(db_path)
        try:
            feeds_db.save(db, _new_state(source, index, fetched, report.checked_at))
        finally:
            db.close()
        _prune(cache, {e.sha256 for e in index.packages})
        return report
    finally:
        if own:
            transport.close()


def _prune(cache: Path, keep: set[str]) -> None:
    """Drop downloads the index no longer lists (superseded while waiting, or fetched by a check)."""
    if not cache.is_dir():
        return
    for f in cache.iterdir():
        if f.name.split(".", 1)[0] not in keep and f.name.endswith((".zip", ".zip.part")):
            f.unlink(missing_ok=True)


def _backup(db_path: Path | str) -> None:
    from desktop.storage import catalogue as store
    from desktop.sync import apply

    db = store.open_db(db_path)
    try:
        path = store.db_file(db)
        if path and store.has_content(db):  # a first start has nothing worth a back-up
            store.backup(db, path, reason="sync", keep=apply.KEEP_BACKUPS)
    finally:
        db.close()


def status_line(state: FeedState | None) -> str:
    """ "上次检查 … · 来自 …" for the status bar (empty when no feed was ever polled)."""
    if state is None:
        return ""
    return f"目录源：上次检查 {state.checked_at.replace('T', ' ')[:16]} · 来自 {state.source}"
