"""Fetching against real, hostile HTTP servers on loopback."""
from __future__ import annotations

import gzip
import logging
import os
import threading
import time
import tracemalloc
import zlib
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest

from monitor.fetch.fetcher import Fetcher, FetchRequest, FetchSettings, parse_retry_after
from monitor.parse.parser import ParseError, parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>http://example.org/</link>
<item><guid>a1</guid><title>One</title><link>http://example.org/1</link></item>
</channel></rss>"""

Route = Callable[[BaseHTTPRequestHandler], None]


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
    handler.send_response(status)
    headers = dict(headers or {})
    headers.setdefault("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if body:
        handler.wfile.write(body)


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 whose paths are plain functions."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0  # TCP connections accepted
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def setup(self) -> None:
                with server.lock:
                    server.connections += 1
                super().setup()

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                with server.lock:
                    server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                try:
                    route = server.routes.get(path)
                    if route is None:
                        send(self, 404, b"not found")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # clients that hang up on a hostile route are expected here

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def headers_of_last(self, path: str) -> dict[str, str]:
        return [h for p, h in self.requests if p.split("?")[0] == path][-1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def fetcher():
    f = Fetcher(FetchSettings(timeout=2, connect_timeout=1, max_bytes=1024 * 1024, allow_private_networks=True))
    yield f
    f.close()


def test_plain_feed(server, fetcher):
    server.routes["/feed"] = lambda h: send(h, 200, RSS, {"Content-Type": "application/rss+xml", "X-Extra": "1"})
    r = fetcher.fetch(server.url("/feed"))
    assert r.error is None
    assert r.status == 200 and r.content == RSS
    assert r.headers["content-type"] == "application/rss+xml" and r.headers["x-extra"] == "1"
    assert r.final_url == server.url("/feed")
    ua = server.headers_of_last("/feed")["user-agent"]
    assert ua.startswith("feed-monitor/")


def test_etag_round_trip(server, fetcher):
    etag = 'W/"abc, def"'  # a weak, comma-holding validator must come back verbatim

    def route(h):
        if h.headers.get("If-None-Match") == etag:
            send(h, 304, headers={"ETag": etag})
        else:
            send(h, 200, RSS, {"ETag": etag})

    server.routes["/etag"] = route
    first = fetcher.fetch(server.url("/etag"))
    assert first.status == 200 and first.etag == etag
    second = fetcher.fetch(server.url("/etag"), etag=first.etag)
    assert second.not_modified and second.content is None and second.error is None
    assert second.etag == etag
    assert server.headers_of_last("/etag")["if-none-match"] == etag


def test_last_modified_round_trip(server, fetcher):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def route(h):
        if h.headers.get("If-Modified-Since") == stamp:
            send(h, 304)  # no validators repeated: the ones sent stay valid
        else:
            send(h, 200, RSS, {"Last-Modified": stamp})

    server.routes["/lm"] = route
    first = fetcher.fetch(server.url("/lm"))
    assert first.last_modified == stamp
    second = fetcher.fetch(server.url("/lm"), last_modified=stamp)
    assert second.not_modified and second.last_modified == stamp


def test_non_ascii_validators_echoed_byte_for_byte(server, fetcher):
    def route(h):
        if h.headers.get("If-None-Match") == '"caf\xe9"' and h.headers.get("If-Modified-Since") == "\xe9t\xe9":
            send(h, 304)
        else:
            send(h, 200, RSS, {"ETag": '"caf\xe9"', "Last-Modified": "\xe9t\xe9"})  # sent as latin-1 bytes

    server.routes["/latin"] = route
    first = fetcher.fetch(server.url("/latin"))
    second = fetcher.fetch(server.url("/latin"), etag=first.etag, last_modified=first.last_modified)
    assert second.error is None and second.not_modified


def test_stored_validator_with_line_break_does_not_break_the_feed(server, fetcher):
    server.routes["/feed"] = lambda h: send(h, 200, RSS)
    r = fetcher.fetch(server.url("/feed"), etag='"a"\r\nX-Injected: 1')
    assert r.error is None and r.status == 200
    headers = server.headers_of_last("/feed")
    assert "x-injected" not in headers and headers["if-none-match"] == '"a"X-Injected: 1'


def _trickle_body(h):
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    for _ in range(1000):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.25)


def _trickle_headers(h):
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for i in range(1000):
        h.wfile.write(b"X")
        h.wfile.flush()
        time.sleep(0.25)


def _silent(h):
    time.sleep(10)


@pytest.mark.parametrize("route", [_trickle_body, _trickle_headers, _silent])
def test_trickling_server_hits_total_deadline(server, fetcher, route):
    server.routes["/slow"] = route
    started = time.monotonic()
    r = fetcher.fetch(server.url("/slow"))
    elapsed = time.monotonic() - started
    assert r.error == "timed out after 2s"
    assert r.content is None
    assert 1.9 <= elapsed < 4.0  # without the total deadline: minutes


def test_gzip_bomb_is_capped_on_decoded_bytes(server, fetcher):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 1024 * 1024  # small on the wire
    server.routes["/bomb"] = lambda h: send(h, 200, bomb, {"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        r = fetcher.fetch(server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.error == "response larger than 1 MiB"
    assert r.content is None
    assert peak < 8 * 1024 * 1024


def test_declared_length_over_cap_refused_early(server, fetcher):
    body = b"x" * (1024 * 1024 + 1)
    server.routes["/big"] = lambda h: send(h, 200, body)
    assert fetcher.fetch(server.url("/big")).error == "response larger than 1 MiB"


@pytest.mark.parametrize(
    "encoding,encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("gzip", lambda b: b),  # labelled gzip but not compressed
        ("gzip", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),  # two members
    ],
)
def test_content_encodings_decoded(server, fetcher, encoding, encode):
    server.routes["/enc"] = lambda h: send(h, 200, encode(RSS), {"Content-Encoding": encoding})
    r = fetcher.fetch(server.url("/enc"))
    assert r.error is None and r.content == RSS
    assert "gzip" in server.headers_of_last("/enc")["accept-encoding"]


@pytest.mark.parametrize(
    "headers,encode",
    [
        ({}, gzip.compress),  # a .gz file served as the feed, no Content-Encoding
        ({"Content-Encoding": "deflate"}, gzip.compress),  # gzip under the wrong label
        ({"Content-Encoding": "br"}, lambda b: b),  # a coding we do not read, on plain bytes
        ({"Content-Encoding": "gzip, gzip"}, lambda b: b"\n  " + b),  # an odd chain, plain bytes
        ({"Content-Encoding": "gzip"}, zlib.compress),  # zlib bytes labelled gzip
        ({"Content-Encoding": "deflate"}, lambda b: b"\n" + b),  # deflate label on plain bytes
        ({"Content-Encoding": "gzip"}, lambda b: gzip.compress(gzip.compress(b))),  # a .gz file, gzipped again
    ],
    ids=["gzip-unlabelled", "gzip-labelled-deflate", "br-on-plain", "chain-on-plain", "zlib-labelled-gzip",
         "deflate-on-plain", "gzip-twice"],
)
def test_content_encoding_that_does_not_match_the_bytes_is_still_read(server, fetcher, headers, encode):
    server.routes["/enc"] = lambda h: send(h, 200, encode(RSS), {"Content-Type": "application/rss+xml", **headers})
    r = fetcher.fetch(server.url("/enc"))
    assert r.error is None and r.content.strip() == RSS
    assert [e.title for e in parse_feed(r.content, r.headers, r.final_url).entries] == ["One"]


def test_unlabelled_gzip_is_capped_like_labelled_gzip(server):
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024), compresslevel=9)
    server.routes["/bomb"] = lambda h: send(h, 200, bomb, {"Content-Type": "application/rss+xml"})
    with Fetcher(FetchSettings(allow_private_networks=True, max_bytes=1024 * 1024)) as small:
        r = small.fetch(server.url("/bomb"))
    assert r.content is None and "larger than" in r.error


def test_a_coding_we_do_not_read_on_compressed_bytes_is_a_clear_error(server, fetcher):
    server.routes["/br"] = lambda h: send(h, 200, b"\x8b\x7f\x80" + bytes(range(200)), {"Content-Encoding": "br"})
    r = fetcher.fetch(server.url("/br"))
    assert r.content is None and r.error == "unsupported Content-Encoding 'br'"


def test_corrupt_gzip_is_an_error_not_a_crash(server, fetcher):
    server.routes["/badgz"] = lambda h: send(h, 200, b"\x1f\x8b\x08" + b"garbage" * 20, {"Content-Encoding": "gzip"})
    r = fetcher.fetch(server.url("/badgz"))
    assert r.error == "invalid compressed body"


def test_redirect_loop(server, fetcher):
    server.routes["/loop-a"] = lambda h: send(h, 302, headers={"Location": "/loop-b"})
    server.routes["/loop-b"] = lambda h: send(h, 302, headers={"Location": "/loop-a"})
    assert fetcher.fetch(server.url("/loop-a")).error == "redirect loop"


def _chain(server, n):
    for i in range(n):
        server.routes[f"/hop{i}"] = (lambda j: lambda h: send(h, 302, headers={"Location": f"/hop{j + 1}"}))(i)
    server.routes[f"/hop{n}"] = lambda h: send(h, 200, RSS)


def test_redirect_limit(server, fetcher):
    _chain(server, 5)
    ok = fetcher.fetch(server.url("/hop0"))
    assert ok.error is None and ok.final_url == server.url("/hop5")
    _chain(server, 6)
    assert fetcher.fetch(server.url("/hop0")).error == "too many redirects (more than 5)"


def test_permanent_redirect_reported(server, fetcher):
    server.routes["/old"] = lambda h: send(h, 301, headers={"Location": "/new"})
    server.routes["/new"] = lambda h: send(h, 200, RSS)
    r = fetcher.fetch(server.url("/old"))
    assert r.error is None and r.permanent_url == server.url("/new") == r.final_url


def test_temporary_hop_stops_permanent_chain(server, fetcher):
    server.routes["/p1"] = lambda h: send(h, 308, headers={"Location": "/p2"})
    server.routes["/p2"] = lambda h: send(h, 302, headers={"Location": "/p3"})
    server.routes["/p3"] = lambda h: send(h, 301, headers={"Location": "/new"})
    r = fetcher.fetch(server.url("/p1"))
    assert r.permanent_url == server.url("/p2")
    server.routes["/t1"] = lambda h: send(h, 302, headers={"Location": "/new"})
    assert fetcher.fetch(server.url("/t1")).permanent_url is None


def test_permanent_redirect_to_broken_target_not_reported(server, fetcher):
    server.routes["/moved-away"] = lambda h: send(h, 301, headers={"Location": "/nowhere"})
    r = fetcher.fetch(server.url("/moved-away"))
    assert r.error == "HTTP 404 Not Found" and r.permanent_url is None


def test_429_with_retry_after_seconds(server, fetcher):
    server.routes["/busy"] = lambda h: send(h, 429, b"slow down", {"Retry-After": "120"})
    r = fetcher.fetch(server.url("/busy"))
    assert r.status == 429 and r.retry_after == 120
    assert r.error == "HTTP 429 Too Many Requests (retry after 120s)"
    assert r.content is None


def test_503_with_retry_after_date(server, fetcher):
    when = datetime.now(timezone.utc) + timedelta(hours=1)
    server.routes["/down"] = lambda h: send(h, 503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    r = fetcher.fetch(server.url("/down"))
    assert r.error.startswith("HTTP 503 Service Unavailable")
    assert 3500 < r.retry_after <= 3600


def test_retry_after_parsing():
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Mon, 01 Jan 2024 00:10:00 GMT", now) == 600
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_500(server, fetcher):
    server.routes["/err"] = lambda h: send(h, 500, b"oops")
    r = fetcher.fetch(server.url("/err"))
    assert r.error == "HTTP 500 Internal Server Error" and r.status == 500 and not r.gone


def test_410_gone(server, fetcher):
    server.routes["/gone"] = lambda h: send(h, 410)
    r = fetcher.fetch(server.url("/gone"))
    assert r.gone and r.error == "HTTP 410 Gone"


def test_302_without_location(server, fetcher):
    server.routes["/noloc"] = lambda h: send(h, 302)
    assert fetcher.fetch(server.url("/noloc")).error == "HTTP 302 Found without Location"


def test_redirect_to_metadata_address_blocked(server, fetcher):
    server.routes["/ssrf"] = lambda h: send(h, 302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    r = fetcher.fetch(server.url("/ssrf"))
    assert r.error == "blocked address 169.254.169.254 (link-local)"


def test_redirect_to_file_blocked(server, fetcher):
    server.routes["/file"] = lambda h: send(h, 302, headers={"Location": "file:///etc/passwd"})
    r = fetcher.fetch(server.url("/file"))
    assert r.error == "blocked URL scheme 'file': only http and https"
    assert r.content is None


def test_loopback_refused_unless_allowed(server):
    with Fetcher(FetchSettings(timeout=2)) as strict:
        server.routes["/feed"] = lambda h: send(h, 200, RSS)
        r = strict.fetch(server.url("/feed"))
        assert r.error == "blocked address 127.0.0.1 (loopback)"
        # A host *name* is checked on the address it resolves to.
        r = strict.fetch(f"http://localhost:{server.port}/feed")
        assert r.error is not None and r.error.startswith("blocked address")


def test_connection_refused(fetcher):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    assert r.error == "connection refused" and r.status == 0


@pytest.mark.parametrize("path", ["/err", "/loop-a", "/slow", "/ssrf", "/bomb"])
def test_credentials_and_query_never_in_error(server, fetcher, path):
    server.routes.setdefault("/err", lambda h: send(h, 500))
    server.routes["/slow"] = _silent
    url = f"http://alice:hunter2secret@127.0.0.1:{server.port}{path}?api_key=tok3nvalue"
    r = fetcher.fetch(url)
    assert r.error
    for secret in ("alice", "hunter2secret", "tok3nvalue", "api_key", "127.0.0.1:"):
        assert secret not in r.error


def test_credentials_never_in_error_on_refused_or_unresolvable(fetcher):
    for url in (
        "http://bob:pa55word@127.0.0.1:1/x?token=s3cr3t",
        "http://bob:pa55word@no-such-host.invalid/x?token=s3cr3t",
        "http://bob:pa55word@[::1/x?token=s3cr3t",
    ):
        r = fetcher.fetch(url)
        assert r.error and "pa55word" not in r.error and "s3cr3t" not in r.error and "bob" not in r.error


def test_html_login_page_is_not_a_feed(server, fetcher):
    page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>...</form></body></html>"
    server.routes["/login"] = lambda h: send(h, 200, page, {"Content-Type": "text/html; charset=utf-8"})
    r = fetcher.fetch(server.url("/login"))
    assert r.error is None
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(r.content, r.headers, r.final_url)


def test_empty_200_is_not_a_feed(server, fetcher):
    server.routes["/empty"] = lambda h: send(h, 200, b"", {"Content-Type": "application/rss+xml"})
    r = fetcher.fetch(server.url("/empty"))
    assert r.error is None and r.content == b""
    with pytest.raises(ParseError, match="empty"):
        parse_feed(r.content, r.headers, r.final_url)


def test_wrong_charset_is_a_warning_not_an_error(server, fetcher):
    body = RSS.replace(b"One", "Türkiye’nin S-400".encode("utf-8"))
    server.routes["/charset"] = lambda h: send(h, 200, body, {"Content-Type": "application/rss+xml; charset=us-ascii"})
    r = fetcher.fetch(server.url("/charset"))
    feed = parse_feed(r.content, r.headers, r.final_url)
    assert len(feed.entries) == 1
    assert feed.warning


def test_fetch_many_limits_per_host_concurrency(server):
    lock = threading.Lock()
    counts = {"now": 0, "max": 0}

    def slow(h):
        with lock:
            counts["now"] += 1
            counts["max"] = max(counts["max"], counts["now"])
        time.sleep(0.1)
        with lock:
            counts["now"] -= 1
        send(h, 200, RSS)

    server.routes["/slow-ok"] = slow
    seen: list[int] = []
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True, per_host_concurrency=2, max_workers=8)) as f:
        requests = [FetchRequest(server.url(f"/slow-ok?n={i}"), key=i) for i in range(10)]
        results = f.fetch_many(requests, lambda req, res: seen.append(req.key))
    assert [r.url for r in results] == [q.url for q in requests]
    assert all(r.error is None for r in results)
    assert sorted(seen) == list(range(10))
    assert counts["max"] == 2


def test_fetch_many_over_a_farm_of_hosts_then_all_304():
    """Many feeds on many loopback hosts at once: all fetched, then all answered 304."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from feed_farm import FeedFarm

    with FeedFarm(feeds=200, items=5, hosts=10) as farm, Fetcher(
        FetchSettings(timeout=10, allow_private_networks=True)
    ) as f:
        cold = f.fetch_many([FetchRequest(u) for u in farm.urls()])
        assert [r.error for r in cold] == [None] * 200
        assert all(len(parse_feed(r.content, r.headers, r.final_url).entries) == 5 for r in cold)
        assert cold[0].headers.get("content-encoding") == "gzip"
        warm = f.fetch_many([FetchRequest(r.url, r.etag, r.last_modified) for r in cold])
        assert all(r.not_modified and r.content is None for r in warm)
        assert farm.not_modified == 200


