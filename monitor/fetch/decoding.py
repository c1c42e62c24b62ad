"""Content-Encoding decoded in bounded steps, whatever the label says.

`BoundedDecoder(encoding, limit)` takes a body chunk by chunk (`feed`) and gives the decoded
bytes (`finish`), raising `TooLarge` as soon as more than `limit` decoded bytes would
exist (a gzip bomb costs at most `limit` bytes of memory) and `UnsupportedEncoding` for a
coding it cannot read on bytes that are really encoded. Used by `monitor.fetch.fetcher`.
"""
from __future__ import annotations

import zlib
from typing import Any

# The first bytes tried as raw deflate when a "deflate" body is not zlib-wrapped.
_PROBE = 64 * 1024


class UnsupportedEncoding(Exception):
    """A Content-Encoding this reader cannot undo, on bytes that are encoded; the message
    is the one-line error."""


class TooLarge(Exception):
    """The decoded body grew past the limit."""


def _is_zlib(data: bytes) -> bool:
    """A zlib stream header (RFC 1950): deflate method and a valid check value."""
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0


_PLAIN_STARTS = (b"<?xml", b"<rss", b"<feed", b"<rdf:", b"<!--", b"<!doctype", b"<html", b"{\"", b"{\n", b"{\r", b"{ ")


def _looks_plain(data: bytes) -> bool:
    """Whether a body opens like an uncompressed XML, HTML or JSON document (after a BOM
    or blank space). Compressed streams never do: gzip and zlib open with fixed bytes,
    and a raw deflate stream is only taken for one when it is not plainly text."""
    start = data[:64].lstrip(b" \t\r\n").removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").lower()
    return start.startswith(_PLAIN_STARTS)


UNSUPPORTED = "unsupported:"
GZIP_MAGIC = b"\x1f\x8b\x08"


class BoundedDecoder:
    """Decodes a Content-Encoding chunk by chunk, never producing more than `limit` bytes.

    zlib's `max_length` stops each step at the bytes still allowed, so a bomb costs at
    most `limit` bytes of memory before it is refused. The label and the bytes need not
    agree: a body labelled gzip, deflate or a coding we do not read that is not
    compressed at all is taken as it is, as browsers do, and gzip bytes that arrive
    without the label (a .gz file served as the feed) are decompressed all the same.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.total = 0
        self._zlib: Any = None
        self._started = False
        self._ended = False  # the compressed stream ended; what follows is trailing junk
        self._parts: list[bytes] = []

    def _start(self, data: bytes) -> None:
        self._started = True
        if _looks_plain(data):
            return  # a feed's own first bytes under a coding label: taken as they are
        if self.encoding.startswith(UNSUPPORTED):
            raise UnsupportedEncoding(f"unsupported Content-Encoding {self.encoding[len(UNSUPPORTED):]!r}")
        if self.encoding != "gzip" and data[:3] == GZIP_MAGIC:
            # gzip bytes without (or under another) Content-Encoding: a server that
            # serves feed.xml.gz as the feed. No feed starts with these bytes.
            self.encoding = "gzip"
        if self.encoding == "gzip":
            if data[:2] == b"\x1f\x8b":
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif _is_zlib(data):  # zlib ("deflate") bytes under a gzip label
                self.encoding = "deflate"
                self._zlib = zlib.decompressobj()
        elif self.encoding == "deflate":
            # "deflate" is meant to be zlib-wrapped; many servers send raw deflate.
            if _is_zlib(data):
                self._zlib = zlib.decompressobj()
            else:
                probe = zlib.decompressobj(-zlib.MAX_WBITS)
                try:
                    probe.decompress(data[:_PROBE], 1)
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                except zlib.error:
                    self._zlib = None

    def _keep(self, out: bytes) -> None:
        self.total += len(out)
        if self.total > self.limit:
            raise TooLarge
        if out:
            self._parts.append(out)

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if not self._started:
            self._start(data)
        if self._zlib is None:
            self._keep(data)
            return
        if self._ended:
            # Dropped, but counted: junk after the stream must not stream on for ever.
            self.total += len(data)
            if self.total > self.limit:
                raise TooLarge
            return
        while data:
            out = self._zlib.decompress(data, self.limit - self.total + 1)
            self._keep(out)
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                # Concatenated gzip members are legal: start a new one on what is left.
                rest = self._zlib.unused_data
                if rest and self.encoding == "gzip" and rest[:2] == b"\x1f\x8b":
                    self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                else:
                    self._ended = True
                    break

    def finish(self) -> bytes:
        if self._zlib is not None and not self._ended:
            self._keep(self._zlib.flush(self.limit - self.total + 1))
        return b"".join(self._parts)
