"""HTTP fetching that survives any server and stays polite to every publisher.

`Fetcher.fetch(url, etag, last_modified)` returns a `FetchResult` and never raises:

- one total deadline covers DNS, connect, TLS, every redirect hop, headers and body; a
  server that trickles a byte a second is cut off when the deadline passes (each socket
  read is given only the time that is left, see `_DeadlineStream`);
- the body is decoded as it arrives (gzip, deflate: `monitor.fetch.decoding`) in bounded
  steps, and the cap applies to the *decoded* size, so a gzip bomb stops at `max_bytes`;
- redirects are followed by hand, at most `max_redirects`, each hop through the address
  policy of `monitor.fetch.netguard` (http(s) only, no metadata/link-local, no private ranges
  unless allowed, checked on the resolved address at connect time);
- conditional GET with ETag / Last-Modified echoed verbatim; 301/308 chains reported in
  `permanent_url`, 410 in `gone`, Retry-After in `retry_after` (seconds);
- `error` is one line naming what went wrong and never holds a URL, so credentials and
  query-string secrets cannot leak into logs through it.

`Fetcher.fetch_many` runs many fetches on a thread pool, with at most
`per_host_concurrency` requests in flight per host; each host's connections are kept
alive between its feeds (`monitor.fetch.pools`) and closed when the fetches are done.
"""
from __future__ import annotations

import base64
import http
import logging
import sys
import threading
import time
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable
from urllib.parse import urljoin, urlsplit

import httpcore

# The httpx package imports its command-line client, httpx._main, which imports rich and
# pygments: 6 MB and 35 ms of every start of the monitor for a tool it never runs. None in
# sys.modules makes that one import fail, which httpx handles as it does when its CLI
# extras are not installed; the client library itself is untouched.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx  # noqa: E402

from monitor import __version__
from monitor.models import FetchResult
from monitor.fetch.decoding import GZIP_MAGIC, UNSUPPORTED, BoundedDecoder, TooLarge, UnsupportedEncoding
from monitor.fetch.netguard import BlockedError, GuardedBackend, check_url, redact_url
from monitor.fetch.pools import OriginPools

log = logging.getLogger(__name__)

MiB = 1024 * 1024
USER_AGENT = f"feed-monitor/{__version__} (+https://github.com/feed-monitor)"
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_CHUNK = 64 * 1024
# Sends of one request when kept-alive connections fail it before any response: a host
# keeps at most two idle connections here, and both may have gone stale.
_MAX_ATTEMPTS = 3


@dataclass
class FetchSettings:
    timeout: float = 30.0  # total seconds for one fetch, all hops included
    connect_timeout: float = 10.0
    max_bytes: int = 10 * MiB  # decoded body
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    allow_private_networks: bool = False
    per_host_concurrency: int = 2
    max_workers: int = 16
    verify_tls: bool = True


@dataclass
class FetchRequest:
    """One fetch for `Fetcher.fetch_many`; `key` is the caller's handle (a feed id)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    key: Any = None


# --- the total deadline -------------------------------------------------------------
# httpx timeouts apply to each socket operation, so a trickling server could hold a
# request for ever. The fetch sets a deadline for its thread; every read, write and
# connect below is given at most the time left before it.

_local = threading.local()


class _DeadlineExceeded(Exception):
    pass


def _time_left(timeout: float | None, exc: type[Exception]) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise exc("deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # type: ignore[no-untyped-def]
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _time_left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        stream = self._inner.connect_tcp(
            host,
            port,
            timeout=_time_left(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # type: ignore[no-untyped-def]
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a pool whose connections go through our backend."""

    def __init__(self, pool: OriginPools) -> None:  # noqa: D107
        self._pool = pool  # type: ignore[assignment]


# --- error messages -----------------------------------------------------------------


def _size(n: int) -> str:
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def _seconds(s: float) -> str:
    return f"{s:g}s"


def _status_line(status: int, reason: str) -> str:
    if not reason:
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"HTTP {status} {reason}".strip()


