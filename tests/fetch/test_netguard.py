"""The address policy: which hosts a feed URL may lead to."""
from __future__ import annotations

import socket

import httpcore
import pytest

from monitor.fetch.netguard import (
    BlockedAddress,
    BlockedError,
    BlockedScheme,
    GuardedBackend,
    block_reason,
    check_url,
    redact_url,
    resolve,
)


@pytest.mark.parametrize(
    "address,reason",
    [
        ("169.254.169.254", "link-local"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%1", "link-local"),
        ("100.100.100.200", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:169.254.169.254", "link-local"),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ],
)
def test_always_blocked_even_when_private_allowed(address, reason):
    assert block_reason(address, allow_private_networks=True) == reason
    assert block_reason(address, allow_private_networks=False) == reason


@pytest.mark.parametrize(
    "address,reason",
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "CGNAT"),
        ("fd12:3456::1", "unique-local"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:c0a8:0101::1", "private"),  # 6to4 of 192.168.1.1
        ("192.0.2.1", "non-global"),  # documentation range
        ("198.18.0.1", "non-global"),  # benchmarking range
    ],
)
def test_private_blocked_unless_allowed(address, reason):
    assert block_reason(address) == reason
    assert block_reason(address, allow_private_networks=True) is None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "100.128.0.1"])
def test_public_allowed(address):
    assert block_reason(address) is None


def test_error_names_address_and_reason():
    with pytest.raises(BlockedAddress) as info:
        check_url("http://169.254.169.254/latest/meta-data/")
    assert str(info.value) == "blocked address 169.254.169.254 (link-local)"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed", "gopher://x/", "javascript:alert(1)", "feed://example.org/rss"])
def test_only_http_and_https(url):
    with pytest.raises(BlockedScheme):
        check_url(url)


def test_check_url_accepts_names_and_public_ips():
    check_url("https://example.org/feed")
    check_url("HTTP://93.184.216.34/feed")
    check_url("http://[2606:4700::1111]/feed")
    with pytest.raises(BlockedError):
        check_url("http:///no-host")
    with pytest.raises(BlockedAddress):
        check_url("http://[::1]:8080/feed")


def test_redact_url_drops_credentials_query_and_fragment():
    assert redact_url("https://alice:s3cret@example.org:8443/rss?token=abc#top") == "https://example.org:8443/rss?..."
    assert redact_url("http://example.org/feed") == "http://example.org/feed"
    assert "s3cret" not in redact_url("http://user:s3cret@[::1]/x")


def test_resolve_literal_and_name():
    assert resolve("127.0.0.1", 80) == ["127.0.0.1"]
    assert resolve("[::1]", 80) == ["::1"]
    assert "127.0.0.1" in resolve("localhost", 80, timeout=5)
    with pytest.raises(httpcore.ConnectError):
        resolve("no-such-host.invalid", 80, timeout=5)


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_backend_checks_resolved_address_at_connect_time(listener):
    """A host *name* that resolves to loopback is refused when the connection is made."""
    with pytest.raises(BlockedAddress, match="loopback"):
        GuardedBackend(allow_private_networks=False).connect_tcp("localhost", listener, timeout=2)


def test_backend_connects_to_checked_address_when_allowed(listener):
    stream = GuardedBackend(allow_private_networks=True).connect_tcp("localhost", listener, timeout=2)
    try:
        peer = stream.get_extra_info("server_addr")
        assert peer[0] in ("127.0.0.1", "::1") and peer[1] == listener
    finally:
        stream.close()


def test_backend_never_connects_to_metadata_even_when_private_allowed():
    with pytest.raises(BlockedAddress, match="link-local"):
        GuardedBackend(allow_private_networks=True).connect_tcp("169.254.169.254", 80, timeout=2)


def test_backend_refuses_unix_sockets():
    with pytest.raises(BlockedError):
        GuardedBackend(allow_private_networks=True).connect_unix_socket("/var/run/docker.sock")