def test_cookies_are_not_carried_between_fetches(server, fetcher):
    server.routes["/cookie"] = lambda h: send(h, 200, RSS, {"Set-Cookie": "session=abc; Path=/"})
    fetcher.fetch(server.url("/cookie"))
    fetcher.fetch(server.url("/cookie"))
    assert "cookie" not in server.headers_of_last("/cookie")


def test_a_json_feed_under_a_deflate_label_is_read_as_sent(server, fetcher):
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "content_text": "x"}]}'
    server.routes["/j"] = lambda h: send(h, 200, body, {"Content-Encoding": "deflate", "Content-Type": "application/feed+json"})
    r = fetcher.fetch(server.url("/j"))
    assert r.error is None and r.content == body
    assert [e.guid for e in parse_feed(r.content, r.headers, r.final_url).entries] == ["1"]


def test_conditional_gets_to_one_host_share_one_connection(server):
    """A 304 is read to its (empty) end, so its connection is kept alive: the next
    conditional GET to the host costs no new TCP (or TLS) handshake."""
    server.routes["/kept"] = lambda h: send(h, 304, headers={"ETag": '"k1"'}) if h.headers.get(
        "If-None-Match") == '"k1"' else send(h, 200, RSS, {"ETag": '"k1"'})
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True)) as f:
        before = server.connections
        first = f.fetch(server.url("/kept"))
        results = [f.fetch(server.url("/kept"), first.etag) for _ in range(5)]
        assert first.status == 200 and [r.status for r in results] == [304] * 5
        assert all(r.error is None and r.etag == '"k1"' for r in results)
        assert server.connections - before == 1


