"""Feed bytes to `ParsedFeed`, with feedparser, within a per-feed budget.

feedparser is only ever handed a `BytesIO` (given a ``str`` or ``bytes`` it would fetch a
URL or open a local path), with the response's headers and the final URL as the base for
relative links. Before it, `decode.prepare_bytes` repairs the bytes (UTF-8 with stray
bytes, a missing or wrong charset, escaped CDATA markers); a JSON Feed body goes to
`jsonfeed.read_json_feed` instead, under the same budget and caps. Entry dates are read
by `dates.parse_date` from the strings as published, never from feedparser's guesses.
What it returns is cut to size here:

- a body with no feed version (an HTML login page, an empty 200, garbage) raises
  `ParseError`: "not a feed" must never read as "the feed is now empty";
- problems feedparser survives (a wrong charset, a loose parse of ill-formed XML)
  become `ParsedFeed.warning`;
- the budget: the body is refused above `max_bytes` before parsing; entity declarations
  whose expansion would exceed `max_entity_expansion` are refused (feedparser keeps only
  plain-text entities and expat limits amplification, so nesting "billion laughs" cannot
  happen, but one long entity referenced many times still could blow up); a feed with
  more than twice `max_entries` items has its middle cut out *before* parsing (the first
  and last `max_entries` items stay, so newest-first and oldest-first feeds both keep
  their newest), and at most `max_entries` are returned, newest first; every text field
  is cut to a length; a parse that uses more than `max_parse_cpu_seconds` of its
  thread's CPU time is stopped (see `_Watchdog`); and at most two large documents are
  parsed at once, so a burst of huge feeds cannot multiply peak memory by the workers.
"""
from __future__ import annotations

import ctypes
import io
import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Mapping
from urllib.parse import urljoin

import feedparser

from monitor.models import ParsedFeed, RawEntry
from monitor.parse.dates import parse_date
from monitor.parse.decode import prepare_bytes
from monitor.parse.jsonfeed import NotJsonFeed, looks_like_json_feed, read_json_feed
from monitor.parse.plainrss import read_plain_rss

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
    max_parse_cpu_seconds: float = 5.0  # CPU time of the parsing thread
    max_parse_wall_seconds: float = 30.0  # wall clock, in case the CPU clock is unavailable


DEFAULT_LIMITS = ParseLimits()

# Large parses are CPU-bound under the GIL anyway; running more at once only adds memory.
_large_parses = threading.BoundedSemaphore(2)

# Same patterns as feedparser's own DOCTYPE handling (sanitizer.replace_doctype).
_FIRST_ELEMENT = re.compile(rb"<\w")
_ENTITY_DECL = re.compile(rb"""<!ENTITY\s+([\w.:-]+)\s+(?:"([^"]*)"|'([^']*)')""")
_ENTITY_REF = re.compile(rb"&([\w.:-]+);")
# The end of an RSS/RDF item or an Atom entry, with or without a namespace prefix.
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")

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
    """Parse a fetched body (RSS, Atom, RDF, CDF or JSON Feed) into a `ParsedFeed`.

    `headers` are the response's (any case), `url` the final URL after redirects, the base
    for relative links. At most `limits.max_entries` entries, newest first by date.
    Raises `ParseError` (one line) for a body that is not a feed or breaks a limit.
    """
    if not content or not content.strip():
        raise ParseError("not a feed: empty response body")
    if len(content) > limits.max_bytes:
        raise ParseError(f"not parsed: body of {len(content)} bytes exceeds {limits.max_bytes}")
    response_headers = {k.lower(): v for k, v in headers.items()}
    if looks_like_json_feed(content, response_headers):
        return _parse_json_feed(content, url, limits)
    _check_entity_expansion(content, limits.max_entity_expansion)

    content, entries_seen = _trim_entries(content, limits.max_entries)

    # feedparser takes its base URL from Content-Location; relative to the final URL.
    response_headers["content-location"] = urljoin(url, response_headers.get("content-location", ""))

    try:
        if len(content) > limits.large_document:
            with _large_parses:
                result, repaired = _budgeted_parse(content, response_headers, limits)
        else:
            result, repaired = _budgeted_parse(content, response_headers, limits)
    except ParseTimeout:
        raise ParseError(
            f"not parsed: parsing took more than {limits.max_parse_cpu_seconds:g}s"
        ) from None
    except RecursionError:
        raise ParseError("not parsed: document nested too deeply") from None

    version = result.get("version") or ""
    warnings = [repaired] if repaired else []
    if not version:
        # feedparser names no version for a few old formats (CDF) that it still reads;
        # entries prove a feed. Without them the body is not a feed, never an empty one.
        if not result.get("entries") or "html" in response_headers.get("content-type", ""):
            raise ParseError(_not_a_feed(result, response_headers))
        warnings.append("feed format not recognised, entries taken as found")
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        prefix = "" if isinstance(exc, _SURVIVABLE) else "ill-formed feed, parsed leniently: "
        warnings.append(f"{prefix}{exc}")
    if entries_seen is not None:
        warnings.append(f"{entries_seen} entries: parsed the first and last {limits.max_entries}")
    warning = _one_line("; ".join(warnings)) if warnings else None

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