def _one_line(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text[:200]


def _secrets_of(url: str) -> list[str]:
    """Parts of a URL that must never appear in a message: the whole URL, userinfo, query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    secrets = [url, parts.query]
    if parts.username:
        secrets.append(parts.username)
    if parts.password:
        secrets.append(parts.password)
    return sorted((s for s in secrets if s), key=len, reverse=True)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


# --- the fetcher --------------------------------------------------------------------


class Fetcher:
    """Fetches feeds over one shared connection pool. Thread-safe; call `close()`."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = s = settings or FetchSettings()
        backend = _DeadlineBackend(GuardedBackend(allow_private_networks=s.allow_private_networks))
        ssl_context = httpx.create_ssl_context(verify=s.verify_tls)
        lanes = max(s.max_workers, 1)

        def origin_pool() -> httpcore.ConnectionPool:
            # One origin's connections: its lanes', and any redirected fetches' (up to
            # one per fetch thread); idle ones beyond its lanes are not kept.
            return httpcore.ConnectionPool(
                ssl_context=ssl_context,
                max_connections=lanes,
                max_keepalive_connections=max(s.per_host_concurrency, 1),
                keepalive_expiry=5.0,
                network_backend=backend,
            )

        self._pools = OriginPools(origin_pool, max_idle_pools=2 * lanes)
        # Requests go to the transport itself, not through an httpx.Client: the client's
        # extras are what a fetcher must not have (cookies, which would carry state from
        # one feed's server to the next fetch; proxies from the environment, which would
        # bypass the address policy; redirects, followed here hop by hop) and cost a
        # fifth of a conditional GET's CPU even when switched off.
        self._transport = _GuardedTransport(self._pools)
        self._headers = [
            ("Connection", "keep-alive"),
            ("User-Agent", s.user_agent),
            ("Accept", _ACCEPT),
            ("Accept-Encoding", "gzip, deflate"),
        ]
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    # -- one fetch --

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch `url` once. Never raises; returns within `settings.timeout` (plus a little)."""
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        _local.deadline = started + self.settings.timeout
        try:
            self._fetch(result, etag, last_modified)
        except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
            result.error = self._describe(exc, url, result.final_url)
            result.content = None
        finally:
            _local.deadline = None
            result.elapsed = time.monotonic() - started
        return result

    def _fetch(self, result: FetchResult, etag: str | None, last_modified: str | None) -> None:
        s = self.settings
        current = result.url
        seen = {current}
        permanent: str | None = None
        chain_is_permanent = True
        headers: list[tuple[str, str | bytes]] = list(self._headers)
        if etag:
            headers.append(("If-None-Match", _header_bytes(etag)))
        if last_modified:
            headers.append(("If-Modified-Since", _header_bytes(last_modified)))

        for hop in range(s.max_redirects + 1):
            check_url(current, allow_private_networks=s.allow_private_networks)
            result.final_url = current
            left = _time_left(None, _DeadlineExceeded) or s.timeout
            timeout = {"connect": min(s.connect_timeout, left), "read": left, "write": left, "pool": left}
            request = httpx.Request("GET", current, headers=_with_credentials(headers, current),
                                    extensions={"timeout": timeout})
            response = self._send(request)
            response.request = request
            try:
                status = response.status_code
                location = response.headers.get("location")
                if status in _REDIRECTS and location:
                    target = urljoin(current, location.strip())
                    if target in seen:
                        raise _Failure("redirect loop")
                    if hop == s.max_redirects:
                        raise _Failure(f"too many redirects (more than {s.max_redirects})")
                    seen.add(target)
                    if chain_is_permanent and status in _PERMANENT:
                        permanent = target
                    else:
                        chain_is_permanent = False
                    current = target
                    continue
                self._finish(result, response, etag, last_modified)
                if permanent is not None and result.error is None:
                    result.permanent_url = permanent
                return
            finally:
                response.close()

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send a GET; again on another connection when a kept-alive one failed it.

        A kept-alive connection can be closed by the server just as the next request goes
        out (its idle timeout ran out, or it serves a few requests per connection and
        hangs up without saying so), or hold stray bytes a broken server sent after its
        last response: the request fails before any response arrives. GET is idempotent,
        so it is sent again, as browsers and curl do; a request that failed on a new
        connection is not (that failure is the server's answer). All within the deadline.
        """
        for _attempt in range(_MAX_ATTEMPTS - 1):
            connected: list[str] = []
            request.extensions["trace"] = lambda event, info, connected=connected: (
                connected.append(event) if event.startswith("connection.connect_tcp") else None)
            try:
                return self._transport.handle_request(request)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if connected:
                    raise  # a new connection: nothing stale to blame
                log.debug("%s: a kept-alive connection failed before the response (%s); sent again",
                          redact_url(str(request.url)), type(exc).__name__)
        request.extensions.pop("trace", None)
        return self._transport.handle_request(request)

    def _finish(
        self,
        result: FetchResult,
        response: httpx.Response,
        etag: str | None,
        last_modified: str | None,
    ) -> None:
        status = response.status_code
        result.status = status
        headers: dict[str, str] = {}
        for name, value in response.headers.multi_items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        result.headers = headers
        # Validators are kept as latin-1 text of the exact bytes, so that they can be sent
        # back byte for byte even when a server puts non-ASCII in them.
        raw = {name.lower(): value for name, value in response.headers.raw}
        result.etag = raw[b"etag"].decode("latin-1") if b"etag" in raw else None
        result.last_modified = raw[b"last-modified"].decode("latin-1") if b"last-modified" in raw else None
        if status >= 400:
            result.retry_after = parse_retry_after(headers.get("retry-after"))

        if status == 304:
            # The validators stay valid when the server does not repeat them.
            result.etag = result.etag or etag
            result.last_modified = result.last_modified or last_modified
            # A 304 has no body (RFC 9110 15.4.5), but the HTTP library returns the
            # connection to the pool only once the response has been read to its end;
            # closed unread, the connection is dropped and the next conditional GET to
            # the host pays a new TCP (and TLS) handshake. A 304 that announces a length
            # may be followed by the body anyway, which would be taken for the start of
            # the next response: its connection is not reused.
            if headers.get("content-length", "0").strip() in ("", "0") and "transfer-encoding" not in headers:
                _read_to_end(response)
            return
        if status == 410:
            result.gone = True
        if not 200 <= status < 300:
            message = _status_line(status, response.reason_phrase)
            if status in _REDIRECTS:
                message += " without Location"
            if result.retry_after is not None:
                message += f" (retry after {result.retry_after:.0f}s)"
            result.error = message
            return
        result.content = self._read_body(response, headers)

    def _read_body(self, response: httpx.Response, headers: dict[str, str]) -> bytes:
        limit = self.settings.max_bytes
        encodings = [
            e.strip().lower()
            for e in headers.get("content-encoding", "").split(",")
            if e.strip() and e.strip().lower() != "identity"
        ]
        if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
            # A coding we do not read is still fine when the bytes were never encoded
            # (the label is a server's mistake): BoundedDecoder checks the first bytes.
            encoding = UNSUPPORTED + headers["content-encoding"]
        else:
            encoding = "gzip" if encodings and encodings[0] == "x-gzip" else (encodings[0] if encodings else "")
        declared = headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > limit:
            raise TooLarge
        decoder = BoundedDecoder(encoding, limit)
        for chunk in response.iter_raw(_CHUNK):
            decoder.feed(chunk)
            _time_left(None, _DeadlineExceeded)
        body = decoder.finish()
        if decoder.encoding == "gzip" and body[:3] == GZIP_MAGIC:
            # Compressed twice: a .gz file served with Content-Encoding: gzip on top.
            again = BoundedDecoder("gzip", limit)
            again.feed(body)
            body = again.finish()
        return body

    def _describe(self, exc: Exception, url: str, final_url: str) -> str:
        s = self.settings
        secrets = _secrets_of(url) + _secrets_of(final_url)
        if isinstance(exc, (_Failure, UnsupportedEncoding)):
            return str(exc)
        if isinstance(exc, TooLarge):
            return f"response larger than {_size(s.max_bytes)}"
        if isinstance(exc, BlockedError):
            return _one_line(str(exc), secrets)
        deadline_passed = isinstance(exc, _DeadlineExceeded) or (
            isinstance(exc, httpx.TimeoutException) and "deadline passed" in str(exc)
        )
        if deadline_passed:
            return f"timed out after {_seconds(s.timeout)}"
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connection timed out after {_seconds(s.connect_timeout)}"
        if isinstance(exc, httpx.TimeoutException):
            return f"timed out after {_seconds(s.timeout)}"
        if isinstance(exc, httpx.ConnectError):
            text = str(exc)
            if "refused" in text.lower():
                return "connection refused"
            if "SSL" in text or "certificate" in text:
                return _one_line(f"TLS error: {text}", secrets)
            return _one_line(f"connection failed: {text}", secrets)
        if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError)) and not isinstance(
            exc, UnicodeError
        ):
            return "invalid URL"
        if isinstance(exc, zlib.error):
            return "invalid compressed body"
        if isinstance(exc, httpx.RemoteProtocolError):
            return _one_line(f"protocol error: {exc}", secrets)
        if isinstance(exc, httpx.HTTPError):
            return _one_line(f"{type(exc).__name__}: {exc}", secrets)
        log.debug("unexpected fetch failure", exc_info=True)
        return _one_line(f"{type(exc).__name__}: {exc}", secrets)

    # -- many fetches --

    def fetch_many(
        self,
        requests: Iterable[FetchRequest],
        on_result: Callable[[FetchRequest, FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch all `requests` concurrently; results come back in the order given.

        `on_result` is called from a worker thread as each fetch completes, so the caller
        can parse while other fetches are in flight. Requests to one host run in at most
        `per_host_concurrency` lanes, each lane working through the host's queue, so a
        host with many feeds neither floods its server nor holds every worker.
        """
        items = list(enumerate(requests))
        results: list[FetchResult | None] = [None] * len(items)
        queues: dict[str, deque[tuple[int, FetchRequest]]] = {}
        for index, request in items:
            queues.setdefault(_host_key(request.url), deque()).append((index, request))
        callback_errors: list[BaseException] = []

        def lane(queue: deque[tuple[int, FetchRequest]]) -> None:
            while True:
                try:
                    index, request = queue.popleft()
                except IndexError:
                    return
                result = self.fetch(request.url, request.etag, request.last_modified)
                results[index] = result
                if on_result is not None:
                    try:
                        on_result(request, result)
                    except BaseException as exc:  # noqa: BLE001 - re-raised below
                        callback_errors.append(exc)

        # Busiest hosts first: their lanes are the longest, so they should start early.
        ordered = sorted(queues.values(), key=len, reverse=True)
        lanes = [
            queue
            for round_ in range(self.settings.per_host_concurrency)
            for queue in ordered
            if len(queue) > round_
        ]
        executor = self._get_executor()
        futures = [executor.submit(lane, queue) for queue in lanes]
        try:
            for future in futures:
                future.result()
        finally:
            # The next poll is minutes away, beyond any keep-alive: no socket is held
            # open until then.
            self._pools.close_idle()
        if callback_errors:
            raise callback_errors[0]
        return [r for r in results if r is not None]

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=max(self.settings.max_workers, 1), thread_name_prefix="fetch"
                )
            return self._executor

    def close(self) -> None:
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
        self._transport.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Failure(Exception):
    """A failure whose message is already the one-line `error`."""


def _with_credentials(headers: list[tuple[str, str | bytes]], url: str) -> list[tuple[str, str | bytes]]:
    """`headers`, plus HTTP Basic credentials when the URL carries them
    (`https://user:secret@host/feed`), as httpx's client sends them: a hop's own URL
    decides, so a redirect to another host does not take them along."""
    if "@" not in url:
        return headers
    parsed = httpx.URL(url)
    if not (parsed.username or parsed.password):
        return headers
    token = base64.b64encode(f"{parsed.username}:{parsed.password}".encode("utf-8")).decode("ascii")
    return [*headers, ("Authorization", f"Basic {token}")]


def _read_to_end(response: httpx.Response) -> None:
    """Consume a response that has no body (h11 frames a 304 as empty whatever its
    headers say), so that its connection can be kept alive."""
    for _chunk in response.iter_raw():
        pass


def _header_bytes(value: str) -> bytes:
    """A stored validator as request header bytes: verbatim, minus line breaks.

    A CR or LF would be refused by the HTTP library (it would end the header), so a
    stored value holding one would fail every later fetch of the feed.
    """
    value = value.replace("\r", "").replace("\n", "").replace("\0", "")
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _host_key(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
