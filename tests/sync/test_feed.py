"""Feeds end to end against a real HTTP server on 127.0.0.1 (http.server) and against a folder.

The counter catches up from an empty database, then an unchanged feed costs one 304; a download
cut in the middle resumes with Range; bytes that differ from the signed index, an index with a bad
signature, an older index and a listed package that is refused are each refused with their
message, the database unchanged. Folder feeds go through the same checks.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.storage import catalogue as store
from desktop.sync import apply, build, feed, keys
from desktop.sync import package as p
from tests.sync.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "resources" / "packages"
TRANSITION_DEF = ROOT / "resources" / "overlays" / "national-transition-2024.json"


def dump(path: Path) -> str:
    """Everything in the database, for "unchanged" comparisons (catalogue, history, feed state)."""
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def catalogue(db) -> list[tuple]:  # noqa: ANN001 - sqlite_utils.Database
    """The catalogue's rows (editions, sections, entries, overlays and their items), without load times."""
    out = []
    for table in ("edition", "edition_section", "entry", "overlay", "overlay_item"):
        cur = db.execute(f"select * from {table} order by rowid")
        cols = [c[0] for c in cur.description]
        out += [(table, *(v for c, v in zip(cols, row, strict=True) if c != "loaded_at")) for row in cur]
    return out


@pytest.fixture(scope="module")
def hq() -> keys.PrivateKey:
    return keys.generate("测试总部")


