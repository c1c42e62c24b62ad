"""Feed bytes made ready for feedparser: the right character encoding, CDATA unescaped.

feedparser picks one encoding for the whole document from the BOM, the HTTP charset and
the XML declaration, and when the bytes are not valid in the declared encoding it decodes
everything with the next candidate. That turns a UTF-8 feed with one stray byte into a
windows-1252 feed, every non-ASCII letter garbled. So before feedparser:

- bytes that are valid UTF-8 are read as UTF-8 even when a header or the XML
  declaration names a single-byte encoding (a wrong label would garble every letter);
- bytes that are UTF-8 but for a few invalid sequences (at most one in
  `STRAY_RATIO` of the multi-byte characters) are decoded as UTF-8, each invalid
  sequence becoming one U+FFFD, and handed over as clean UTF-8 with the declaration
  and the charset saying so;
- bytes that are not UTF-8 and that no declared encoding decodes either (a cp1256 feed
  labelled utf-8 with no XML declaration) are identified by charset-normalizer and
  transcoded to UTF-8 the same way; when a declared encoding decodes them, feedparser
  is left to follow the declaration as it does;
- CDATA markers that the publisher XML-escaped (``&lt;![CDATA[...]]&gt;``) are removed,
  so the escaped markup inside reads as the summary instead of an empty one.

Everything here is linear in the body, and detection reads at most `DETECT_BYTES`.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

STRAY_RATIO = 10  # invalid sequences allowed per valid multi-byte character, inverted
DETECT_BYTES = 64 * 1024

_XML_DECL = re.compile(rb"^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"'])([A-Za-z0-9._:-]{1,40})([\"'])")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_ESCAPED_CDATA = ((b"&lt;![CDATA[", b"]]&gt;"), (b"&amp;lt;![CDATA[", b"]]&amp;gt;"))


def prepare_bytes(content: bytes, headers: dict[str, str]) -> tuple[bytes, str | None]:
    """(bytes for feedparser, a note on what was repaired or None).

    `headers` are lower-cased response headers; their Content-Type charset is set to
    utf-8 in place when the bytes are transcoded. Never raises for odd input.
    """
    notes = []
    content, note = _to_utf8(content, headers)
    if note:
        notes.append(note)
    for opening, closing in _ESCAPED_CDATA:
        if opening in content:
            content = content.replace(opening, b"").replace(closing, b"")
            notes.append("escaped CDATA markers removed")
    return content, "; ".join(notes) or None


def _to_utf8(content: bytes, headers: dict[str, str]) -> tuple[bytes, str | None]:
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]  # says UTF-8; the checks below still apply
    elif content.startswith(_BOMS):
        return content, None  # UTF-16/32: feedparser reads the BOM
    if content.isascii():
        return content, None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Valid UTF-8 with non-ASCII characters is UTF-8, whatever a header or declaration
        # says (text in a single-byte encoding is practically never valid UTF-8); only a
        # document declaring UTF-16/32 without a BOM is left to its declaration.
        wrong = [n for n in _declared(content, headers) if n not in _UTF8_NAMES]
        if not wrong or any(n.startswith(("utf-16", "utf-32", "utf16", "utf32")) for n in wrong):
            return content, None
        return _relabel(text, headers), f"declared {wrong[0]} but valid UTF-8: read as UTF-8"
    text = content.decode("utf-8", "replace")
    invalid = text.count("\ufffd")
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - invalid
    if multibyte > 0 and invalid * STRAY_RATIO <= multibyte:
        return _relabel(text, headers), f"{invalid} invalid UTF-8 byte sequence(s) replaced"
    declared = [name for name in _declared(content, headers) if name not in _UTF8_NAMES]
    for name in declared:
        try:
            content.decode(name)
            return content, None  # the declaration holds: feedparser follows it
        except (LookupError, UnicodeDecodeError):
            continue
    best = from_bytes(content[:DETECT_BYTES]).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return content, None
    try:
        text = content.decode(best.encoding, "replace")
    except LookupError:
        return content, None
    return _relabel(text, headers), f"encoding not as declared; detected {best.encoding}"


def _declared(content: bytes, headers: dict[str, str]) -> list[str]:
    names = []
    match = _XML_DECL.match(content)
    if match:
        names.append(match.group(2).decode("ascii").lower())
    charset = _CHARSET.search(headers.get("content-type", ""))
    if charset:
        names.append(charset.group(1).lower())
    return names


def _relabel(text: str, headers: dict[str, str]) -> bytes:
    """`text` as UTF-8, its XML declaration and the Content-Type saying so."""
    data = _XML_DECL.sub(lambda m: m.group(1) + b"utf-8" + m.group(3), text.encode("utf-8"), count=1)
    content_type = headers.get("content-type", "")
    if _CHARSET.search(content_type):
        headers["content-type"] = _CHARSET.sub("charset=utf-8", content_type)
    elif content_type:
        headers["content-type"] = content_type + "; charset=utf-8"
    return data
