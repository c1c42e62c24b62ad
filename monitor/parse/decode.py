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
- a UTF-16/32 byte order mark wins over a declaration that says otherwise (the BOM is
  what the bytes are); the text is handed over as UTF-8;
- a body that mixes valid UTF-8 with bytes of another encoding (one item pasted from
  a windows-1254 CMS) is UTF-8 when its valid multi-byte characters outnumber the
  invalid sequences: each of those costs one U+FFFD, never the rest of the feed;
- a declaration of Latin-1 or windows-1252, which decode any bytes, is checked: words
  made of runs of accented Latin letters (`Òóðöèÿ`) are Cyrillic, Greek, Hebrew or
  Arabic in a single-byte code page, identified by charset-normalizer among those;
  Latin-1 bytes with the signature of Turkish (ı beside ğ or ş, read as ý beside ð or
  þ, with no Icelandic æ) are windows-1254, whether declared Latin-1 or guessed as
  another Latin code page;
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
# Code pages that decode every byte, so "it decoded" proves nothing about them.
_ANY_BYTE = {"iso-8859-1", "latin-1", "latin1", "l1", "iso8859-1", "iso_8859-1", "windows-1252", "cp1252",
             "iso-8859-15", "iso8859-15", "latin-9", "latin_1", "iso8859_15"}
_LATIN_GUESSES = _ANY_BYTE | {"cp1250", "cp1257", "cp1258", "iso8859_2", "iso8859_10", "iso8859_13",
                              "iso8859_4", "iso8859_9", "mac_roman", "mac_latin2", "cp850", "cp775", "hp_roman8"}
_NON_LATIN_PAGES = ["cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp1256", "iso8859_6", "cp1253", "iso8859_7",
                    "cp1255", "iso8859_8"]
# A word of four or more accented Latin letters in a row: Cyrillic or Arabic read as Latin-1.
_MOJIBAKE_WORD = re.compile("[\u00c0-\u00ff]{4,}")
# In Latin-1, windows-1254's ğ, ş (and capitals) read as ð, þ, Ð, Þ, and ı, İ as ý, Ý.
_TURKISH_GS = re.compile(rb"[\xd0\xde\xf0\xfe]")
_TURKISH_I = re.compile(rb"[\xdd\xfd]")
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
        # UTF-16/32: the BOM says what the bytes are, whatever the declaration says.
        codec = "utf-32" if content.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) else "utf-16"
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            return content, None
        return _relabel(text, headers), None
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
    if multibyte > 0 and (invalid * STRAY_RATIO <= multibyte or _mixed(content, invalid)):
        return _relabel(text, headers), f"{invalid} invalid UTF-8 byte sequence(s) replaced"
    declared = [name for name in _declared(content, headers) if name not in _UTF8_NAMES]
    for name in declared:
        try:
            decoded = content.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
        if name not in _ANY_BYTE:
            return content, None  # the declaration holds: feedparser follows it
        better = _not_latin(content, decoded)
        if better is None:
            return content, None
        try:
            return _relabel(content.decode(better, "replace"), headers), f"declared {name} but reads as {better}"
        except LookupError:
            return content, None
    best = from_bytes(content[:DETECT_BYTES]).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return content, None
    if best.encoding in _LATIN_GUESSES and _turkish(content):
        best_encoding = "cp1254"
    else:
        best_encoding = best.encoding
    try:
        text = content.decode(best_encoding, "replace")
    except LookupError:
        return content, None
    return _relabel(text, headers), f"encoding not as declared; detected {best_encoding}"


def _mixed(content: bytes, invalid: int) -> bool:
    """Valid UTF-8 multi-byte characters outnumber the invalid sequences, and there are
    several: text in a single-byte code page practically never forms even one."""
    valid = sum(1 for b in content if 0xC2 <= b <= 0xF4) - invalid
    return valid >= 8 and valid > invalid


def _turkish(content: bytes) -> bool:
    """Bytes with windows-1254's ğ/ş beside ı, and no æ: Turkish, not another Latin text."""
    sample = content[:DETECT_BYTES]
    return bool(_TURKISH_GS.search(sample) and _TURKISH_I.search(sample)) and b"\xe6" not in sample


def _not_latin(content: bytes, decoded: str) -> str | None:
    """The code page that bytes declared Latin-1/windows-1252 are really in, or None."""
    if len(_MOJIBAKE_WORD.findall(decoded[: DETECT_BYTES])) >= 2:
        best = from_bytes(content[:DETECT_BYTES], cp_isolation=_NON_LATIN_PAGES).best()
        if best is not None and best.chaos < 0.2:
            return best.encoding
    if _turkish(content):
        return "cp1254"
    return None


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
