"""Integration: a counter against Debian's nginx on 127.0.0.1 serving a published feed.

nginx is installed by .ci/system-deps (make test / .ci/run); the test is skipped, saying so, only
where nginx is not installed at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.storage import catalogue as store
from desktop.sync import apply, feed, keys
from tests.sync.conftest import hq_signed
from tests.sync.nginx_server import Nginx, nginx_binary

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "resources" / "packages"

pytestmark = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (bash .ci/system-deps installs it: apt-get install nginx)"
)


@pytest.fixture
def nginx(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "www").mkdir()
    server = Nginx(tmp_path / "www", tmp_path / "nginx").start()
    yield server
    server.stop()


def test_a_counter_catches_up_through_nginx_then_polls_with_one_304(tmp_path: Path, nginx: Nginx) -> None:
    hq = keys.generate("测试总部")
    trust = {**keys.trust_store(), hq.key_id: hq.public}
    overlays = sorted(BUNDLED.glob("overlay-*.zip"))
    first = feed.publish(
        hq_signed(hq, tmp_path / "hq", [BUNDLED / "nrdl-2025-official.zip", *overlays[:3]]), nginx.root, hq
    )
    db = tmp_path / "counter" / "yaomu.sqlite3"
    # a part left by an earlier, interrupted run: resumed with Range, not downloaded again
    edition = next(e for e in first.listed if e.package_id == "nrdl-2025-official")
    cache = db.parent / "feed-cache"
    cache.mkdir(parents=True)
    (cache / f"{edition.sha256}.zip.part").write_bytes((nginx.root / edition.url).read_bytes()[:50_000])
    report = feed.sync(db, nginx.url, trust=trust)
    assert [a.package_id for a in report.applied] == [e.package_id for e in first.listed]
    hits = nginx.hits()
    resumed = [h for h in hits if h.uri == "/" + edition.url]
    assert [(h.status, h.range, h.body_bytes) for h in resumed] == [(206, "bytes=50000-", edition.size - 50_000)]
    assert [h.status for h in hits if h.uri == "/feed.json"] == [200]

    nginx.clear_log()
    before = dump(db)
    again = feed.sync(db, nginx.url, trust=trust)
    hits = nginx.hits()
    assert [(h.status, h.uri) for h in hits] == [(304, "/feed.json")]  # an unchanged feed: one request
    assert hits[0].body_bytes == 0 and hits[0].if_none_match not in ("", "-")
    assert again.status == "current" and again.applied == []
    assert catalogue_rows(db) == catalogue_rows_of(before)

    nginx.clear_log()
    second = feed.publish(hq_signed(hq, tmp_path / "hq", overlays[3:]), nginx.root, hq)  # one more publication
    report = feed.sync(db, nginx.url, trust=trust)
    assert [a.package_id for a in report.applied] == [e.package_id for e in second.added]
    assert [h.status for h in nginx.hits() if h.uri == "/feed.json"] == [200]
    with store.open_db(db, readonly=True) as conn:
        assert {h.feed_url for h in apply.history(conn)} == {nginx.url}
        assert all(h.package_url.startswith(nginx.url + "packages/") for h in apply.history(conn))


def test_nginx_serving_altered_bytes_or_an_altered_index_is_refused(tmp_path: Path, nginx: Nginx) -> None:
    hq = keys.generate("测试总部")
    trust = {**keys.trust_store(), hq.key_id: hq.public}
    published = feed.publish(
        hq_signed(hq, tmp_path / "hq", [BUNDLED / "overlay-national-transition-2024.zip"]), nginx.root, hq
    )
    db = tmp_path / "counter.sqlite3"
    store.open_db(db).close()
    served = nginx.root / published.listed[0].url
    data = bytearray(served.read_bytes())
    data[100] ^= 1
    served.write_bytes(bytes(data))
    before = dump(db)
    with pytest.raises(feed.FeedPackageRefused) as err:
        feed.sync(db, nginx.url, trust=trust)
    assert err.value.code == "package_hash"
    index = nginx.root / "feed.json"
    index.write_bytes(index.read_bytes().replace(b'"sequence": 1', b'"sequence": 2', 1))
    with pytest.raises(feed.FeedIndexError) as err:
        feed.sync(db, nginx.url, trust=trust)
    assert err.value.code == "index_bad_signature"
    assert dump(db) == before


def dump(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def catalogue_rows(path: Path) -> list[str]:
    return catalogue_rows_of(dump(path))


def catalogue_rows_of(text: str) -> list[str]:
    """The dump without the feed's own state (an unchanged poll refreshes only its time)."""
    return [line for line in text.splitlines() if not line.startswith('INSERT INTO "feed_state"')]