def _parse_json_feed(content: bytes, url: str, limits: ParseLimits) -> ParsedFeed:
    """A JSON Feed body, within the same budget and caps as RSS/Atom."""
    try:
        with _watchdog.budget(limits.max_parse_cpu_seconds, limits.max_parse_wall_seconds):
            feed, entries = read_json_feed(content, url)
    except NotJsonFeed as exc:
        raise ParseError(_one_line(str(exc))) from None
    except ParseTimeout:
        raise ParseError(f"not parsed: parsing took more than {limits.max_parse_cpu_seconds:g}s") from None
    except RecursionError:
        raise ParseError("not parsed: document nested too deeply") from None
    warning = None
    if len(entries) > limits.max_entries:
        warning = f"{len(entries)} entries: kept the newest {limits.max_entries}"
    return ParsedFeed(
        title=_cut(feed["title"], limits.max_title_chars) or "",
        link=_cut(feed["link"], limits.max_url_chars),
        entries=[_raw_entry(e, limits) for e in _newest(entries, limits.max_entries)],
        version=feed["version"],
        warning=warning,
    )


def _budgeted_parse(content: bytes, response_headers: dict[str, str], limits: ParseLimits) -> tuple[Any, str | None]:
    with _watchdog.budget(limits.max_parse_cpu_seconds, limits.max_parse_wall_seconds):
        content, repaired = prepare_bytes(content, response_headers)
        # The summary is never rendered as HTML: normalize turns it into plain text and
        # drops <script>/<style> blocks itself. feedparser's sanitizer and relative-URI
        # rewriting would be a fifth of the parse cost thrown away, so both are off.
        # Plain RSS 2.0 in UTF-8 (most feeds) reads the same without feedparser's
        # per-element Python work; anything else goes to feedparser (monitor.parse.plainrss).
        plain = read_plain_rss(content, response_headers)
        if plain is not None:
            return plain, repaired
        return feedparser.parse(
            io.BytesIO(content),
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        ), repaired


def _trim_entries(content: bytes, cap: int) -> tuple[bytes, int | None]:
    """Cut all but the first and last `cap` entries out of the bytes; None if untouched.

    feedparser costs about a fifth of a millisecond per entry and cannot be told to stop
    after N, so a 20,000-item feed is shortened before it is parsed. Cutting from the end
    of one entry to the end of another keeps the document well-formed.
    """
    ends = [m.end() for m in _ENTRY_END.finditer(content)]
    if len(ends) <= 2 * cap or cap <= 0:
        return content, None
    return content[: ends[cap - 1]] + content[ends[len(ends) - cap - 1] :], len(ends)


def _check_entity_expansion(content: bytes, budget: int) -> None:
    """Refuse documents whose internal entities would expand past `budget` bytes.

    Each entity's full expansion is computed (nested references included), and every
    reference anywhere in the document is counted as one expansion: an over-estimate,
    which is the safe side.
    """
    match = _FIRST_ELEMENT.search(content)
    head = content[: match.start()] if match else content
    if b"<!ENTITY" not in head:
        return
    values = {name: dq or sq for name, dq, sq in _ENTITY_DECL.findall(head)}
    sizes: dict[bytes, int] = {}

    def expanded(name: bytes, depth: int = 0) -> int:
        if name in sizes:
            return sizes[name]
        if depth > 32:
            return budget + 1  # absurd nesting (or a cycle): refuse
        value = values[name]
        size = len(_ENTITY_REF.sub(b"", value))
        for ref in _ENTITY_REF.findall(value):
            if ref in values:
                size += expanded(ref, depth + 1)
            if size > budget:
                break
        sizes[name] = size
        return size

    # One pass over the document counts every reference; counting each declared entity
    # separately would cost declarations x size, itself a way to stall the poll.
    references = Counter(_ENTITY_REF.findall(content))
    total = 0
    for name in values:
        total += references[name] * expanded(name)
        if total > budget:
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
    """The entry's date from the strings as published (published, else updated, else
    created), read by `monitor.parse.dates`; feedparser's own `*_parsed` values are not
    used, since its loose ISO 8601 fallback invents months and days."""
    for key in ("published", "updated", "created"):
        moment = parse_date(entry.get(key))
        if moment is not None:
            return moment
    return None


