"""A fast reader for the plainest and most common feed: RSS 2.0 in UTF-8, no namespaces.

feedparser reads every format and every fault, through a Python callback per element and
a dozen steps per text; on a cold poll it is most of the CPU time (~0.2 ms an item). A
well-formed RSS 2.0 document in UTF-8 that uses only the core elements needs none of
that: expat (the same parser feedparser uses underneath) with three small callbacks gives
the same entries in a fraction of the time.

`read_plain_rss` returns the same shape as `feedparser.parse` (version, feed, entries,
bozo) for the fields `monitor.parse.parser` reads, or None for anything it does not
handle exactly as feedparser would; the caller then uses feedparser. It gives up on: any
namespace (Dublin Core, content:encoded, Atom links...), a DOCTYPE, a charset other than
UTF-8, another RSS version, an element outside the core set (author, enclosure, image...),
an element repeated in one item, markup inside a text element, relative or non-HTTP links,
C1 control characters (feedparser maps them as Windows-1252), and any XML error. Charsets
and links go through feedparser's own functions; dates stay strings, read later by
`monitor.parse.dates` as feedparser's are (`published_parsed` is not filled).
`tests/parse/test_plainrss.py` checks that `parse_feed` gives the same `ParsedFeed` either way on every file of
feedparser's test corpus that this reader takes, on the dev set's real text and on edge
cases. About 0.02 ms an item against feedparser's 0.18 ms (`bench/README.md`).
"""
from __future__ import annotations

import re
from typing import Any, Mapping
from xml.parsers import expat

from feedparser.encodings import convert_to_utf8
from feedparser.urls import make_safe_absolute_uri

_HEAD = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^?]*\?>)?\s*(?:<!--.*?-->\s*)*<rss\b", re.S)
_C1 = re.compile("[\x80-\x9f]")
_ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")
_SIMPLE_URL = re.compile(r"https?://[^\s/?#@\[\]\\]+(?:/[^\s?#;\\]*)?(?:\?[^\s#]+)?(?:#\S+)?\Z")

_CHANNEL_TEXT = {"title", "link", "ttl"}  # kept
_CHANNEL_OTHER = {"description", "language", "copyright", "managingEditor", "webMaster", "pubDate",
                  "lastBuildDate", "category", "generator", "docs"}  # read past
_ITEM_TEXT = {"title", "link", "description", "guid", "pubDate"}  # kept
_ITEM_OTHER = {"category", "comments"}  # read past


class _Unsupported(Exception):
    pass


def read_plain_rss(content: bytes, headers: Mapping[str, str]) -> dict[str, Any] | None:
    """`feedparser.parse`'s result for a plain RSS 2.0 document, else None (see module)."""
    if _HEAD.match(content[:4096]) is None:
        return None
    # feedparser's own charset handling, so that what it would warn about (no or a
    # non-XML Content-Type, a charset that does not fit) goes to feedparser.
    checked: dict[str, Any] = {}
    content = convert_to_utf8({k.lower(): v for k, v in headers.items()}, content, checked)
    if checked.get("bozo") or checked.get("encoding") not in ("utf-8", "utf8"):
        return None
    location = headers.get("content-location", "")
    reader = _Reader(make_safe_absolute_uri("", location) or make_safe_absolute_uri(location) or "")
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.StartDoctypeDeclHandler = reader.refuse
    try:
        parser.Parse(content, True)
    except (expat.ExpatError, _Unsupported, ValueError):
        return None
    if not reader.done:
        return None
    return {"version": "rss20", "bozo": 0, "feed": reader.feed, "entries": reader.entries}


def _repaired(value: str) -> str:
    """A text as feedparser leaves it: UTF-8 that was read as Latin-1 is decoded again
    ("SantamarÃ\xada" becomes "Santamaría"); C1 characters, which feedparser would then
    map as Windows-1252, send the document to feedparser."""
    try:
        value = value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    if _C1.search(value):
        raise _Unsupported
    return value


