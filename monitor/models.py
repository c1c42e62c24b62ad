"""Plain data passed between pipeline stages.

Each stage takes and returns these values and nothing else, so that a stage can be
tested alone and swapped without touching its neighbours:

    fetch -> FetchResult -> parse -> ParsedFeed(RawEntry...) -> normalize -> Item
          -> match -> MatchResult -> story -> StoryDecision -> store -> alert
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FetchResult:
    """What one HTTP fetch produced. `error` is a one-line message when it failed."""

    url: str
    final_url: str
    status: int = 0  # HTTP status; 0 when no response arrived
    content: bytes | None = None  # decoded (gunzipped) body; None on 304 or error
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from Retry-After
    permanent_url: str | None = None  # set when a 301/308 chain moved the feed
    gone: bool = False  # 410 Gone
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class RawEntry:
    """One feed entry as feedparser gave it, before any cleaning."""

    guid: str | None
    link: str | None
    title: str
    summary: str  # HTML or text as published (summary, else first content)
    published: datetime | None  # UTC, from published or updated
    author: str | None = None


@dataclass
class ParsedFeed:
    title: str
    link: str | None
    entries: list[RawEntry]
    ttl_seconds: int | None = None  # RSS <ttl>
    version: str = ""
    warning: str | None = None  # survivable problem feedparser reported (bozo)


@dataclass
class Item:
    """A normalized item: plain text, canonical URL, clamped date, language.

    `url` is the canonical form that identifies the item; `link` is the link as the
    feed published it, the one shown to the analyst.
    """

    guid: str
    url: str
    title: str
    text: str  # plain-text body (summary), without the title
    published: datetime | None
    lang: str  # ISO 639-1 code or "und"
    content_hash: str  # hash of normalized title + text
    author: str | None = None
    link: str | None = None  # as published (absolute), shown in alerts and listings


@dataclass(frozen=True)
class ConceptHit:
    concept: str  # concept id from the lexicon, e.g. "s400"
    form: str  # the surface form that matched, as written in the lexicon
    where: str  # "title" or "body"
    weight: float  # contribution to the score


@dataclass
class MatchResult:
    topic: str
    matched: bool
    score: float
    threshold: float
    hits: list[ConceptHit] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # human sentences, "why"
    concepts: dict[str, float] = field(default_factory=dict)  # concept vector

    def concept_ids(self) -> list[str]:
        return sorted(self.concepts)