def _raw_entry(entry: Any, limits: ParseLimits) -> RawEntry:
    link = _cut(entry.get("link"), limits.max_url_chars)
    guid = _cut(entry.get("id"), limits.max_url_chars) or link
    summary = _fullest(entry, limits.max_summary_chars)
    return RawEntry(
        guid=guid,
        link=link,
        title=_cut(entry.get("title"), limits.max_title_chars) or "",
        summary=_cut(summary, limits.max_summary_chars) or "",
        published=_when(entry),
        author=_cut(entry.get("author"), limits.max_author_chars),
    )


_MARKUP = re.compile(r"<[^>]{0,2000}>|&\w{1,10};|&#\w{1,8};|\s+")


def _fullest(entry: Any, limit: int) -> str:
    """The entry's summary or content, whichever carries more text.

    A description is often a teaser ("Read more…") or only a picture while
    content:encoded (Atom <content>) has the article; matching the teaser alone would
    miss what the item is about. Text is measured without markup, on the first `limit`
    characters of each, so the choice stays linear.
    """
    candidates = [entry.get("summary") or ""]
    for part in (entry.get("content") or [])[:4]:
        if hasattr(part, "get"):
            candidates.append(part.get("value") or "")
    if len(candidates) == 1:  # the common case: nothing to choose, nothing to measure
        return candidates[0] if isinstance(candidates[0], str) else ""
    best, best_size = "", -1
    for text in candidates:
        if not isinstance(text, str):
            continue
        size = len(_MARKUP.sub("", text[:limit]))
        if size > best_size:
            best, best_size = text, size
    return best


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


# --- the CPU budget -----------------------------------------------------------------


class ParseTimeout(BaseException):
    """Raised inside a parsing thread whose budget ran out.

    A BaseException, so that feedparser's own ``except Exception`` clauses let it through.
    """


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)


@dataclass
class _Watch:
    ident: int
    clock: int | None
    cpu_start: float
    wall_start: float
    cpu_limit: float
    wall_limit: float
    fired: bool = False


class _Watchdog:
    """Stops parses that run over budget by raising `ParseTimeout` in their thread.

    feedparser is pure Python driven by expat callbacks and regular expressions, so an
    exception set asynchronously on the thread (PyThreadState_SetAsyncExc) arrives within
    moments. The budget counts the parsing thread's own CPU time, so a parse that waits
    for the GIL behind sixteen busy fetch threads is not cut short by their work.
    """

    interval = 0.05

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active: dict[int, _Watch] = {}
        self._next = 0
        self._thread: threading.Thread | None = None

    @contextmanager
    def budget(self, cpu_seconds: float, wall_seconds: float) -> Iterator[None]:
        ident = threading.get_ident()
        try:
            clock: int | None = time.pthread_getcpuclockid(ident)
            cpu_start = time.clock_gettime(clock)
        except (AttributeError, OSError):
            clock, cpu_start = None, 0.0
        watch = _Watch(ident, clock, cpu_start, time.monotonic(), cpu_seconds, wall_seconds)
        with self._cond:
            token = self._next
            self._next += 1
            self._active[token] = watch
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="parse-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                del self._active[token]
                if watch.fired:
                    # Fired but not yet delivered: it must not go off in the caller's code.
                    _clear_async_exc(ident, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._active:
                    self._cond.wait()
                now = time.monotonic()
                for watch in self._active.values():
                    if not watch.fired and self._over(watch, now):
                        watch.fired = True
                        _set_async_exc(watch.ident, ParseTimeout)
            time.sleep(self.interval)

    @staticmethod
    def _over(watch: _Watch, now: float) -> bool:
        if now - watch.wall_start > watch.wall_limit:
            return True
        if watch.clock is None:
            return now - watch.wall_start > watch.cpu_limit
        try:
            return time.clock_gettime(watch.clock) - watch.cpu_start > watch.cpu_limit
        except OSError:
            return False


_watchdog = _Watchdog()
