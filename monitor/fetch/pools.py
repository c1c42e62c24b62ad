"""Keep-alive connections, one small httpcore pool per origin.

A poll sends one request after another to each host (the fetcher's lanes work through a
host's queue), so keeping the connection open saves a TCP, and often a TLS, handshake per
feed. httpcore's single `ConnectionPool` does that, but it looks at every connection it
holds, several times over, for each request it places (`_assign_requests_to_connections`),
and with the 20-odd kept connections of a poll over 20 hosts that bookkeeping costs more
than a third of the request (conditional GETs on loopback: 0.45 ms of CPU a request with
one pool, 0.32 ms with a pool per origin). Here each origin (scheme, host, port) has its own pool, holding the one
or two connections of that host's lanes, and pools no request is using are closed, least
recently used first, once more than `max_idle_pools` of them are open.

`OriginPools` stands where httpx expects an httpcore pool (`handle_request`, `close`).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Iterator

import httpcore

_Key = tuple[bytes, bytes, int]


class _Entry:
    __slots__ = ("pool", "in_use")

    def __init__(self, pool: httpcore.ConnectionPool) -> None:
        self.pool = pool
        self.in_use = 0  # requests sent and not yet closed (their response bodies included)


class _Released:
    """A response body stream that tells its pool entry when it is closed."""

    def __init__(self, stream, release: Callable[[], None]) -> None:  # type: ignore[no-untyped-def]
        self._stream = stream
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        try:
            if hasattr(self._stream, "close"):
                self._stream.close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class OriginPools:
    """httpcore connection pools keyed by origin; thread-safe.

    `make_pool()` builds the pool of a new origin. A pool is closed (its idle connections
    with it) only while no request of its origin is in flight, so closing never cuts a
    response short. When a request starts, pools without requests beyond
    `max_idle_pools` are closed, least recently used first; `close_idle()` closes all of
    them (the end of a poll).
    """

    def __init__(self, make_pool: Callable[[], httpcore.ConnectionPool], max_idle_pools: int = 32) -> None:
        self._make_pool = make_pool
        self.max_idle_pools = max_idle_pools
        self._pools: OrderedDict[_Key, _Entry] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._closed = False

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        url = request.url
        key = (url.scheme, url.host, url.port or (443 if url.scheme == b"https" else 80))
        with self._lock:
            if self._closed:
                raise RuntimeError("the fetcher has been closed")
            entry = self._pools.get(key)
            if entry is None:
                entry = self._pools[key] = _Entry(self._make_pool())
            else:
                self._pools.move_to_end(key)
            entry.in_use += 1
            if len(self._pools) > self.max_idle_pools:
                self._trim(self.max_idle_pools)
        try:
            response = entry.pool.handle_request(request)
        except BaseException:
            self._release(entry)
            raise
        response.stream = _Released(response.stream, lambda: self._release(entry))
        return response

    def _release(self, entry: _Entry) -> None:
        with self._lock:
            entry.in_use -= 1

    def _trim(self, keep: int) -> None:
        """Close pools without requests, oldest first, until at most `keep` idle ones remain
        (called with the lock held)."""
        idle = [key for key, entry in self._pools.items() if entry.in_use == 0]
        for key in idle[: max(0, len(idle) - keep)]:
            self._pools.pop(key).pool.close()

    def close_idle(self) -> None:
        """Close every pool that no request is using."""
        with self._lock:
            self._trim(0)

    def open_connections(self) -> int:
        """Connections held now, in use or idle, over all pools (for tests and metrics)."""
        with self._lock:
            return sum(len(entry.pool.connections) for entry in self._pools.values())

    def close(self) -> None:
        """Close every connection; later requests raise RuntimeError."""
        with self._lock:
            self._closed = True
            entries, self._pools = list(self._pools.values()), OrderedDict()
        for entry in entries:
            entry.pool.close()

    def __enter__(self) -> "OriginPools":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