def test_a_304_that_sends_a_body_anyway_does_not_garble_the_next_fetch(server):
    def rude_304(h):
        h.send_response(304)
        h.send_header("ETag", '"r1"')
        h.send_header("Content-Length", "20")
        h.end_headers()
        h.wfile.write(b"HTTP/1.1 200 OK\r\n\r\n")  # looks like the start of a response

    server.routes["/rude"] = rude_304
    server.routes["/after-rude"] = lambda h: send(h, 200, RSS)
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True)) as f:
        assert f.fetch(server.url("/rude"), '"r1"').status == 304
        time.sleep(0.05)  # the stray bytes have arrived before the next request
        after = f.fetch(server.url("/after-rude"))
        assert after.error is None and after.status == 200 and after.content == RSS


def test_fetch_many_holds_no_connection_open_after_it_returns(server):
    server.routes["/held"] = lambda h: send(h, 200, RSS)
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True)) as f:
        results = f.fetch_many([FetchRequest(server.url(f"/held?n={i}")) for i in range(6)])
        assert [r.status for r in results] == [200] * 6
        assert f._pools.open_connections() == 0


@pytest.mark.parametrize("hang_up", ["close", "reset"])
def test_a_kept_alive_connection_the_server_drops_is_retried_on_a_new_one(server, hang_up, caplog):
    """A server that hangs up on the second request of each connection without answering
    (its keep-alive ended), with a FIN or a reset: every fetch still succeeds, on a new
    connection."""
    import socket
    import struct

    def one_per_connection(h):
        h.served = getattr(h, "served", 0) + 1  # the handler lives as long as its connection
        if h.served > 1:
            if hang_up == "reset":
                # linger 0 and no shutdown first: the client sees a reset, not an EOF
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                os.close(h.connection.detach())
            h.close_connection = True  # no response
            return
        send(h, 200, RSS)

    path = f"/one-per-connection-{hang_up}"
    server.routes[path] = one_per_connection
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True)) as f, \
            caplog.at_level(logging.DEBUG, logger="monitor.fetch.fetcher"):
        results = [f.fetch(server.url(path) + "?token=s3cret") for _ in range(4)]
    retried = [r.getMessage() for r in caplog.records if "sent again" in r.getMessage()]
    assert len(retried) == 3  # each fetch after the first found its connection dropped
    assert "/one-per-connection" in retried[0] and "s3cret" not in " ".join(retried)
    assert [(r.status, r.error) for r in results] == [(200, None)] * 4
    assert all(r.content == RSS for r in results)