@pytest.fixture(scope="module", autouse=True)
def _bundled_signed_by_hq(hq: keys.PrivateKey, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Head office publishes the bundled packages signed with its key (the bundled files carry none)."""
    global BUNDLED
    from tests.sync.conftest import hq_signed

    folder = tmp_path_factory.mktemp("hq-signed")
    hq_signed(hq, folder, sorted((ROOT / "resources" / "packages").glob("*.zip")))
    BUNDLED = folder


@pytest.fixture(scope="module")
def counter_trust(hq: keys.PrivateKey) -> dict[str, keys.PublicKey]:
    """What a counter trusts: Yaomu's publisher key (the bundled packages) and the head office's key."""
    return {**keys.trust_store(), hq.key_id: hq.public}


def transition(tmp: Path, key: keys.PrivateKey, sequence: int, *, drop: int = 0) -> Path:
    """A real overlay (the national transition list) as head office re-issues it, signed by ``key``."""
    d = build.read_overlay_def(TRANSITION_DEF)
    items = d.items[: len(d.items) - drop]
    info = replace(d.info, complete=not drop, note="测试：少列一项" if drop else None)
    return build.overlay_package(
        info, items, tmp / f"transition-{sequence}.zip", key, package_id=f"hq-transition-{sequence}", sequence=sequence
    )


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "feed").mkdir()
    srv = FeedServer(tmp_path / "feed").start()
    yield srv
    srv.stop()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "counter" / "yaomu.sqlite3"
    path.parent.mkdir()
    store.open_db(path).close()
    return path


def source_of(kind: str, server: FeedServer) -> str:
    return server.url if kind == "http" else str(server.root)


# --- catching up, staying current -------------------------------------------------------------


def test_http_feed_catches_up_from_an_empty_database_then_a_poll_is_one_304(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict, real_db_path: Path
) -> None:
    feed.publish(sorted(BUNDLED.glob("*.zip")), server.root, hq)
    report = feed.sync(db, server.url, trust=counter_trust)
    assert [a.package_id for a in report.applied][:2] == ["nrdl-2024-revised", "nrdl-2025-official"]
    assert len(report.applied) == len(list(BUNDLED.glob("*.zip")))
    with closing(store.open_db(db, readonly=True)) as conn, closing(store.open_db(real_db_path, readonly=True)) as ref:
        # the same catalogue as a first start from the bundled packages
        assert catalogue(conn) == catalogue(ref)
        history = apply.history(conn)
    assert {h.feed_url for h in history} == {server.url}
    assert {h.package_url for h in history} == {
        server.url + e.url
        for e in feed.verify_index(
            (server.root / "feed.json").read_bytes(), (server.root / "feed.sig").read_bytes(), counter_trust
        ).packages
    }
    before = dump(db)
    server.log.clear()
    again = feed.sync(db, server.url, trust=counter_trust)
    assert [(s.path, s.status) for s in server.log] == [("/feed.json", 304)]
    assert again.unchanged and again.applied == [] and again.pending == [] and again.status == "current"
    assert again.requests == 1 and again.received == 0
    assert dump(db).split('INSERT INTO "feed_state"')[0] == before.split('INSERT INTO "feed_state"')[0]


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_a_new_edition_is_applied_and_supersedes_the_old_one(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    feed.publish([transition(tmp_path, hq, 1, drop=1)], server.root, hq)
    source = source_of(kind, server)
    first = feed.sync(db, source, trust=counter_trust)
    assert [a.package_id for a in first.applied] == ["hq-transition-1"]
    published = feed.publish([transition(tmp_path, hq, 2)], server.root, hq)
    assert published.sequence == 2 and published.superseded == ["hq-transition-1"]
    assert [e.package_id for e in published.listed] == ["hq-transition-2"]
    second = feed.sync(db, source, trust=counter_trust)
    assert not second.unchanged
    assert [a.package_id for a in second.applied] == ["hq-transition-2"]
    assert second.applied[0].diff.counts()["overlay_added"] == 1
    with closing(store.open_db(db, readonly=True)) as conn:
        latest = apply.history(conn)[0]
        assert (latest.package_id, latest.feed_url) == ("hq-transition-2", source)
        assert latest.package_url.endswith(published.listed[0].url.split("/")[-1])
    server.log.clear()
    again = feed.sync(db, source, trust=counter_trust)
    assert again.status == "current" and again.unchanged and again.requests == 1
    if kind == "http":
        assert [s.status for s in server.log] == [304]


def test_an_offline_counter_catches_up_through_every_revision_in_order(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    from desktop.catalogue import records as r

    base = p.verify_package(BUNDLED / "nrdl-2025-official.zip", counter_trust)
    edition = r.EditionData(base.manifest.edition, base.rows, dict(base.manifest.sections))
    rows1 = [replace(x, remark=(x.remark or "") + "（测试修订一）") if i < 3 else x for i, x in enumerate(base.rows)]
    rev1 = build.revision_package(
        base.rows,
        base.package_id,
        replace(edition, rows=rows1),
        tmp_path / "rev1.zip",
        hq,
        package_id="hq-2025-rev1",
        sequence=2,
    )
    rows2 = [replace(x, remark=(x.remark or "") + "（测试修订二）") if 3 <= i < 5 else x for i, x in enumerate(rows1)]
    rev2 = build.revision_package(
        rows1,
        "hq-2025-rev1",
        replace(edition, rows=rows2),
        tmp_path / "rev2.zip",
        hq,
        package_id="hq-2025-rev2",
        sequence=3,
    )
    feed.publish([BUNDLED / "nrdl-2025-official.zip"], server.root, hq)
    feed.publish([rev1], server.root, hq)
    index = feed.publish([rev2], server.root, hq)
    assert [e.package_id for e in index.listed] == ["nrdl-2025-official", "hq-2025-rev1", "hq-2025-rev2"]
    report = feed.sync(db, server.url, trust=counter_trust)  # offline all along: the whole chain, in order
    assert [a.package_id for a in report.applied] == ["nrdl-2025-official", "hq-2025-rev1", "hq-2025-rev2"]
    assert [a.diff.counts()["changed"] for a in report.applied[1:]] == [3, 2]


def test_a_host_without_etags_still_costs_one_request_when_unchanged(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    feed.sync(db, server.url, trust=counter_trust)
    with closing(store.open_db(db)) as conn:  # as if the host had sent no ETag / Last-Modified
        conn.execute("update feed_state set etag = null, last_modified = null")
        conn.conn.commit()
    server.log.clear()
    again = feed.sync(db, server.url, trust=counter_trust)
    assert [(s.path, s.status) for s in server.log] == [("/feed.json", 200)]
    assert again.unchanged and again.status == "current"


# --- resumable downloads ----------------------------------------------------------------------


def test_a_download_cut_in_the_middle_resumes_with_range(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    index = feed.publish([BUNDLED / "nrdl-2025-official.zip"], server.root, hq)
    entry = index.listed[0]
    half = entry.size // 2
    server.cut["/" + entry.url] = half
    report = feed.sync(db, server.url, trust=counter_trust)
    assert [a.package_id for a in report.applied] == ["nrdl-2025-official"]
    gets = server.requests("/" + entry.url)
    assert [s.status for s in gets] == [200, 206] and gets[0].sent == half
    kept = int(gets[1].headers["range"].removeprefix("bytes=").removesuffix("-"))  # what reached the disk
    assert "range" not in gets[0].headers and 0 < kept <= half and gets[1].sent == entry.size - kept
    assert list((db.parent / "feed-cache").iterdir()) == []  # applied: neither the part nor the file is left


def test_downloads_the_index_no_longer_lists_are_pruned(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    feed.check(db, server.url, trust=counter_trust, download=True)  # the window's check fetched it
    cache = db.parent / "feed-cache"
    assert len(list(cache.glob("*.zip"))) == 1
    feed.publish([transition(tmp_path, hq, 2)], server.root, hq)  # superseded before anyone applied it
    report = feed.sync(db, server.url, trust=counter_trust)
    assert [a.package_id for a in report.applied] == ["hq-transition-2"]
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_a_part_left_by_an_earlier_run_is_resumed_not_overwritten(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    index = feed.publish([BUNDLED / "nrdl-2025-official.zip"], server.root, hq)
    entry = index.listed[0]
    cache = db.parent / "feed-cache"
    cache.mkdir()
    data = (server.root / entry.url).read_bytes()
    (cache / f"{entry.sha256}.zip.part").write_bytes(data[:1000])
    transport = feed.make_transport(source_of(kind, server))
    path = feed.fetch_package(transport, entry, cache)
    transport.close()
    assert path.read_bytes() == data and transport.received == entry.size - 1000
    if kind == "http":
        assert server.requests("/" + entry.url)[0].headers["range"] == "bytes=1000-"


def test_a_broken_download_keeps_its_part_and_says_it_will_resume(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict, monkeypatch
) -> None:
    index = feed.publish([BUNDLED / "nrdl-2025-official.zip"], server.root, hq)
    entry = index.listed[0]
    monkeypatch.setattr(feed, "DOWNLOAD_ATTEMPTS", 1)
    server.cut["/" + entry.url] = 5000
    before = dump(db)
    with pytest.raises(feed.FeedNetworkError) as err:
        feed.sync(db, server.url, trust=counter_trust)
    assert "断点" in str(err.value) or "中断" in str(err.value)
    assert (db.parent / "feed-cache" / f"{entry.sha256}.zip.part").stat().st_size == 5000
    assert not (db.parent / "feed-cache" / f"{entry.sha256}.zip").exists()
    assert dump(db) == before
    report = feed.sync(db, server.url, trust=counter_trust)
    assert [a.package_id for a in report.applied] == ["nrdl-2025-official"]
    assert server.requests("/" + entry.url)[-1].headers["range"] == "bytes=5000-"


# --- refusals: each with its message, the database unchanged ----------------------------------


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_package_bytes_that_differ_from_the_index_are_refused(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    index = feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    served = server.root / index.listed[0].url
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed on the host
    served.write_bytes(bytes(data))
    before = dump(db)
    with pytest.raises(feed.FeedPackageRefused) as err:
        feed.sync(db, source_of(kind, server), trust=counter_trust)
    assert err.value.code == "package_hash"
    assert "hq-transition-1" in err.value.message and "SHA-256" in err.value.message
    assert dump(db) == before
    assert list((db.parent / "feed-cache").glob("*.zip")) == []  # never kept under its final name


def test_a_package_larger_than_listed_is_cut_off_and_refused(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    index = feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    served = server.root / index.listed[0].url
    served.write_bytes(served.read_bytes() + b"\0" * 4096)
    before = dump(db)
    with pytest.raises(feed.FeedPackageRefused) as err:
        feed.sync(db, server.url, trust=counter_trust)
    assert err.value.code == "package_size" and "字节" in err.value.message
    assert dump(db) == before


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_an_index_with_a_bad_signature_is_refused(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    index = server.root / "feed.json"
    index.write_bytes(index.read_bytes().replace("测试总部".encode(), "冒名总部".encode()))
    before = dump(db)
    with pytest.raises(feed.FeedIndexError) as err:
        feed.sync(db, source_of(kind, server), trust=counter_trust)
    assert err.value.code == "index_bad_signature" and "签名校验失败" in err.value.message
    assert dump(db) == before
    if kind == "http":  # fetched once more in case it met a publish half-way, then refused
        assert [s.path for s in server.log] == ["/feed.json", "/feed.sig", "/feed.json", "/feed.sig"]


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_an_index_signed_by_an_untrusted_key_or_unsigned_is_refused(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    stranger = keys.generate("陌生人")
    feed.publish([transition(tmp_path, hq, 1)], server.root, stranger, trust=counter_trust)
    before = dump(db)
    with pytest.raises(feed.FeedIndexError) as err:
        feed.sync(db, source_of(kind, server), trust=counter_trust)
    assert err.value.code == "index_unknown_key" and stranger.key_id in err.value.message
    (server.root / "feed.sig").unlink()
    with pytest.raises(feed.FeedIndexError) as err:
        feed.sync(db, source_of(kind, server), trust=counter_trust)
    assert err.value.code == "index_unsigned"
    assert dump(db) == before


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_an_older_index_is_refused(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    feed.publish([transition(tmp_path, hq, 1, drop=1)], server.root, hq)
    old = tmp_path / "old-index"
    old.mkdir()
    for name in ("feed.json", "feed.sig"):
        shutil.copy(server.root / name, old / name)
    feed.publish([transition(tmp_path, hq, 2)], server.root, hq)
    source = source_of(kind, server)
    feed.sync(db, source, trust=counter_trust)
    for name in ("feed.json", "feed.sig"):  # a stale cache or a replay serves the first index again
        shutil.copy(old / name, server.root / name)
    before = dump(db)
    with pytest.raises(feed.FeedIndexError) as err:
        feed.sync(db, source, trust=counter_trust)
    assert err.value.code == "index_older"
    assert "序号 1" in err.value.message and "序号 2" in err.value.message
    assert dump(db) == before
    # the same old index through another address of the same feed (a lagging mirror) is refused too
    mirror = tmp_path / "mirror"
    shutil.copytree(server.root, mirror)
    with pytest.raises(feed.FeedIndexError) as err:
        feed.sync(db, str(mirror), trust=counter_trust)
    assert err.value.code == "index_older"
    assert dump(db) == before


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_a_listed_package_that_is_refused_stops_the_sync_with_its_reason(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    other = keys.generate("另一发布方")  # head office trusts it; the counter does not
    foreign = transition(tmp_path, other, 1)
    feed.publish([foreign], server.root, hq, trust={other.key_id: other.public})
    before = dump(db)
    with pytest.raises(feed.FeedPackageRefused) as err:
        feed.sync(db, source_of(kind, server), trust=counter_trust)
    assert err.value.code == "unknown_key"
    assert "hq-transition-1" in err.value.message and "未知的密钥" in err.value.message
    assert err.value.report is not None and err.value.report.applied == []
    assert dump(db) == before


def test_the_sync_stops_at_the_first_refusal_keeping_what_was_applied_before(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    other = keys.generate("另一发布方")
    good = transition(tmp_path, hq, 1)
    d = build.read_overlay_def(ROOT / "resources" / "overlays" / "weihai-critical-illness-2023.json")
    refused = build.overlay_package(d.info, d.items, tmp_path / "x.zip", other, package_id="foreign-1", sequence=5)
    later = BUNDLED / "overlay-weihai-high-value-2023.zip"
    feed.publish([good, refused, later], server.root, hq, trust={**counter_trust, other.key_id: other.public})
    index = feed.verify_index(
        (server.root / "feed.json").read_bytes(), (server.root / "feed.sig").read_bytes(), counter_trust
    )
    assert [e.package_id for e in index.in_order()] == ["hq-transition-1", "foreign-1", "weihai-high-value-2023"]
    with pytest.raises(feed.FeedPackageRefused) as err:
        feed.sync(db, server.url, trust=counter_trust)
    assert err.value.code == "unknown_key" and "foreign-1" in err.value.message
    assert [a.package_id for a in err.value.report.applied] == ["hq-transition-1"]
    assert "此前已应用 1 个" in str(err.value)
    with closing(store.open_db(db, readonly=True)) as conn:
        assert [h.package_id for h in apply.history(conn)] == ["hq-transition-1"]  # nothing after the refusal
        assert feed.load_state(conn, server.url) is None  # a refused sync remembers no poll


def test_a_package_whose_manifest_disagrees_with_the_index_is_refused(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    index = feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    entry = replace(index.listed[0], sequence=7)
    cache = db.parent / "cache"
    transport = feed.make_transport(server.url)
    path = feed.fetch_package(transport, entry, cache)
    transport.close()
    with pytest.raises(feed.FeedPackageRefused) as err:
        feed._check_listed(entry, p.verify_package(path, counter_trust).manifest)
    assert err.value.code == "index_mismatch"


# --- the network ------------------------------------------------------------------------------


def test_a_dead_network_is_a_clear_message_not_a_hang(db: Path, counter_trust: dict) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    with pytest.raises(feed.FeedNetworkError) as err:
        feed.sync(db, f"http://127.0.0.1:{port}/feed/", trust=counter_trust)
    assert "无法连接目录源 127.0.0.1" in err.value.message and "网络" in str(err.value)


def test_a_server_that_never_answers_times_out(server: FeedServer, db: Path, counter_trust: dict) -> None:
    server.hang.add("/feed.json")
    before = dump(db)
    transport = feed.make_transport(server.url, timeout=0.5)
    with pytest.raises(feed.FeedNetworkError) as err:
        feed.sync(db, server.url, trust=counter_trust, transport=transport)
    transport.close()
    assert "超时" in err.value.message
    assert dump(db) == before


def test_a_missing_feed_says_so(server: FeedServer, db: Path, counter_trust: dict, tmp_path: Path) -> None:
    with pytest.raises(feed.FeedNetworkError) as err:
        feed.sync(db, server.url, trust=counter_trust)
    assert err.value.code == "http_404" and "404" in err.value.message
    with pytest.raises(feed.FeedNetworkError) as err:
        feed.sync(db, str(tmp_path / "nowhere"), trust=counter_trust)
    assert err.value.code == "not_found" and "feed.json" in err.value.message
    with pytest.raises(feed.FeedError) as err:
        feed.sync(db, "ftp://example.invalid/feed", trust=counter_trust)
    assert err.value.code == "source"


def test_an_https_feed_whose_certificate_is_not_trusted_is_refused(
    tmp_path: Path, db: Path, counter_trust: dict
) -> None:
    """A self-signed certificate (made here) is not in the system's store: a clear message, no connection."""
    import datetime as dt
    import http.server
    import ssl
    import threading

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(feed.FeedNetworkError) as err:
            feed.sync(db, f"https://127.0.0.1:{httpd.server_address[1]}/", trust=counter_trust)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "HTTPS 证书无法验证" in err.value.message


def test_the_system_proxy_setting_is_used(server: FeedServer, db: Path, counter_trust: dict, monkeypatch) -> None:
    """HTTP_PROXY from the environment: the request goes to the proxy (our server), with the absolute URL."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(feed.FeedNetworkError):
        feed.sync(db, "http://feeds.example.invalid/hq/", trust=counter_trust)
    assert server.log[0].path == "http://feeds.example.invalid/hq/feed.json"


# --- check only, and the window's check -------------------------------------------------------


@pytest.mark.parametrize("kind", ["http", "dir"])
def test_check_reports_what_is_new_and_changes_nothing(
    kind: str, tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    source = source_of(kind, server)
    before = dump(db)
    report = feed.check(db, source, trust=counter_trust)
    assert report.status == "pending" and [e.package_id for e in report.pending] == ["hq-transition-1"]
    assert dump(db) == before
    watched = feed.check(db, source, trust=counter_trust, record=True, download=True)
    assert watched.diffs["hq-transition-1"].counts()["overlay_added"] == 2
    with closing(store.open_db(db, readonly=True)) as conn:
        state = feed.load_state(conn, source)
        assert state is not None and state.sequence == 1 and apply.history(conn) == []
    assert "来自 " + source in feed.status_line(state)
    if kind == "http":  # the poll is remembered: the next check is a 304 that still reports the pending package
        server.log.clear()
        again = feed.check(db, source, trust=counter_trust, record=True)
        assert again.unchanged and [e.package_id for e in again.pending] == ["hq-transition-1"]
        assert [s.status for s in server.log] == [304]
    applied = feed.sync(db, source, trust=counter_trust)  # the package downloaded by the check is used
    assert [a.package_id for a in applied.applied] == ["hq-transition-1"]


def test_a_rolled_back_package_is_not_applied_again_by_the_next_poll(
    tmp_path: Path, server: FeedServer, db: Path, hq: keys.PrivateKey, counter_trust: dict
) -> None:
    feed.publish([transition(tmp_path, hq, 1)], server.root, hq)
    feed.sync(db, server.url, trust=counter_trust)
    apply.rollback(db)
    assert feed.sync(db, server.url, trust=counter_trust).status == "current"


# --- publishing -------------------------------------------------------------------------------


def test_publish_refuses_reused_ids_and_older_sequences_and_is_idempotent(tmp_path: Path, hq: keys.PrivateKey) -> None:
    out = tmp_path / "feed"
    feed.publish([transition(tmp_path, hq, 2)], out, hq)
    again = feed.publish([tmp_path / "transition-2.zip"], out, hq)
    assert again.added == [] and again.unchanged == ["hq-transition-2"] and again.sequence == 1
    with pytest.raises(feed.PublishError) as err:
        feed.publish([transition(tmp_path, hq, 1)], out, hq)
    assert err.value.code == "older"
    d = build.read_overlay_def(TRANSITION_DEF)
    changed = build.overlay_package(
        d.info, d.items[:1], tmp_path / "changed.zip", hq, package_id="hq-transition-2", sequence=3
    )
    index_before = (out / "feed.json").read_bytes()
    with pytest.raises(feed.PublishError) as err:
        feed.publish([changed], out, hq)
    assert err.value.code == "package_id_reused"
    assert (out / "feed.json").read_bytes() == index_before


def test_publish_refuses_an_unverifiable_package_and_a_foreign_index(tmp_path: Path, hq: keys.PrivateKey) -> None:
    out = tmp_path / "feed"
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(p.PackageError):
        feed.publish([bad], out, hq)
    assert not out.exists()
    feed.publish([transition(tmp_path, hq, 1)], out, hq)
    (out / "feed.json").write_bytes((out / "feed.json").read_bytes() + b" ")  # no longer what was signed
    with pytest.raises(feed.PublishError) as err:
        feed.publish([transition(tmp_path, hq, 2)], out, hq)
    assert err.value.code == "existing_index" and "无法校验" in err.value.message
    assert not list((out / "packages").glob("hq-transition-2-*"))


def test_index_entries_must_stay_inside_the_feed(hq: keys.PrivateKey, counter_trust: dict) -> None:
    import json

    doc = {
        "format": feed.FEED_FORMAT,
        "format_version": 1,
        "feed_id": "hq",
        "sequence": 1,
        "packages": [
            {
                "package_id": "x",
                "kind": "overlay",
                "target": "t",
                "sequence": 1,
                "sha256": "0" * 64,
                "size": 10,
                "url": "../../etc/passwd",
            }
        ],
    }
    body = json.dumps(doc).encode()
    with pytest.raises(feed.FeedIndexError) as err:
        feed.verify_index(body, feed.sign_index(body, hq), counter_trust)
    assert err.value.code == "index_url"
    for url in ("http://evil.example/x.zip", "/abs/x.zip", "packages/../x.zip"):
        doc["packages"][0]["url"] = url
        body = json.dumps(doc).encode()
        with pytest.raises(feed.FeedIndexError):
            feed.verify_index(body, feed.sign_index(body, hq), counter_trust)
    doc["packages"][0]["url"] = "packages/x.zip"
    doc["format_version"] = 2
    body = json.dumps(doc).encode()
    with pytest.raises(feed.FeedIndexError) as err:
        feed.verify_index(body, feed.sign_index(body, hq), counter_trust)
    assert err.value.code == "index_version" and "升级" in str(err.value)
