"""A real HTTP server on 127.0.0.1 for the feed tests: Python's http.server serving a published feed.

``SimpleHTTPRequestHandler`` knows neither ETags nor ranges, so this handler adds what a static
host (nginx, a CDN, object storage) does: a strong ETag from the file's bytes, 304 on a matching
``If-None-Match``, and ``Range: bytes=N-`` answered with 206. Tests can make it cut a response in
the middle (``cut``) and read every request it saw (``log``).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Seen:
    path: str
    status: int
    headers: dict[str, str]
    sent: int  # body bytes


@dataclass
class FeedServer:
    root: Path
    log: list[Seen] = field(default_factory=list)
    #: path -> number of body bytes after which the next answer for it is cut (once)
    cut: dict[str, int] = field(default_factory=dict)
    #: paths that never answer (the connection stays open without a byte)
    hang: set[str] = field(default_factory=set)
    url: str = ""

    def start(self) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?", 1)[0]
                headers = {k.lower(): v for k, v in self.headers.items()}
                if path in server.hang:
                    threading.Event().wait(30)
                    return
                file = (server.root / path.lstrip("/")).resolve()
                if server.root.resolve() not in file.parents or not file.is_file():
                    self._send(404, b"not found", path, headers)
                    return
                data = file.read_bytes()
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                if headers.get("if-none-match") == etag:
                    server.log.append(Seen(path, 304, headers, 0))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                m = re.fullmatch(r"bytes=(\d+)-", headers.get("range", ""))
                start = int(m.group(1)) if m else 0
                if m and start >= len(data):
                    self._send(416, b"", path, headers)
                    return
                body = data[start:]
                status = 206 if m else 200
                limit = server.cut.pop(path, None)
                # logged before anything goes out: the client may act on it before this thread runs again
                server.log.append(Seen(path, status, headers, len(body) if limit is None else limit))
                self.send_response(status)
                self.send_header("ETag", etag)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(body)))
                if m:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if limit is not None:
                    self.wfile.write(body[:limit])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

            def _send(self, status: int, body: bytes, path: str, headers: dict[str, str]) -> None:
                server.log.append(Seen(path, status, headers, len(body)))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests(self, path: str | None = None) -> list[Seen]:
        return [s for s in self.log if path is None or s.path == path]
