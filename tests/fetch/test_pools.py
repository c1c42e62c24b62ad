"""One connection pool per origin, against a real keep-alive HTTP server on loopback."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import pytest

from monitor.fetch.pools import OriginPools

BODY = b"x" * 200_000  # larger than one read: a held response is still mid-body


@pytest.fixture(scope="module")
def server():
    accepted = {"n": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            with lock:
                accepted["n"] += 1
            super().setup()

        def do_GET(self) -> None:  # noqa: N802
            body = BODY if self.path.startswith("/big") else b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(4)]  # four origins
    for httpd in servers:
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield [httpd.server_address[1] for httpd in servers], accepted
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _pools(max_idle: int) -> OriginPools:
    return OriginPools(lambda: httpcore.ConnectionPool(max_connections=4, max_keepalive_connections=2),
                       max_idle_pools=max_idle)


def _request(url: str) -> httpcore.Request:
    return httpcore.Request("GET", url, headers=[(b"Host", httpcore.URL(url).host)])


def _get(pools: OriginPools, url: str) -> bytes:
    response = pools.handle_request(_request(url))
    try:
        return b"".join(response.stream)
    finally:
        response.stream.close()


def test_requests_to_one_origin_reuse_its_connection(server):
    ports, accepted = server
    port = ports[0]
    with _pools(max_idle=4) as pools:
        before = accepted["n"]
        assert [_get(pools, f"http://127.0.0.1:{port}/a?{i}") for i in range(5)] == [b"ok"] * 5
        assert accepted["n"] - before == 1
        assert pools.open_connections() == 1


def test_idle_pools_beyond_the_limit_are_closed_oldest_first(server):
    ports, accepted = server
    with _pools(max_idle=2) as pools:
        for port in ports:
            assert _get(pools, f"http://127.0.0.1:{port}/a") == b"ok"
        # The fourth request found three idle pools and closed the oldest.
        assert pools.open_connections() == 3
        before = accepted["n"]
        _get(pools, f"http://127.0.0.1:{ports[3]}/a")  # the most recent origins are kept
        _get(pools, f"http://127.0.0.1:{ports[2]}/a")
        assert accepted["n"] == before
        _get(pools, f"http://127.0.0.1:{ports[0]}/a")  # the oldest was closed
        assert accepted["n"] == before + 1
        pools.close_idle()
        assert pools.open_connections() == 0


def test_a_pool_with_a_response_in_flight_is_never_closed(server):
    ports, _ = server
    with _pools(max_idle=0) as pools:
        held = pools.handle_request(_request(f"http://127.0.0.1:{ports[0]}/big"))
        chunks = iter(held.stream)
        first = next(chunks)
        for port in ports[1:]:  # each new origin trims every idle pool
            assert _get(pools, f"http://127.0.0.1:{port}/a") == b"ok"
        pools.close_idle()
        assert first + b"".join(chunks) == BODY  # the held response was not cut short
        held.stream.close()
        assert pools.open_connections() == 1  # its connection, now idle, kept
        pools.close_idle()
        assert pools.open_connections() == 0


def test_a_failed_request_releases_its_pool():
    with _pools(max_idle=0) as pools:
        with pytest.raises(httpcore.ConnectError):
            pools.handle_request(_request("http://127.0.0.1:9/"))  # discard port: refused
        pools.close_idle()
        assert pools.open_connections() == 0
        assert not pools._pools  # closed and dropped: nothing was left marked in use
