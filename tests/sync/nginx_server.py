"""Start Debian's nginx on 127.0.0.1 serving a folder, as a static host would (ETag, 304, ranges).

Used by the integration test (tests/sync/test_feed_nginx.py) and by bench/feed.py. The access log
records status, request and response sizes and the Range header of every request, so callers
count requests and bytes on the wire from the server's side.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

LOG_FORMAT = '$status $request_length $bytes_sent $body_bytes_sent "$http_range" "$http_if_none_match" $uri'


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


@dataclass(frozen=True)
class Hit:
    status: int
    request_bytes: int
    sent_bytes: int  # headers + body
    body_bytes: int
    range: str
    if_none_match: str
    uri: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nginx:
    def __init__(self, root: Path, workdir: Path, *, workers: int = 2) -> None:
        binary = nginx_binary()
        if binary is None:
            raise FileNotFoundError("nginx")
        self.binary = binary
        self.root = Path(root).resolve()
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.access_log = self.workdir / "access.log"
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's private folders
        conf = f"""{user}worker_processes {workers};
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    types {{ application/json json; application/zip zip; }}
    default_type application/octet-stream;
    log_format feed '{LOG_FORMAT}';
    access_log {self.access_log} feed;
    client_body_temp_path {self.workdir}/body;
    proxy_temp_path {self.workdir}/proxy;
    fastcgi_temp_path {self.workdir}/fastcgi;
    uwsgi_temp_path {self.workdir}/uwsgi;
    scgi_temp_path {self.workdir}/scgi;
    sendfile on;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
        location / {{ etag on; }}
    }}
}}
"""
        self.conf = self.workdir / "nginx.conf"
        self.conf.write_text(conf, encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        self.proc = subprocess.Popen(
            [self.binary, "-p", str(self.workdir), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"nginx did not start: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not listen within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None

    def hits(self) -> list[Hit]:
        """Every request logged so far. nginx writes a line once the response is sent, so the client can
        be done before the line is there: wait until the log stops growing (0.2 s, at most 5 s)."""
        if not self.access_log.exists():
            return []
        deadline, size, stable_since = time.monotonic() + 5, -1, time.monotonic()
        while time.monotonic() < deadline:
            now = self.access_log.stat().st_size
            if now != size:
                size, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= 0.2:
                break
            time.sleep(0.02)
        out = []
        for line in self.access_log.read_text(encoding="utf-8").splitlines():
            m = _LINE.match(line)
            if m:
                status, req, sent, body, rng, inm, uri = m.groups()
                out.append(Hit(int(status), int(req), int(sent), int(body), rng, inm, uri))
        return out

    def clear_log(self) -> None:
        """Forget the requests so far (nginx appends to the same file)."""
        self.access_log.write_bytes(b"")


_LINE = re.compile(r'^(\d+) (\d+) (\d+) (\d+) "([^"]*)" "([^"]*)" (\S+)$')
