"""Everything per feed that needs no database: parse, normalize, match. Pure.

On a cold poll this is most of the CPU time, so it runs in worker processes
(monitor.parse.pool) where it can use the machine's other cores; the main process keeps
only what needs the store. Matching here decides *whether* an item matches a topic;
language detection and the full, explained match are left to the main process and run
only for the few items that matched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from monitor.topic.context import ANY_LANGUAGE, MatchContext
from monitor.topic.match import Topic, matches
from monitor.models import Item, ParsedFeed
from monitor.parse.normalize import normalize_entry, settle_identities
from monitor.parse.parser import DEFAULT_LIMITS, ParseLimits, parse_feed


@dataclass
class PreparedEntry:
    item: Item  # normalized; `lang` not detected yet
    topics: list[str] = field(default_factory=list)  # names of the topics it matched


@dataclass
class PreparedFeed:
    title: str
    ttl_seconds: int | None
    warning: str | None
    entries: list[PreparedEntry]

    def __reduce__(self):
        # A cold poll sends 50,000 entries from the workers; as rows of plain values they
        # pickle and unpickle in a third of the time the two objects per entry take.
        rows = [(e.item.guid, e.item.url, e.item.title, e.item.text, e.item.published, e.item.lang,
                 e.item.content_hash, e.item.author, e.item.link, e.topics) for e in self.entries]
        return (_feed_from_rows, (self.title, self.ttl_seconds, self.warning, rows))


def _feed_from_rows(title: str, ttl_seconds: int | None, warning: str | None, rows: list[tuple]) -> PreparedFeed:
    return PreparedFeed(title, ttl_seconds, warning, [PreparedEntry(Item(*row[:9]), row[9]) for row in rows])


def prepare_feed(
    content: bytes, headers: Mapping[str, str], url: str, topics: list[Topic], now: datetime,
    limits: ParseLimits = DEFAULT_LIMITS, implies: tuple[str, ...] = (),
) -> PreparedFeed:
    """Parse a fetched body and clean and match its entries. Raises ParseError.

    `implies`: parties the feed implies (its `implies` setting). The language of an
    entry is detected here only when a rule needs it (a party its language implies);
    then `item.lang` keeps it, so that it is not detected twice."""
    parsed: ParsedFeed = parse_feed(content, dict(headers), url, limits)
    items = [normalize_entry(raw, now, detect=False) for raw in parsed.entries]
    settle_identities(items)
    entries = []
    for item in items:
        # A pre-test: where a rule asks for the language of an item that has none, any
        # language counts (ANY_LANGUAGE), so the entry goes on to the exact match in the
        # main process, which detects the language; the workers never load the detector.
        context = MatchContext(feed=url, implies=implies, language=None if item.lang else _any_language)
        matched = [t.name for t in topics if matches(t, item.title, item.text, item.lang, context)]
        entries.append(PreparedEntry(item, matched))
    return PreparedFeed(parsed.title, parsed.ttl_seconds, parsed.warning, entries)


def _any_language() -> str:
    return ANY_LANGUAGE
