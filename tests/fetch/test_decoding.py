"""Bounded Content-Encoding decoding, on the bytes alone (the fetcher's tests cover it
behind real servers)."""
from __future__ import annotations

import gzip
import zlib

import pytest

from monitor.fetch.decoding import UNSUPPORTED, BoundedDecoder, TooLarge, UnsupportedEncoding

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def _decode(encoding: str, data: bytes, limit: int = 1 << 20, chunk: int = 7) -> bytes:
    decoder = BoundedDecoder(encoding, limit)
    for start in range(0, len(data), chunk):
        decoder.feed(data[start:start + chunk])
    return decoder.finish()


@pytest.mark.parametrize("encoding, data", [
    ("gzip", gzip.compress(FEED)),
    ("deflate", zlib.compress(FEED)),                          # zlib-wrapped, as meant
    ("deflate", zlib.compress(FEED)[2:-4]),                    # raw deflate, as many servers send
    ("gzip", zlib.compress(FEED)),                             # zlib bytes under a gzip label
    ("", gzip.compress(FEED)),                                 # a .gz file served without a label
    ("gzip", FEED),                                            # a label on bytes never encoded
    ("gzip", gzip.compress(FEED[:40]) + gzip.compress(FEED[40:])),  # two gzip members
])
def test_every_labelling_gives_the_feed(encoding, data):
    assert _decode(encoding, data) == FEED


def test_a_bomb_stops_at_the_limit():
    bomb = gzip.compress(b"\0" * (50 << 20))
    with pytest.raises(TooLarge):
        _decode("gzip", bomb, limit=1 << 20, chunk=64 * 1024)


def test_junk_after_a_gzip_stream_counts_against_the_cap():
    decoder = BoundedDecoder("gzip", limit=1000)
    decoder.feed(gzip.compress(b"<rss/>"))
    with pytest.raises(TooLarge):
        for _ in range(100):
            decoder.feed(b"junk" * 100)
    assert decoder.finish() == b"<rss/>"


def test_a_coding_it_cannot_read_is_refused_only_on_encoded_bytes():
    assert _decode(UNSUPPORTED + "br", FEED) == FEED  # the label was a server's mistake
    with pytest.raises(UnsupportedEncoding, match="unsupported Content-Encoding 'br'"):
        _decode(UNSUPPORTED + "br", b"\x8b\x0b\x80" + b"\x00" * 40)