class _Reader:
    def __init__(self, base: str) -> None:
        self.base = base
        self.path: list[str] = []
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.entry: dict[str, Any] | None = None
        self.pieces: list[str] = []
        self.guid_is_link = True
        self.done = False

    def refuse(self, *args: Any) -> None:
        raise _Unsupported

    def start(self, name: str, attrs: dict[str, str]) -> None:
        depth = len(self.path)
        if ":" in name or any(":" in a or a.startswith("xmlns") for a in attrs):
            raise _Unsupported
        if depth == 0:
            if name != "rss" or attrs.get("version") != "2.0" or len(attrs) != 1:
                raise _Unsupported
        elif depth == 1:
            if name != "channel" or attrs or self.feed:
                raise _Unsupported
            self.feed = {"_open": True}
        elif depth == 2:
            if name == "item":
                if attrs:
                    raise _Unsupported
                self.entry = {}
            elif name in _CHANNEL_TEXT or name in _CHANNEL_OTHER:
                if attrs and name != "category":
                    raise _Unsupported
                if name in _CHANNEL_TEXT and name in self.feed:
                    raise _Unsupported
            else:
                raise _Unsupported
        elif depth == 3 and self.path[2] == "item":
            if name in _ITEM_TEXT:
                if name in self.entry or (name == "guid" and "id" in self.entry) or \
                        (name == "pubDate" and "published" in self.entry):
                    raise _Unsupported
                if name == "guid":
                    if set(attrs) - {"isPermaLink"}:
                        raise _Unsupported
                    self.guid_is_link = attrs.get("isPermaLink", "true").strip().lower() == "true"
                elif attrs:
                    raise _Unsupported
            elif name in _ITEM_OTHER:
                if attrs and name != "category":
                    raise _Unsupported
            else:
                raise _Unsupported
        else:
            raise _Unsupported  # markup inside a text element, or deeper nesting
        self.path.append(name)
        self.pieces = []

    def text(self, data: str) -> None:
        if len(self.path) >= 3:
            self.pieces.append(data)
        elif data.strip():
            raise _Unsupported  # text between elements: not a plain document

    def end(self, name: str) -> None:
        depth = len(self.path)
        self.path.pop()
        if depth == 1:
            self.done = True
            return
        if depth == 2:
            self.feed.pop("_open", None)
            return
        value = "".join(self.pieces).strip()
        self.pieces = []
        if depth == 3 and name == "item":
            self._finish_item()
        elif depth == 3:
            if name == "title":
                self.feed["title"] = _repaired(value)
            elif name == "link":
                # feedparser's fix for query strings read as entities, on feed links.
                self.feed["link"] = _ENTITY_LIKE.sub(r"&\g<1>", _repaired(self._absolute(value))) if value else value
            elif name == "ttl":
                self.feed["ttl"] = _repaired(value)
        elif depth == 4:
            entry = self.entry
            if name == "title":
                entry["title"] = _repaired(value)
            elif name == "link":
                # ... and on entry links, after turning "&amp;" back into "&".
                entry["link"] = _ENTITY_LIKE.sub(r"&\g<1>", _repaired(self._absolute(value)).replace("&amp;", "&"))
            elif name == "description":
                entry["description"] = _repaired(value)
            elif name == "guid":
                # feedparser resolves a permalink GUID against the base like a link.
                entry["id"] = _repaired(self._resolve(value) if self.guid_is_link and value else value)
                entry["_guid_is_link"] = self.guid_is_link
            elif name == "pubDate":
                value = _repaired(value)
                # Only the string: the poll reads dates with monitor.parse.dates, never
                # feedparser's `published_parsed` (its loose ISO reader invents dates).
                entry["published"] = value

    def _finish_item(self) -> None:
        entry = self.entry
        self.entry = None
        guid_is_link = entry.pop("_guid_is_link", False)
        if "link" not in entry and entry.get("id") and guid_is_link:
            entry["link"] = self._absolute(entry["id"])  # feedparser: a permalink GUID is the link
        if "description" in entry:
            entry["summary"] = entry.pop("description")
        if not entry.get("link") or not entry.get("id"):
            raise _Unsupported  # feedparser's fallbacks for missing fields are not copied here
        self.entries.append(entry)

    def _absolute(self, link: str) -> str:
        """The link as feedparser resolves it; only absolute HTTP(S) links are taken."""
        if not (link.startswith("http://") or link.startswith("https://")) or any(c in link for c in " \t\r\n<>\"'"):
            raise _Unsupported
        return self._resolve(link)

    def _resolve(self, uri: str) -> str:
        # feedparser joins every link with the base URL; for an absolute HTTP(S) URL
        # without empty "?"/"#", ";" params, brackets or user info the join gives it back
        # unchanged, and skipping it saves a tenth of the cold poll's parsing time.
        if _SIMPLE_URL.match(uri):
            return uri
        return make_safe_absolute_uri(self.base, uri)
