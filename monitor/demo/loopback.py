"""Small HTTP servers on loopback: a feed server and a webhook receiver.

They back `monitor demo` and the test suite, so both exercise the real path: real
HTTP, conditional GET, real Apprise posts.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Route:
    body: bytes
    content_type: str | None = "application/rss+xml; charset=utf-8"  # None: no header
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FeedServer:
    """Serves `routes` (path -> Route or a callable returning one) with ETag support."""

    def __init__(self, routes: dict[str, Route | Callable[[], Route]] | None = None):
        self.routes: dict[str, Route | Callable[[], Route]] = dict(routes or {})
        self.requests: list[tuple[str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test and demo output clean
                pass

            def do_GET(self) -> None:
                owner.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = owner.routes.get(self.path)
                if callable(route):
                    route = route()
                if route is None:
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                if route.status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                if route.content_type is not None:
                    self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.status == 200:
                    self.send_header("ETag", etag)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(route.body)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> "FeedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver:
    """Collects JSON posts (Apprise json://). `fail_next` makes it answer 503 N times.

    `fail_status` and `fail_headers` change that answer (429 with a Retry-After, say);
    `delay` holds every answer back that many seconds (a slow service); `down` drops
    every connection unanswered (a service that is away). `started` counts posts begun.
    """

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0
        self.fail_status = 503
        self.fail_headers: dict[str, str] = {}
        self.delay = 0.0
        self.down = False
        self.started = 0
        self.attempts = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                with owner._lock:
                    owner.started += 1
                if owner.down:
                    self.close_connection = True
                    return
                if owner.delay:
                    time.sleep(owner.delay)
                with owner._lock:
                    owner.attempts += 1
                    failing = owner.fail_next > 0
                    if failing:
                        owner.fail_next -= 1
                    else:
                        try:
                            owner.received.append(json.loads(data or b"{}"))
                        except ValueError:
                            owner.received.append({"raw": data.decode("utf-8", "replace")})
                self.send_response(owner.fail_status if failing else 200)
                if failing:
                    for name, value in owner.fail_headers.items():
                        self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def apprise_url(self, path: str = "/alerts") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
