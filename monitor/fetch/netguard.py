"""Which network addresses the monitor may talk to.

A feed URL comes from a user, an OPML file or a redirect chosen by a stranger's server,
so every connection is checked against one policy:

- only ``http`` and ``https`` URLs;
- never link-local or cloud metadata addresses (169.254.0.0/16, fe80::/10,
  100.100.100.200, fd00:ec2::254), multicast, unspecified, broadcast or reserved ones;
- loopback, private (RFC 1918), CGNAT (100.64.0.0/10), unique-local (fc00::/7) and
  other non-global addresses only when ``allow_private_networks`` is set.

The policy is applied to the *resolved* address at connect time by `GuardedBackend`, an
httpcore network backend: it resolves the host itself, checks every address, and then
connects to the checked IP, so there is no window between the check and the connection
for a DNS answer to change (DNS rebinding). Because every redirect hop opens its
connection through the same backend, every hop is checked. TLS still verifies the
certificate against the host name, because httpcore passes the origin's name as SNI.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Refused whatever the configuration says: nothing a feed lives on, and the classic
# targets of server-side request forgery (instance metadata services).
_ALWAYS_BLOCKED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("169.254.0.0/16", "link-local"),
        ("fe80::/10", "link-local"),
        ("100.100.100.200/32", "cloud metadata"),
        ("fd00:ec2::254/128", "cloud metadata"),
        ("0.0.0.0/8", "unspecified"),
        ("::/128", "unspecified"),
        ("224.0.0.0/4", "multicast"),
        ("ff00::/8", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)

# Refused unless allow_private_networks: named so that the error says which.
_PRIVATE: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("127.0.0.0/8", "loopback"),
        ("::1/128", "loopback"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("100.64.0.0/10", "CGNAT"),
        ("fc00::/7", "unique-local"),
    )
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class BlockedError(Exception):
    """A URL or address the policy refuses. `str()` is a one-line reason, no URL."""


class BlockedAddress(BlockedError):
    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"blocked address {address} ({reason})")
        self.address = address
        self.reason = reason


class BlockedScheme(BlockedError):
    def __init__(self, scheme: str) -> None:
        super().__init__(f"blocked URL scheme {scheme or '(none)'!r}: only http and https")
        self.scheme = scheme


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def block_reason(address: str | IPAddress, *, allow_private_networks: bool = False) -> str | None:
    """Why the policy refuses `address`, or None when it may be contacted."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return block_reason(embedded, allow_private_networks=allow_private_networks)
    for net, reason in _ALWAYS_BLOCKED:
        if ip.version == net.version and ip in net:
            return reason
    if allow_private_networks:
        return None
    for net, reason in _PRIVATE:
        if ip.version == net.version and ip in net:
            return reason
    if not ip.is_global:
        # Documentation, benchmarking and other special-purpose ranges.
        return "non-global"
    return None


def check_address(address: str | IPAddress, *, allow_private_networks: bool = False) -> None:
    """Raise `BlockedAddress` when the policy refuses `address`."""
    reason = block_reason(address, allow_private_networks=allow_private_networks)
    if reason is not None:
        raise BlockedAddress(str(address), reason)


def check_url(url: str, *, allow_private_networks: bool = False) -> None:
    """Check what can be checked without DNS: the scheme, and the host if it is an IP.

    Host names are checked after resolution, at connect time, by `GuardedBackend`.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedScheme(scheme)
    host = parts.hostname or ""
    if not host:
        raise BlockedError("URL has no host")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    check_address(ip, allow_private_networks=allow_private_networks)


def redact_url(url: str) -> str:
    """`url` fit for a log line: no user name or password, no query, no fragment.

    Query strings often carry API keys and tokens; the path is enough to tell feeds apart.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        query = "..." if parts.query else ""
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return "(unparseable URL)"


# getaddrinfo has no timeout of its own; it runs here so that a caller can stop waiting
# when its deadline passes (the lookup itself finishes in the background).
_resolver_pool: ThreadPoolExecutor | None = None
_resolver_lock = threading.Lock()


def _resolver() -> ThreadPoolExecutor:
    global _resolver_pool
    with _resolver_lock:
        if _resolver_pool is None:
            _resolver_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="resolve")
        return _resolver_pool


def resolve(host: str, port: int, timeout: float | None = None) -> list[str]:
    """IP addresses for `host`, in the resolver's order, without duplicates.

    Raises httpcore.ConnectTimeout / ConnectError so that httpx reports them like any
    other connection failure.
    """
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    future = _resolver().submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=timeout)
    except FutureTimeout:
        raise httpcore.ConnectTimeout(f"name resolution of {host} timed out") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve host {host}") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve host {host}")
    return addresses


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore backend that connects only to addresses the policy allows.

    It resolves the host, drops refused addresses, and connects to the first allowed
    one that answers, by IP, so the address checked is the address used.
    """

    def __init__(
        self,
        *,
        allow_private_networks: bool = False,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.allow_private_networks = allow_private_networks
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        # One budget for resolving and every address tried, not one each: a host with
        # several unreachable addresses must not stretch the fetch's total deadline.
        deadline = None if timeout is None else time.monotonic() + timeout
        addresses = resolve(host, port, timeout)
        allowed = []
        first_refusal: BlockedAddress | None = None
        for address in addresses:
            reason = block_reason(address, allow_private_networks=self.allow_private_networks)
            if reason is None:
                allowed.append(address)
            elif first_refusal is None:
                first_refusal = BlockedAddress(address, reason)
        if not allowed:
            assert first_refusal is not None
            raise first_refusal
        last_error: Exception | None = None
        for address in allowed:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host} timed out")
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=left,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):  # type: ignore[no-untyped-def]
        raise BlockedError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
