"""Feed bytes to `ParsedFeed`, with feedparser, within a per-feed budget.

feedparser is only ever handed a `BytesIO` (given a ``str`` or ``bytes`` it would fetch a
URL or open a local path), with the response's headers and the final URL as the base for
relative links. What it returns is cut to size here:

- a body with no feed version (an HTML login page, an empty 200, garbage) raises
  `ParseError`: "not a feed" must never read as "the feed is now empty";
- problems feedparser survives (a wrong charset, a loose parse of ill-formed XML)
  become `ParsedFeed.warning`;
- the budget: the body is refused above `max_bytes` before parsing; entity declarations
  whose expansion would exceed `max_entity_expansion` are refused (feedparser keeps only
  plain-text entities, so nesting "billion laughs" cannot happen, but one long entity
  referenced many times still could blow up); at most `max_entries` entries are kept,
  newest first; every text field is cut to a length; and at most two large documents are
  parsed at once, so a burst of huge feeds cannot multiply peak memory by the worker count.
"""
from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import urljoin

import feedparser

from monitor.models import ParsedFeed, RawEntry

MiB = 1024 * 1024


class ParseError(Exception):
    """The body is not a usable feed. `str()` is one line."""


@dataclass(frozen=True)
class ParseLimits:
    max_bytes: int = 10 * MiB
    max_entries: int = 500
    max_entity_expansion: int = 1 * MiB  # bytes that declared entities may add
    max_title_chars: int = 2_000
    max_summary_chars: int = 100_000
    max_url_chars: int = 4_000
    max_author_chars: int = 500
    large_document: int = 1 * MiB  # above this, parses queue for `_large_parses`


DEFAULT_LIMITS = ParseLimits()

# Large parses are CPU-bound under the GIL anyway; running more at once only adds memory.
_large_parses = threading.BoundedSemaphore(2)

# Same patterns as feedparser's own DOCTYPE handling (sanitizer.replace_doctype).
_FIRST_ELEMENT = re.compile(rb"<\w")
_ENTITY_DECL = re.compile(rb'<!ENTITY\s+(\w+)\s+"([^"]*)"')

# Bozo exceptions that mean "parsed fine, but the bytes were not quite as labelled".
_SURVIVABLE = (
    feedparser.CharacterEncodingOverride,
    feedparser.CharacterEncodingUnknown,
    feedparser.NonXMLContentType,
)


def parse_feed(
    content: bytes,
    headers: Mapping[str, str],
    url: str,
    limits: ParseLimits = DEFAULT_LIMITS,
) -> ParsedFeed:
    """Parse a fetched body. `headers` are the response's, `url` the final URL."""
    if not content or not content.strip():
        raise ParseError("not a feed: empty response body")
    if len(content) > limits.max_bytes:
        raise ParseError(f"not parsed: body of {len(content)} bytes exceeds {limits.max_bytes}")
    _check_entity_expansion(content, limits.max_entity_expansion)

    response_headers = {k.lower(): v for k, v in headers.items()}
    # feedparser takes its base URL from Content-Location; relative to the final URL.
    response_headers["content-location"] = urljoin(url, response_headers.get("content-location", ""))

    if len(content) > limits.large_document:
        with _large_parses:
            result = _feedparser(content, response_headers)
    else:
        result = _feedparser(content, response_headers)

    version = result.get("version") or ""
    if not version:
        raise ParseError(_not_a_feed(result, response_headers))

    warning = None
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        prefix = "" if isinstance(exc, _SURVIVABLE) else "ill-formed feed, parsed leniently: "
        warning = _one_line(f"{prefix}{exc}")

    feed = result.get("feed", {})
    entries = _newest(result.get("entries", []), limits.max_entries)
    return ParsedFeed(
        title=_cut(feed.get("title"), limits.max_title_chars) or "",
        link=_cut(feed.get("link"), limits.max_url_chars),
        entries=[_raw_entry(e, limits) for e in entries],
        ttl_seconds=_ttl_seconds(feed.get("ttl")),
        version=version,
        warning=warning,
    )


def _feedparser(content: bytes, response_headers: dict[str, str]) -> Any:
    # sanitize_html stays on: it drops <script>/<style> bodies that would otherwise leak
    # into the plain text made later. Relative URIs inside HTML are not resolved: the
    # HTML becomes plain text, so the work would be thrown away.
    return feedparser.parse(
        io.BytesIO(content),
        response_headers=response_headers,
        sanitize_html=True,
        resolve_relative_uris=False,
    )


def _check_entity_expansion(content: bytes, budget: int) -> None:
    match = _FIRST_ELEMENT.search(content)
    head = content[: match.start()] if match else content
    if b"<!ENTITY" not in head:
        return
    expansion = 0
    for name, value in _ENTITY_DECL.findall(head):
        if value:
            expansion += content.count(b"&" + name + b";") * len(value)
        if expansion > budget:
            raise ParseError(f"not parsed: entity expansion exceeds {budget} bytes")


def _not_a_feed(result: Any, headers: Mapping[str, str]) -> str:
    content_type = headers.get("content-type", "").split(";")[0].strip()
    if "html" in content_type:
        return f"not a feed: got an {content_type} page"
    exc = result.get("bozo_exception")
    if exc is not None:
        return _one_line(f"not a feed: {exc}")
    return "not a feed: no RSS, Atom or RDF document found"


def _newest(entries: list[Any], cap: int) -> list[Any]:
    """At most `cap` entries: the newest by date, undated ones by position; document order kept."""
    if len(entries) <= cap:
        return entries
    dates = [_when(e) for e in entries]
    # Newest first; among equal dates the earlier in the document wins.
    dated = sorted(
        (i for i, d in enumerate(dates) if d is not None),
        key=lambda i: (dates[i], -i),
        reverse=True,
    )
    undated = [i for i, d in enumerate(dates) if d is None]
    keep = sorted((dated + undated)[:cap])
    return [entries[i] for i in keep]


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=timezone.utc)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _raw_entry(entry: Any, limits: ParseLimits) -> RawEntry:
    link = _cut(entry.get("link"), limits.max_url_chars)
    guid = _cut(entry.get("id"), limits.max_url_chars) or link
    summary = entry.get("summary")
    if not summary:
        content = entry.get("content") or []
        summary = content[0].get("value", "") if content else ""
    return RawEntry(
        guid=guid,
        link=link,
        title=_cut(entry.get("title"), limits.max_title_chars) or "",
        summary=_cut(summary, limits.max_summary_chars) or "",
        published=_when(entry),
        author=_cut(entry.get("author"), limits.max_author_chars),
    )


def _cut(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:limit] if len(text) > limit else (text or None)


def _ttl_seconds(value: Any) -> int | None:
    """RSS <ttl> is in minutes."""
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if minutes <= 0:
        return None
    return min(minutes, 10 * 365 * 24 * 60) * 60


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
