"""Benchmark of catalogue feeds: 1,000 simulated stores polling one nginx on 127.0.0.1.

Each simulated store runs the counter's own feed code (``desktop.sync.feed``: conditional GET of
feed.json, signature check, older-index check, resumable download with size and SHA-256 check)
with its own remembered state, over its own TCP connection per poll (no keep-alive, as a store
polling every hour would). Applying to SQLite is left out (1,000 databases; bench/sync.py times an
apply). Requests and bytes are counted from nginx's access log, so they are what crossed the wire.

Phases:
  1. first contact: every store starts from nothing and fetches the whole feed;
  2. nothing changed: every store polls once (a 304 each);
  3. one edition published: a new full 2025 edition goes into the feed; the stores poll at random
     moments within a compressed poll interval; the time until all 1,000 have it verified is measured
     (and again with all stores polling at once, the worst burst).

Prints requests and bytes per store per poll for 2 and 3, latency median/p99 of an unchanged poll, and
the times. Bounded: about a minute on two cores. Needs nginx (bash .ci/system-deps installs it).

Run: .venv/bin/python bench/feed.py [--stores 1000] [--interval 20] [--workers 48]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from desktop.catalogue import records as r  # noqa: E402
from desktop.sync import build, feed, keys  # noqa: E402
from desktop.sync import package as p  # noqa: E402
from tests.sync.nginx_server import Nginx, nginx_binary  # noqa: E402

PACKAGES = ROOT / "resources" / "packages"


@dataclass
class Store:
    n: int
    cache: Path
    state: feed.FeedState | None = None
    have: set[str] = field(default_factory=set)
    got_at: float | None = None  # monotonic time the newest package was verified


_local = threading.local()


def client() -> httpx.Client:
    """One client per worker thread, no keep-alive: every poll opens its own connection."""
    c = getattr(_local, "client", None)
    if c is None:
        c = httpx.Client(
            timeout=httpx.Timeout(30.0, connect=10.0),
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
        )
        _local.client = c
    return c


def poll(store: Store, url: str, trust: dict) -> float:
    """One poll of one store with the counter's code; returns its latency in seconds."""
    started = time.perf_counter()
    t = feed.HttpTransport(url, client=client())
    index, fetched = feed.read_index(t, store.state, trust)
    for e in index.in_order():
        if e.package_id in store.have:
            continue
        path = feed.fetch_package(t, e, store.cache)  # size + SHA-256 against the signed index
        path.unlink()  # a real counter applies it now; here only the download is measured
        store.have.add(e.package_id)
        store.got_at = time.monotonic()
    store.state = feed._new_state(url, index, fetched, "")
    return time.perf_counter() - started


def per_store(hits: list, stores: int) -> tuple[float, float, float]:
    """Requests, response bytes (headers + body) and request bytes per store."""
    return (
        len(hits) / stores,
        sum(h.sent_bytes for h in hits) / stores,
        sum(h.request_bytes for h in hits) / stores,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stores", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=20.0, help="compressed poll interval of phase 3 (seconds)")
    ap.add_argument("--workers", type=int, default=48, help="concurrent polls (threads)")
    args = ap.parse_args()
    if nginx_binary() is None:
        sys.exit("nginx is not installed: run `bash .ci/system-deps` (apt-get install nginx)")
    work = Path(tempfile.mkdtemp(prefix="yaomu-bench-feed-"))
    hq = keys.generate("基准测试总部")
    trust = {**keys.trust_store(), hq.key_id: hq.public}
    www = work / "www"
    # the bundled files carry no signature (pinned by hash at first start): head office signs what it sends
    signed = [build.sign_package(f, hq, work / f.name) for f in sorted(PACKAGES.glob("*.zip"))]
    first = feed.publish(signed, www, hq)
    server = Nginx(www, work / "nginx").start()
    stores = [Store(i, work / "stores" / str(i)) for i in range(args.stores)]
    pool = ThreadPoolExecutor(args.workers)
    try:
        index_bytes = (www / "feed.json").stat().st_size
        print(
            f"feed: {len(first.listed)} packages listed, feed.json {index_bytes} bytes, "
            f"{args.stores} stores, {args.workers} concurrent polls, nginx {server.url}"
        )

        # 1. first contact
        t0 = time.perf_counter()
        list(pool.map(lambda s: poll(s, server.url, trust), stores))
        req, sent, asked = per_store(server.hits(), args.stores)
        print(
            f"1. first contact (whole feed): {req:.2f} requests, {sent / 1024:.1f} KiB down per store; "
            f"all {args.stores} stores in {time.perf_counter() - t0:.1f} s"
        )

        # 2. nothing changed
        server.clear_log()
        t0 = time.perf_counter()
        latencies = list(pool.map(lambda s: poll(s, server.url, trust), stores))
        wall = time.perf_counter() - t0
        hits = server.hits()
        req, sent, asked = per_store(hits, args.stores)
        statuses = sorted({h.status for h in hits})
        q = statistics.quantiles(latencies, n=100)
        print(
            f"2. nothing changed: {req:.2f} requests per store per poll (status {statuses}), "
            f"{sent:.0f} bytes down + {asked:.0f} bytes up per store per poll; "
            f"poll latency median {statistics.median(latencies) * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms; "
            f"{args.stores} polls in {wall:.2f} s"
        )

        # 3. one edition published
        base = p.verify_package(work / "nrdl-2025-official.zip", trust)
        data = r.EditionData(base.manifest.edition, base.rows, dict(base.manifest.sections))
        new = build.edition_package(data, work / "e.zip", hq, package_id="bench-nrdl-2025-seq2", sequence=2)
        for phase, spread in (("random moments within the interval", args.interval), ("all at once", 0.0)):
            if spread == 0.0:  # publish again for the burst: the next sequence of the same edition
                new = build.edition_package(data, work / "e3.zip", hq, package_id="bench-nrdl-2025-seq3", sequence=3)
            server.clear_log()
            for s in stores:
                s.got_at = None
            published = time.monotonic()
            listed = feed.publish([new], www, hq)
            size = listed.added[0].size
            offsets = sorted((random.uniform(0, spread), s) for s in stores) if spread else [(0.0, s) for s in stores]

            def run(item: tuple[float, Store], published: float = published) -> float:
                delay, s = item
                wait = published + delay - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                return poll(s, server.url, trust)

            list(pool.map(run, offsets))
            done = max(s.got_at or float("inf") for s in stores) - published
            hits = server.hits()
            req, sent, asked = per_store(hits, args.stores)
            print(
                f"3. one edition published ({size / 1024:.0f} KiB package), stores polling {phase}"
                f"{f' ({spread:.0f} s)' if spread else ''}: {req:.2f} requests, {sent / 1024:.1f} KiB down, "
                f"{asked:.0f} bytes up per store; all {args.stores} stores had it verified "
                f"{done:.1f} s after publishing"
            )
        print(
            "   with a real poll interval of P minutes, a store has an edition at most P minutes + its download "
            "after publication (phase 3 shows the download and server share of that)."
        )
    finally:
        pool.shutdown()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
