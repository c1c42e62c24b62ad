"""Story state: what a story keeps of its members, and the index that finds candidates.

Pure, no I/O. A `StoryState` is what the store persists per story (as JSON): counts of the
members' names, numbers, dates, words and kinds of development, their summed concept
vectors, MinHash signatures for near-copies, arrival times for the alert policy and the
latest headlines for update alerts. `new_story`/`add_item` fold an item's
`StoryFeatures` in (returning a new state); `StoryIndex` maps keys (names, numbers,
dates, concepts, signature bands) to story ids, so that an item is compared with the few
stories sharing a key rather than with all. `monitor.story.grouping` decides.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Mapping

from monitor.story.features import StoryFeatures, stable_hash
from monitor.story.features import iso as _iso
from monitor.story.features import parse_iso as _parse_iso
from monitor.story.features import utc as _utc

MAX_SIGNATURES = 16  # member signatures kept for near-duplicate checks
MAX_KEYS = 80  # entity/term keys kept per story (most frequent first)
MAX_HEADLINES = 20  # latest members' headlines kept for update alerts
HEADLINE_CHARS = 160


@dataclass
class StoryState:
    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    item_count: int = 0
    langs: dict[str, datetime] = field(default_factory=dict)  # language -> first seen
    outlets: dict[str, datetime] = field(default_factory=dict)  # outlet -> first seen
    event_first: datetime | None = None  # span of the members' published dates
    event_last: datetime | None = None
    centroid: dict[str, float] = field(default_factory=dict)  # summed concept vectors
    entities: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    dates: dict[str, int] = field(default_factory=dict)
    terms: dict[str, dict[str, int]] = field(default_factory=dict)  # lang -> term -> count
    kinds: dict[str, int] = field(default_factory=dict)  # development markers of members
    ordinals: list[int] = field(default_factory=list)  # "first"/"second"... of its leads
    signatures: list[tuple[str, list[int]]] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)
    recent: list[tuple[datetime, str]] = field(default_factory=list)  # arrivals (burst check)
    related_to: int | None = None  # earlier story this one develops
    # The latest members as (seen at, language, outlet, headline): what an update names.
    headlines: list[tuple[datetime, str, str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("first_seen", "last_seen", "event_first", "event_last"):
            data[key] = _iso(getattr(self, key))
        data["langs"] = {k: _iso(v) for k, v in self.langs.items()}
        data["outlets"] = {k: _iso(v) for k, v in self.outlets.items()}
        data["signatures"] = [[lang, sig] for lang, sig in self.signatures]
        data["recent"] = [[_iso(t), outlet] for t, outlet in self.recent]
        data["headlines"] = [[_iso(t), lang, outlet, title] for t, lang, outlet, title in self.headlines]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "StoryState":
        values = dict(data)
        for key in ("first_seen", "last_seen", "event_first", "event_last"):
            values[key] = _parse_iso(values.get(key))
        values["langs"] = {k: _parse_iso(v) for k, v in values.get("langs", {}).items()}
        values["outlets"] = {k: _parse_iso(v) for k, v in values.get("outlets", {}).items()}
        values["signatures"] = [(lang, list(sig)) for lang, sig in values.get("signatures", [])]
        values["recent"] = [(_parse_iso(t), o) for t, o in values.get("recent", [])]
        values["headlines"] = [(_parse_iso(t), lang, outlet, title)
                               for t, lang, outlet, title in values.get("headlines", [])]
        return cls(**values)


def new_story(story_id: int, features: StoryFeatures, seen_at: datetime, outlet: str,
              related_to: int | None = None) -> StoryState:
    seen_at = _utc(seen_at)
    state = StoryState(id=story_id, title=features.title, first_seen=seen_at, last_seen=seen_at,
                       related_to=related_to)
    return add_item(state, features, seen_at, outlet)


def add_item(state: StoryState, features: StoryFeatures, seen_at: datetime,
             outlet: str) -> StoryState:
    """A new state with the item folded in (the given state is left unchanged)."""
    seen_at = _utc(seen_at)
    new = _copy(state)
    new.item_count += 1
    new.first_seen = min(new.first_seen, seen_at)
    new.last_seen = max(new.last_seen, seen_at)
    new.langs.setdefault(features.lang, seen_at)
    if outlet:
        new.outlets.setdefault(outlet, seen_at)
    if features.event_time is not None:
        new.event_first = min(filter(None, [new.event_first, features.event_time]))
        new.event_last = max(filter(None, [new.event_last, features.event_time]))
    norm = vector_norm(features.concepts)
    for concept, weight in features.concepts.items():
        new.centroid[concept] = round(new.centroid.get(concept, 0.0) + weight / norm, 6)
    _count(new.entities, features.entities)
    _count(new.numbers, features.numbers)
    _count(new.dates, features.dates)
    _count(new.kinds, features.kinds)
    new.ordinals = sorted(set(new.ordinals) | set(features.ordinals))
    new.terms[features.lang] = _cap(_count(dict(new.terms.get(features.lang, {})),
                                           features.terms), MAX_KEYS * 2)
    new.entities = _cap(new.entities, MAX_KEYS)
    new.numbers = _cap(new.numbers, MAX_KEYS // 4)
    new.dates = _cap(new.dates, MAX_KEYS // 4)
    if features.signature and len(new.signatures) < MAX_SIGNATURES:
        new.signatures.append((features.lang, features.signature))
    if features.fingerprint not in new.fingerprints:
        new.fingerprints = (new.fingerprints + [features.fingerprint])[-MAX_SIGNATURES * 4:]
    new.recent = sorted(new.recent + [(seen_at, outlet)])[-50:]
    new.headlines = (new.headlines + [(seen_at, features.lang, outlet,
                                       features.title[:HEADLINE_CHARS])])[-MAX_HEADLINES:]
    return new


# ---------------------------------------------------------------------------
# Candidate index: compare with the few stories that share a key, not with all.

def feature_keys(features: StoryFeatures) -> set[str]:
    """Keys under which an item looks for stories (the store may keep them in a table)."""
    keys = {f"e:{e[:3]}" for e in features.entities}
    keys |= {f"n:{n}" for n in features.numbers} | {f"d:{d}" for d in features.dates}
    keys |= {f"c:{c}" for c in features.concepts}
    sig = features.signature
    keys |= {f"b:{features.lang}:{i}:{stable_hash(str(sig[i:i + 4]))}" for i in range(0, len(sig), 4)}
    return keys


def story_keys(state: StoryState) -> set[str]:
    keys = {f"e:{e[:3]}" for e in state.entities}
    keys |= {f"n:{n}" for n in state.numbers} | {f"d:{d}" for d in state.dates}
    keys |= {f"c:{c}" for c in state.centroid}
    for lang, sig in state.signatures:
        keys |= {f"b:{lang}:{i}:{stable_hash(str(sig[i:i + 4]))}" for i in range(0, len(sig), 4)}
    return keys


COMMON_KEY = 500  # stories sharing one key beyond which the key stops voting


class StoryIndex:
    """In-memory inverted index from keys to story ids (the store can mirror it in SQL)."""

    def __init__(self) -> None:
        self._postings: dict[str, set[int]] = {}
        self._keys: dict[int, set[str]] = {}

    def put(self, state: StoryState) -> None:
        for key in self._keys.pop(state.id, set()):
            self._postings.get(key, set()).discard(state.id)
        keys = story_keys(state)
        self._keys[state.id] = keys
        for key in keys:
            self._postings.setdefault(key, set()).add(state.id)

    def candidate_ids(self, features: StoryFeatures, limit: int = 50) -> list[int]:
        """Story ids sharing the most keys with the item; rare keys count more."""
        votes: dict[int, float] = {}
        # Rarest keys first, ties by key: the same votes in the same order on every run
        # (string hashing, hence set order, differs between processes).
        keyed = sorted(((len(self._postings.get(k, ())), k) for k in feature_keys(features)))
        for _, key in keyed:
            ids = sorted(self._postings.get(key, ()))
            if len(ids) > COMMON_KEY and len(votes) >= limit:
                break  # a key thousands of stories share (a topic concept) adds nothing
            for story_id in ids:
                votes[story_id] = votes.get(story_id, 0.0) + 1.0 / math.log2(2 + len(ids))
        ranked = sorted(votes, key=lambda i: (-votes[i], -i))
        return sorted(ranked[:limit])


# ---------------------------------------------------------------------------
# Helpers

def _copy(state: StoryState) -> StoryState:
    """A copy whose containers can change without touching `state` (faster than JSON)."""
    return replace(
        state, langs=dict(state.langs), outlets=dict(state.outlets), centroid=dict(state.centroid),
        entities=dict(state.entities), numbers=dict(state.numbers), dates=dict(state.dates),
        terms={lang: dict(terms) for lang, terms in state.terms.items()},
        kinds=dict(state.kinds), ordinals=list(state.ordinals),
        signatures=[(lang, list(sig)) for lang, sig in state.signatures],
        fingerprints=list(state.fingerprints), recent=list(state.recent),
        headlines=list(state.headlines))


def _count(counter: dict[str, int], keys: Iterable[str]) -> dict[str, int]:
    for key in keys:
        counter[key] = counter.get(key, 0) + 1
    return counter


def _cap(counter: dict[str, int], size: int) -> dict[str, int]:
    if len(counter) <= size:
        return counter
    kept = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    return dict(sorted(kept))


def vector_norm(vector: Mapping[str, float]) -> float:
    """Euclidean norm of a concept vector; 1.0 for an empty one (safe to divide by)."""
    return math.sqrt(sum(v * v for v in vector.values())) or 1.0


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of two concept vectors in [0, 1] (weights are non-negative)."""
    if not a or not b:
        return 0.0
    dot = sum(w * b.get(k, 0.0) for k, w in a.items())
    return dot / (vector_norm(a) * vector_norm(b))