def test_a_new_connection_that_fails_the_request_is_not_retried(server):
    def hang_up(h):
        h.close_connection = True

    server.routes["/hang-up"] = hang_up
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True)) as f:
        before = len([p for p, _ in server.requests if p == "/hang-up"])
        result = f.fetch(server.url("/hang-up"))
    assert result.error == "protocol error: Server disconnected without sending a response."
    assert len([p for p, _ in server.requests if p == "/hang-up"]) - before == 1


def test_stray_bytes_after_a_304_do_not_fail_the_next_fetch(server):
    def sloppy_304(h):
        # No length, yet a body: the bytes stay behind on the kept-alive connection.
        h.wfile.write(b"HTTP/1.1 304 Not Modified\r\nETag: \"s1\"\r\n\r\n<rss>stray body</rss>")

    server.routes["/sloppy-304"] = sloppy_304
    server.routes["/after-sloppy"] = lambda h: send(h, 200, RSS)
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True)) as f:
        assert f.fetch(server.url("/sloppy-304"), '"s1"').status == 304
        after = f.fetch(server.url("/after-sloppy"))
    assert (after.status, after.error, after.content) == (200, None, RSS)


def test_credentials_in_the_feed_url_are_sent_as_basic_auth(server):
    import base64

    def private(h):
        expected = "Basic " + base64.b64encode(b"reader:s3cret").decode()
        send(h, 200, RSS) if h.headers.get("Authorization") == expected else send(h, 401, b"no")

    server.routes["/private"] = private
    with Fetcher(FetchSettings(timeout=5, allow_private_networks=True)) as f:
        ok = f.fetch(server.url("/private").replace("http://", "http://reader:s3cret@"))
        refused = f.fetch(server.url("/private"))
    assert (ok.status, ok.error) == (200, None)
    assert refused.error == "HTTP 401 Unauthorized"


def test_a_closed_fetcher_fetches_nothing(server):
    server.routes["/after-close"] = lambda h: send(h, 200, RSS)
    f = Fetcher(FetchSettings(timeout=5, allow_private_networks=True))
    assert f.fetch(server.url("/after-close")).status == 200
    f.close()
    late = f.fetch(server.url("/after-close"))
    assert late.error and late.content is None
    assert f._pools.open_connections() == 0
