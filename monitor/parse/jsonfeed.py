"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) into the same `RawEntry`s as RSS/Atom.

No maintained Python library reads JSON Feed (feedparser 6 does not; the PyPI packages
are abandoned or only write it), and the format is one JSON object, so this is a reader
of the fields the monitor uses, with the RSS/Atom path's guarantees: the body size is
checked by the caller, nesting is bounded by `json` itself (a RecursionError becomes
"document nested too deeply" there), entries and fields are capped by the same
`ParseLimits`, dates go through `monitor.parse.dates`, and relative links resolve against
the feed's URL. Deviations seen in the wild are read, not refused: a numeric `id` (kept
as its decimal string), `content_html` and `content_text` both present (HTML wins: it
carries the same text with its structure), a `date_updated` key instead of
`date_modified`, 1.0's single `author` beside 1.1's `authors`, a UTF-16 body.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping
from urllib.parse import urljoin


_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")
_JSON_TYPES = ("application/feed+json", "application/json", "text/json")


def looks_like_json_feed(content: bytes, headers: Mapping[str, str]) -> bool:
    """Whether to read the body as JSON Feed: a body that opens with `{` (servers often
    label JSON Feed text/plain or application/octet-stream), or a JSON content type on a
    body that does not open like XML (an RSS file labelled JSON is still read as RSS)."""
    start = content[:256].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        return True
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return start != b"<" and (content_type in _JSON_TYPES or content_type.endswith("+json"))


class NotJsonFeed(ValueError):
    """The body is JSON (or meant to be) but not a JSON Feed; `str()` is one line."""


def read_json_feed(content: bytes, base_url: str) -> tuple[dict, list[dict]]:
    """(feed fields, entry dicts shaped like feedparser's) from a JSON Feed body.

    Entry dicts carry `id`, `link`, `title`, `summary`, `published`, `updated` and
    `author` as strings (or None), so the caller caps and dates them as it does RSS.
    Raises NotJsonFeed; RecursionError for absurd nesting.
    """
    try:
        # JSON is UTF-8 by RFC 8259, but UTF-16/32 bodies (with or without a BOM) are
        # recognised by their zero bytes as RFC 4627 described.
        encoding = json.detect_encoding(content[:4])
        document = json.loads(content.decode("utf-8-sig" if encoding == "utf-8" else encoding, "replace"))
    except ValueError as exc:
        raise NotJsonFeed(f"not a feed: invalid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise NotJsonFeed("not a feed: JSON document is not an object")
    version = document.get("version")
    items = document.get("items")
    if not isinstance(version, str) or not _VERSION.match(version.strip()) or not isinstance(items, list):
        raise NotJsonFeed("not a feed: JSON without a JSON Feed version and items")
    base = _text(document.get("feed_url")) or base_url
    base = urljoin(base_url, base)
    feed = {
        "title": _text(document.get("title")) or "",
        "link": _link(document.get("home_page_url"), base),
        "version": "json1" if version.rstrip("/").endswith("/1") else "json11",
    }
    entries = [_entry(item, base, document) for item in items if isinstance(item, dict)]
    return feed, entries


def _entry(item: dict, base: str, document: dict) -> dict:
    html = _text(item.get("content_html"))
    text = _text(item.get("content_text"))
    summary = _text(item.get("summary"))
    return {
        "id": _id(item.get("id")),
        "link": _link(item.get("url"), base) or _link(item.get("external_url"), base),
        "title": _text(item.get("title")) or "",
        "summary": html or text or summary or "",
        "published": _text(item.get("date_published")),
        "updated": _text(item.get("date_modified")) or _text(item.get("date_updated")),
        "author": _author(item) or _author(document),
    }


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    return _text(value)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _link(value: Any, base: str) -> str | None:
    text = _text(value)
    return urljoin(base, text) if text else None


def _author(holder: dict) -> str | None:
    authors = holder.get("authors")
    if isinstance(authors, list):
        names = [_text(a.get("name")) for a in authors[:10] if isinstance(a, dict)]
        names = [n for n in names if n]
        if names:
            return ", ".join(names)
    author = holder.get("author")
    return _text(author.get("name")) if isinstance(author, dict) else None

