"""Story grouping: which story does a matched item belong to?

Pure logic, no I/O, deterministic. The store persists `StoryState` (and may persist
`StoryFeatures`) as JSON and calls, for each matched item in arrival order:

    features = features_for(title, text, lang, published, match.concepts)
    candidates = [states[i] for i in index.candidate_ids(features)]   # or the same in SQL
    decision = assign_story(features, candidates, now, window, actors, vocabulary_of(topic))
    if decision.story_id is None:
        state = new_story(next_id, features, now, outlet, decision.related_to)
    else:
        state = add_item(states[decision.story_id], features, now, outlet)
    index.put(state)

The text features (`monitor.story.features`) are computed once per item; this module keeps
the story states, decides, and holds the alert policy. Two items join when they are copies
of one text (MinHash over word shingles, within a language) or when there is evidence that
they report one event: facts that name *this* event rather than the topic (people and
places compared on a consonant skeleton so that Grisham, غريشام and Гришэм meet; translated
places such as the Black Sea by name; numbers with their scale, "$5bn", "5 مليار", "5 млрд";
calendar dates) and shared wording within a language. How telling a fact is comes from the
candidate stories (a name most of them share is the topic, a name one of them has is an
event) and from the topic itself: the names its seed articles and its full-name lexicon
forms mention, and the words of its forms and seeds (`TopicVocabulary`: Turkey, Ankara,
Erdoğan, "Hakan Fidan", "air defence", "tested"), weigh little however few stories are
open. Time proximity and the topic frame only add to such
evidence; without it (weight `min_evidence`) a busy week would fold every development of
one actor into one story.

One exception, because reports of one event in other languages or words often share no
such fact: within `same_development_hours` of a story's latest report, an item led by the
same actors (the lexicon's `story_actors`) that reports the same kind of development joins;
so does one whose lead names no kind, when it is the only such story and its frame is as
close as `first_pair_frame` (the first reports of one event in two languages).

A different kind of development (test, delivery, deal, sanctions, removal, suspension,
talks, expansion, deployment, statement), a "second" batch, or another buyer is another
event: it starts a new story, linked to the story it develops (`related_to`) and alerting
as new. Conflicting evidence holds a join back: a rare concept only the item has against
one only the story has (another buyer: Saudi Arabia, not India), or one that none of a
well-reported story's items has.

Time: an item's event time is its published date, else the latest full date its text
states. Two dated reports more than `window` apart are different events. An undated item
has no trustworthy time (a replayed backlog or a republishing feed gives it the time it
was fetched), so it joins only on stronger evidence, including one telling fact; or,
when the story is undated too, on the same leading actors, kind of development and frame
with some shared wording and no conflict. A dated item that shares a telling fact and most
of a story's wording is a rewrite: the kind its first sentence recalls does not hold it back.

`should_alert`, `is_breaking` and `update_summary` turn a story's state into alert
decisions and text (an update names the new reports' headlines and languages); the caller
keeps when it last alerted.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

# Text features live in monitor.story.features; the names callers use are re-exported here.
from monitor.story.alerting import StoryAlertPolicy, is_breaking, should_alert, update_summary
from monitor.story.features import (MINHASH_SIZE, StoryFeatures, TopicVocabulary, entity_match,
                                    features_for, fold, minhash, minhash_similarity, skeleton,
                                    stable_hash, topic_vocabulary)
from monitor.story.features import iso as _iso
from monitor.story.features import parse_iso as _parse_iso
from monitor.story.features import utc as _utc

__all__ = [
    "MINHASH_SIZE", "NO_VOCABULARY", "StoryAlertPolicy", "StoryDecision", "StoryFeatures",
    "StoryIndex", "StoryState", "TUNING", "TopicVocabulary", "Tuning", "add_item", "assign_story",
    "entity_match", "feature_keys", "features_for", "fold", "is_breaking", "minhash",
    "minhash_similarity", "new_story", "should_alert", "skeleton", "story_keys",
    "topic_vocabulary", "update_summary",
]

NO_VOCABULARY = TopicVocabulary()

# ---------------------------------------------------------------------------
# Story state

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
    norm = _norm(features.concepts)
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
# Deciding

@dataclass(frozen=True)
class StoryDecision:
    story_id: int | None  # None: start a new story
    relation: str  # "duplicate" | "same_event" | "new_development" | "new"
    similarity: float
    reason: str
    related_to: int | None = None  # for "new_development": the story it develops


DUPLICATE_SIMILARITY = 0.4  # estimated shingle Jaccard; light rewrites of wire copy sit above


@dataclass(frozen=True)
class Tuning:
    """The weights of the evidence; one place, so that the bench can show their effect."""

    join_score: float = 0.5
    undated_join_score: float = 0.65  # an undated item's time says nothing: facts must say more
    name: float = 0.8  # a shared name of four or more consonants
    short_name: float = 0.8  # three consonants may be chance
    arabic_guess: float = 0.5  # factor for names guessed in Arabic script
    number: float = 0.8
    date: float = 0.6
    idf_power: float = 1.0
    few_stories_weight: float = 0.2  # fact weight while fewer than 3 stories are open ...
    few_stories_name: float = 0.6  # ... and a name's, unless the topic's vocabulary has it
    close_days: float = 2.0
    close_bonus: float = 0.45  # both dated within close_days
    window_bonus: float = 0.2  # both dated within the window
    kind_bonus: float = 0.1
    kind_penalty: float = 0.4
    frame_floor: float = 0.5  # score factor for an unrelated concept frame
    undated_min_fact: float = 0.4  # the strongest shared fact must weigh this much ...
    min_wording: float = 0.5  # ... or the shared wording this much
    # Conflicting rare concepts (another buyer) scale the score down; with fewer than
    # 1 / rare_concept_share stories open no concept counts as rare.
    concept_conflict: bool = True
    rare_concept_share: float = 0.15  # concepts in at most this share of stories are rare
    conflict_weight: float = 0.05  # share of the concept vector a conflicting concept needs
    conflict_factor: float = 0.6  # score factor for a conflict
    one_sided_members: int = 4  # items a story needs before a concept none has conflicts
    name_by_language: bool = True  # a name common in the item's language is the topic
    lang_min_stories: int = 3  # stories in that language needed to judge
    kind_confident: int = 2  # members that must share a kind before it can conflict
    undated_kin: bool = True  # undated item and story: same actors, kind and frame join
    kin_frame: float = 0.9  # frame similarity such a join needs ...
    kin_wording: float = 0.15  # ... and shared wording (so the same language)
    rewrite_fact: float = 0.8  # a fact this telling and ...
    rewrite_wording: float = 0.8  # ... this much shared wording: kinds cannot conflict
    # A join by score needs evidence that the reports tell one event: shared facts or
    # wording of this weight. Time proximity only adds to such evidence, never replaces it.
    min_evidence: float = 0.5
    # With fewer than 3 stories open no fact can be weighed against the others; shared
    # wording within a language (the topic's own words excluded) still can.
    few_stories_wording: float = 0.3
    # Within this many hours of a story's latest report, the same kind of development by
    # the same actors joins without shared facts (reports in other languages or words) ...
    same_development: bool = True
    same_development_hours: float = 3.0
    # ... and so does a report whose lead names no kind, when the story is the only one of
    # its actors in those hours and the concept frames are this close (the first reports
    # of one event in two languages).
    first_pair: bool = True
    first_pair_frame: float = 0.85
    # ... and, within this many hours, the first report in another language of the one
    # story of the same actors and kind (outlets in other languages report hours later).
    language_pair_hours: float = 24.0
    decisive_kinds: bool = True  # any kind of the story's, not only a confident one, conflicts
    topic_name: float = 0.1  # most a name of the topic itself (its lexicon, its seeds) weighs


TUNING = Tuning()


@dataclass
class _Evidence:
    score: float
    shared: list[str]
    kinds_agree: bool | None
    frame: float
    facts: float
    best_fact: float  # the strongest single shared fact
    wording: float  # shared wording, same language only
    content: float = 0.0  # facts and wording together: the evidence of one event
    close: bool = False  # both dated within close_days
    conflict: str | None = None  # rare concepts that tell the item and the story apart
    rewrite: bool = False  # its lead's kind differs, but it rewrites the story's reports


class _Specificity:
    """How specific a name, word, number or date is to one event rather than to the topic.

    Every report on the topic mentions Turkey, Russia and the S-400; only reports of one
    event mention Sinop or Grisham. Weights are inverse document frequencies over the open
    candidate stories (in [0, 1]), so they come from the stories themselves.
    """

    def __init__(self, features: StoryFeatures, stories: list[StoryState],
                 vocabulary: TopicVocabulary = NO_VOCABULARY) -> None:
        self.total = len(stories)
        self.topic_words = vocabulary.words
        named = _buckets(vocabulary.names)
        self.topic_names = {e for e in features.entities
                            if any(entity_match(e.lstrip("~"), k) for k in named.get(e.lstrip("~")[:3], ()))}
        # Matching names share their first three letters: bucket them so that each name
        # is compared with a handful of keys, not with every key of every story.
        buckets = [(s.id, _buckets(s.entities)) for s in stories]
        self.entity_hits = {
            e: {sid for sid, b in buckets
                if any(entity_match(e, k) for k in b.get(e.lstrip("~")[:3], ()))}
            for e in features.entities}
        self.entity_df = {e: len(ids) for e, ids in self.entity_hits.items()}
        # Most stories in other scripts cannot show a name the way this item spells it
        # (Турция, تركيا for Turkey): a name is also weighed among the stories that have
        # items in the item's language, where a topic name (Turkey, Ankara) is common.
        same_lang = {s.id for s in stories if features.lang in s.terms}
        self.lang_total = len(same_lang)
        self.entity_lang_df = {e: len(ids & same_lang) for e, ids in self.entity_hits.items()}
        self.term_df = {t: sum(1 for s in stories if t in s.terms.get(features.lang, ()))
                        for t in features.terms}
        self.number_df = {n: sum(1 for s in stories if n in s.numbers) for n in features.numbers}
        self.date_df = {d: sum(1 for s in stories if d in s.dates) for d in features.dates}
        # Concepts too: on a topic about the S-400, "s400" and "russia" are in nearly every
        # story; a buyer ("saudi_arabia") or a law ("caatsa") is in few (see _concept_conflict).
        concept_df: dict[str, int] = {}
        for s in stories:
            for c in s.centroid:
                concept_df[c] = concept_df.get(c, 0) + 1
        self.concept_df = concept_df

    def name_weight(self, key: str) -> float:
        if self.total < 3 and key not in self.topic_names:
            # Too few stories to weigh a name by; the topic's vocabulary still tells its own
            # names (Turkey, Ankara, Erdoğan) from an event's (Sinop, Grisham, King Salman).
            return TUNING.few_stories_name
        weight = self.weight(self.entity_df[key])
        if key in self.topic_names:
            weight = min(weight, TUNING.topic_name)
        if TUNING.name_by_language and self.lang_total >= TUNING.lang_min_stories:
            weight = min(weight, self.weight(self.entity_lang_df[key], self.lang_total))
        return weight

    def term_weight(self, term: str) -> float:
        # Only stories with items in the item's language can show its words: among them
        # the topic's vocabulary (tested, air defence, Russian-made) is common.
        # Too few stories to weigh words by: all count alike (wording is a share of the
        # item's words), except the topic's own.
        weight = self.weight(self.term_df[term], self.lang_total) if self.lang_total >= 3 else 1.0
        return min(weight, TUNING.topic_name) if term in self.topic_words else weight

    def weight(self, df: int, total: int | None = None) -> float:
        total = self.total if total is None else total
        if total < 3:
            return TUNING.few_stories_weight  # too few stories to tell topic words from facts
        # IDF scaled to [0, 1]: a name in one story of thirty counts fully, one in most
        # of them (Ankara, Russian) hardly at all.
        idf = max(0.0, math.log((total + 1) / max(df, 1)) / math.log(total + 1))
        return idf ** TUNING.idf_power


def _buckets(keys: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in keys:
        out.setdefault(key.lstrip("~")[:3], []).append(key)
    return out


def _name_strength(key: str) -> float:
    """A long skeleton is a name; three consonants may be chance; an Arabic guess is half."""
    strength = TUNING.name if len(key.lstrip("~")) >= 4 else TUNING.short_name
    return strength * TUNING.arabic_guess if key.startswith("~") else strength


def _compare(features: StoryFeatures, story: StoryState, spec: _Specificity) -> _Evidence:
    frame = _cosine(features.concepts, story.centroid)
    entities = sorted((e for e, ids in spec.entity_hits.items() if story.id in ids),
                      key=lambda e: len(spec.entity_hits[e]))
    numbers = [n for n in features.numbers if n in story.numbers]
    dates = [d for d in features.dates if d in story.dates]
    each = ([_name_strength(e) * spec.name_weight(e) for e in entities]
            + [TUNING.number * spec.weight(spec.number_df[n]) for n in numbers]
            + [TUNING.date * spec.weight(spec.date_df[d]) for d in dates])
    facts = min(1.0, sum(each))
    story_terms = story.terms.get(features.lang, {})
    lexical = 0.0
    if story_terms and features.terms:
        total = sum(spec.term_weight(t) for t in features.terms)
        common = sum(spec.term_weight(t) for t in features.terms if t in story_terms)
        lexical = common / total if total else 0.0
    confident = {k for k, n in story.kinds.items()
                 if n >= TUNING.kind_confident and 2 * n >= story.item_count}
    story_kinds = {k for k, n in story.kinds.items() if 2 * n >= story.item_count}
    wording = min(1.0, 2 * lexical)
    if not confident and max(each, default=0.0) < TUNING.undated_min_fact and wording < TUNING.min_wording:
        # Without a telling fact, even one report's kind of development is the best guide:
        # "Turkey removed from the F-35" is not "Turkey switches on its S-400".
        confident = story_kinds
    # A dated item sharing a telling fact and most of the wording is a rewrite of the
    # story's reports, whatever its first sentence recalls ("India had signed a deal" before
    # the delivery); an undated one may retell an older event, so its kinds still count.
    rewrite = (features.event_time is not None and max(each, default=0.0) >= TUNING.rewrite_fact
               and wording >= TUNING.rewrite_wording)
    # A different kind of development (a removal after a delivery, sanctions after a
    # test) is another event of the same actors, whatever the names and time they share;
    # a story without a majority kind is judged by all its members' kinds.
    known_kinds = story_kinds or set(story.kinds)
    kinds_agree = None
    if features.kinds and known_kinds & set(features.kinds):
        kinds_agree = True
    elif features.kinds and (known_kinds if TUNING.decisive_kinds else confident) and not rewrite:
        kinds_agree = False
    if (kinds_agree is True and not rewrite and known_kinds
            and ("statement" in features.kinds) != ("statement" in known_kinds)):
        # A reaction names what it reacts to ("Ankara condemns the sanctions"): it is the
        # reaction, another development than the sanctions themselves.
        kinds_agree = False
    conflict = _concept_conflict(features, story, spec)
    closeness = 0.0
    t = features.event_time
    if t is not None and story.event_first is not None:
        gap = max(story.event_first - t, t - story.event_last, timedelta(0))
        close = gap <= timedelta(days=TUNING.close_days)
        closeness = TUNING.close_bonus if close else TUNING.window_bonus
    # The frame scales the rest: facts shared by reports on different countries or weapons
    # are more likely coincidences (a "5 billion" deal, a Putin visit).
    floor = TUNING.frame_floor
    gate = floor + (1 - floor) * min(1.0, max(0.0, (frame - 0.3) / 0.5))
    if story_terms:
        # Same language: shared wording and shared facts back each other up.
        content = 0.7 * max(facts, wording) + 0.3 * min(facts, wording)
    else:
        content = facts  # across languages only the facts can be compared
    score = content + closeness
    if kinds_agree is True:
        score += TUNING.kind_bonus
    elif kinds_agree is False:
        score -= TUNING.kind_penalty
    score *= gate
    if conflict:
        score *= TUNING.conflict_factor
    named = [e for e in entities if e not in spec.topic_names]  # the topic's own say nothing
    shared = ([f"name {e.lstrip('~')}" for e in named[:4]] + [f"number {n}" for n in numbers[:2]]
              + [f"date {d}" for d in dates[:2]])
    rewrite_of_other_kind = (rewrite and bool(features.kinds) and bool(confident)
                             and not story_kinds & set(features.kinds))
    return _Evidence(round(score, 4), shared, kinds_agree, frame, facts, max(each, default=0.0),
                     wording, round(content, 4), closeness == TUNING.close_bonus, conflict,
                     rewrite_of_other_kind)


def _concept_conflict(features: StoryFeatures, story: StoryState, spec: _Specificity) -> str | None:
    """A rare concept only the item has and one only the story has: different events.

    A report on Saudi Arabia's deal is not one on India's, even when both name Putin and
    a 5 October; rare concepts are the buyer, the law or the other weapon, while the
    concepts of the whole topic (the S-400, Russia) are in nearly every story.
    """
    if spec.total < 3 or not TUNING.concept_conflict:
        return None
    rare = TUNING.rare_concept_share * spec.total
    norm = _norm(features.concepts)
    mine = [c for c, w in features.concepts.items()
            if w / norm >= TUNING.conflict_weight and spec.concept_df.get(c, 0) <= rare
            and c not in story.centroid]
    if not mine:
        return None
    theirs = [c for c, w in story.centroid.items()
              if w / story.item_count >= TUNING.conflict_weight
              and spec.concept_df.get(c, 0) <= rare and c not in features.concepts]
    if theirs:
        return f"{min(mine)} rather than {min(theirs)}"
    if story.item_count >= TUNING.one_sided_members:
        # Many reports of the story and none mentions it: a different event.
        return f"{min(mine)}, which none of its {story.item_count} items has"
    return None


def _within_hours(features: StoryFeatures, story: StoryState) -> bool:
    """Reported within `same_development_hours` of the story's latest report."""
    t = features.event_time
    if t is None or story.event_last is None:
        return False
    return abs(t - story.event_last) <= timedelta(hours=TUNING.same_development_hours)


def _in_window(features: StoryFeatures, story: StoryState, window: timedelta) -> bool:
    t = features.event_time
    if t is None or story.event_first is None:
        return True
    return story.event_first - window <= t <= story.event_last + window


def leading_actors(vector: Mapping[str, float], actors: frozenset[str]) -> frozenset[str]:
    """The actor concepts a vector is mostly about: within half the strongest one."""
    present = {a: vector[a] for a in actors if vector.get(a, 0) > 0}
    if not present:
        return frozenset()
    top = max(present.values())
    return frozenset(a for a, w in present.items() if w >= 0.5 * top)


def assign_story(features: StoryFeatures, candidates: list[StoryState], now: datetime,
                 window: timedelta, actors: frozenset[str] = frozenset(),
                 vocabulary: TopicVocabulary = NO_VOCABULARY) -> StoryDecision:
    """Pick the story an item joins, or say why it starts a new one.

    `candidates` are the stories worth comparing (see `StoryIndex`). `now` is the arrival
    time; it does not gate the join: arrival order in a backlog, a replay or a republishing
    feed says little about when an event happened (on the dev set, windowing undated items
    by arrival caps recall near 0.57 even for a perfect matcher). The caller passes it on
    to `new_story`/`add_item`, which keep arrival times for the alert policy. Stories are
    tried best-first and ties go to the lower id, so the result does not depend on the
    order of `candidates`.

    `actors` are the topic's actor concepts (the lexicon's `story_actors`): a story led by
    other actors than the item (India's delivery, Turkey's purchase) is never joined,
    however close in time and words: a wrong merge would hide an event's alert.
    `vocabulary` is the topic's own names and words (`features.vocabulary_of(topic)`),
    which are no evidence that two reports tell one event.
    """
    live = sorted((s for s in candidates if _in_window(features, s, window)), key=lambda s: s.id)
    mine = leading_actors(features.concepts, actors)
    if mine:
        live = [s for s in live if not (leading_actors(s.centroid, actors) or mine).isdisjoint(mine)]
    # 1. A copy of a member's text, in the same language.
    best_dup: tuple[float, StoryState] | None = None
    for story in live:
        if features.fingerprint in story.fingerprints:
            return StoryDecision(story.id, "duplicate", 1.0,
                                 f"Same text as an item of story {story.id}.")
        for lang, sig in story.signatures:
            if lang == features.lang:
                sim = minhash_similarity(features.signature, sig)
                if sim >= DUPLICATE_SIMILARITY and (best_dup is None or sim > best_dup[0]):
                    best_dup = (sim, story)
    if best_dup is not None:
        sim, story = best_dup
        return StoryDecision(story.id, "duplicate", round(sim, 3),
                             f"Near-copy ({sim:.0%} of word sequences shared) of an item of "
                             f"story {story.id} in {features.lang}.")
    # 2. The same event, told in other words or another language.
    # Specificity over every candidate, in the window or not: how common a name is on the
    # topic does not depend on when the item appeared.
    spec = _Specificity(features, candidates, vocabulary)
    scored = sorted(((_compare(features, s, spec), s) for s in live),
                    key=lambda pair: (-pair[0].score, pair[1].id))
    if not scored:
        return StoryDecision(None, "new", 0.0, "No open story shares its concepts or names.")
    evidence, story = scored[0]
    threshold = _join_threshold(features, evidence, story, spec)
    why = ", ".join(evidence.shared) or "topic concepts only"
    if evidence.score >= threshold and _other_step(features, story):
        # "A second batch landed": the same kind of development again is a new step,
        # unless another story already tells this step (its first report in another
        # language), by evidence or within hours.
        for other_evidence, other in scored[1:]:
            if (not _other_step(features, other) and other_evidence.kinds_agree is not False
                    and other_evidence.score >= _join_threshold(features, other_evidence, other, spec)):
                return StoryDecision(other.id, "same_event", other_evidence.score,
                                     f"Same event as story {other.id} (score "
                                     f"{other_evidence.score:.2f}), the same step; story "
                                     f"{story.id} tells another.")
        sibling = _same_development(features, scored, actors)
        if sibling is not None:
            return _sibling_decision(features, sibling, mine, why)
        return StoryDecision(None, "new_development", evidence.score,
                             f"Continues story {story.id} ({why}) but reports development "
                             f"no. {'/'.join(map(str, features.ordinals))} after no. "
                             f"{'/'.join(map(str, story.ordinals))}.", related_to=story.id)
    if evidence.score >= threshold and evidence.kinds_agree is not False:
        rewrite = (f"; a dated rewrite of its reports, so its lead's "
                   f"{'/'.join(features.kinds)} does not count" if evidence.rewrite else "")
        return StoryDecision(story.id, "same_event", evidence.score,
                             f"Same event as story {story.id} (score {evidence.score:.2f}): "
                             f"{why}{rewrite}.")
    # 3. Within hours: the same kind of development by the same actors.
    sibling = _same_development(features, scored, actors)
    if sibling is not None:
        return _sibling_decision(features, sibling, mine, why)
    # 3b. Within a day: the first report in another language of the one story of its
    # actors and kind.
    pair = _new_language_pair(features, scored, actors)
    if pair is not None:
        pair_evidence, pair_story = pair
        return StoryDecision(pair_story.id, "same_event", pair_evidence.score,
                             f"Same event as story {pair_story.id}: its first report in "
                             f"{features.lang}, both led by {'/'.join(sorted(mine))} and "
                             f"reporting {'/'.join(sorted(set(features.kinds) & set(pair_story.kinds)))}"
                             f", the only such story within {TUNING.language_pair_hours:g} "
                             f"hours; nothing conflicts ({why}).")
    # 4. Neither side dated: the same actors, kind of development and frame, nothing in conflict.
    kin = _undated_kin(features, scored, actors)
    if kin is not None:
        kin_evidence, kin_story = kin
        return StoryDecision(kin_story.id, "same_event", kin_evidence.score,
                             f"Same event as story {kin_story.id}: neither is dated, both are "
                             f"led by {'/'.join(sorted(leading_actors(kin_story.centroid, actors)))} "
                             f"and report {'/'.join(sorted(set(features.kinds) & set(kin_story.kinds)))}"
                             f" (frame {kin_evidence.frame:.2f}), and no fact or concept conflicts.")
    # 5. Same frame and facts or actors, but another kind of development or new telling
    # facts: a new story, linked to the one it develops.
    same_actors = bool(mine) and leading_actors(story.centroid, actors) == mine
    related = evidence.frame >= 0.7 and (evidence.facts >= 0.5 or same_actors)
    if evidence.kinds_agree is False and related:
        return StoryDecision(None, "new_development", evidence.score,
                             f"Develops story {story.id} ({why}) but reports "
                             f"{'/'.join(features.kinds)} rather than "
                             f"{'/'.join(sorted(story.kinds))}.", related_to=story.id)

    return StoryDecision(None, "new", evidence.score,
                         f"Closest story {story.id} scores {evidence.score:.2f} "
                         f"(needs {threshold:.2f}): {why}"
                         + (f"; concepts differ: {evidence.conflict}." if evidence.conflict else "."))


def _join_threshold(features: StoryFeatures, evidence: _Evidence, story: StoryState,
                    spec: _Specificity) -> float:
    """The score a join with `story` needs; above any score when evidence is lacking."""
    undated = features.event_time is None or story.event_first is None
    threshold = TUNING.undated_join_score if undated else TUNING.join_score
    if undated and evidence.best_fact < TUNING.undated_min_fact and evidence.wording < TUNING.min_wording:
        # Without time to go by, many weak hints (Ankara, Turkey, the US) are not enough:
        # it takes one telling fact (Sinop, Grisham) or much shared wording.
        threshold = max(threshold, evidence.score + 0.01)
    few_wording = spec.total < 3 and evidence.wording >= TUNING.few_stories_wording
    if evidence.content < TUNING.min_evidence and not few_wording:
        # Close in time and on the same topic is what a busy week is made of: without a
        # shared fact or wording nothing says the reports tell one event (reports within
        # hours are judged by `_same_development`). With fewer than three stories open a
        # fact weighs only `few_stories_weight`, so some shared wording of the item's own
        # (not the topic's) will do; shared topic names never do.
        threshold = max(threshold, evidence.score + 0.01)
    return threshold


def _sibling_decision(features: StoryFeatures, sibling: tuple[_Evidence, StoryState],
                      mine: frozenset[str], why: str) -> StoryDecision:
    sib_evidence, sib_story = sibling
    shared_kinds = sorted(set(features.kinds) & set(sib_story.kinds))
    what = (f"reporting {'/'.join(shared_kinds)}" if shared_kinds else
            f"in one frame ({sib_evidence.frame:.2f}), the only such story")
    return StoryDecision(sib_story.id, "same_event", sib_evidence.score,
                         f"Same event as story {sib_story.id}: reported within "
                         f"{TUNING.same_development_hours:g} hours of its latest report, "
                         f"both led by {'/'.join(sorted(mine))} and {what}; nothing "
                         f"conflicts ({why}).")


def _same_development(features: StoryFeatures, scored: list[tuple[_Evidence, StoryState]],
                      actors: frozenset[str]) -> tuple[_Evidence, StoryState] | None:
    """The best story that reports the same kind of development by the same actors within
    `same_development_hours` of the item.

    Reports of one event in other languages or other words often share no fact the topic
    does not have (the Portuguese "exclusão da Turquia" the hour the English reports of
    Turkey's removal appear); two developments of one kind by one actor within hours are
    rare, while reports of one are the rule. Hours, not days: a busy week brings Turkey's
    radar test and its Black Sea test within a day of each other. When the item's lead or
    the story names no kind, the story must be the only one of the item's actors within
    those hours, with no conflicting concept and frames at least `first_pair_frame` alike.
    """
    mine = leading_actors(features.concepts, actors)
    if not TUNING.same_development or not mine or features.event_time is None:
        return None
    unsure = []
    for evidence, story in scored:  # best first
        if (evidence.kinds_agree is not False and _within_hours(features, story)
                and leading_actors(story.centroid, actors) == mine
                and not _other_step(features, story)):
            if evidence.kinds_agree is True:
                return evidence, story
            if evidence.conflict is None and evidence.frame >= TUNING.first_pair_frame:
                unsure.append((evidence, story))
    # Without a kind to compare (a headline on Ankara weighing options) only the one
    # story of its actors within those hours will do.
    return unsure[0] if len(unsure) == 1 and TUNING.first_pair else None


def _other_step(features: StoryFeatures, story: StoryState) -> bool:
    """The lead counts another step than the story's ("the second battery" after "the first
    parts"): the same kind of development again, another event."""
    return bool(features.ordinals and story.ordinals
                and not set(features.ordinals) & set(story.ordinals))


def _new_language_pair(features: StoryFeatures, scored: list[tuple[_Evidence, StoryState]],
                       actors: frozenset[str]) -> tuple[_Evidence, StoryState] | None:
    """The story whose event this item reports first in its language, within a day.

    Outlets in other languages report an event hours after the first reports (the next
    morning in Moscow or Istanbul), often with no fact the topic does not have. Such an
    item joins when exactly one story of its leading actors reports its kind of
    development within `language_pair_hours`, that story has no report in the item's
    language yet, the frames are as close as `first_pair_frame`, the step (first,
    second...) is the same and no concept conflicts. A second story of the same actors
    and kind in that day leaves it alone: a busy day is then possible.
    """
    mine = leading_actors(features.concepts, actors)
    t = features.event_time
    if not TUNING.language_pair_hours or not mine or t is None or not features.kinds:
        return None
    span = timedelta(hours=TUNING.language_pair_hours)
    kin = [(e, s) for e, s in scored
           if e.kinds_agree is True and leading_actors(s.centroid, actors) == mine
           and s.event_last is not None and abs(t - s.event_last) <= span]
    if len(kin) != 1:
        return None
    evidence, story = kin[0]
    if (features.lang in story.langs or evidence.conflict is not None
            or evidence.frame < TUNING.first_pair_frame or _other_step(features, story)):
        return None
    return evidence, story


def _undated_kin(features: StoryFeatures, scored: list[tuple[_Evidence, StoryState]],
                 actors: frozenset[str]) -> tuple[_Evidence, StoryState] | None:
    """The best undated story that reports the same development by the same actors.

    Two undated reports share no time to tell them apart or together; when they are led by
    the same actors, report the same kind of development in the same frame and nothing
    conflicts (another buyer, another weapon), keeping them apart would split the event
    over outlets that merely word it differently.
    """
    if not TUNING.undated_kin or features.event_time is not None or not features.kinds:
        return None
    mine = leading_actors(features.concepts, actors)
    if not mine:
        return None
    for evidence, story in scored:  # best first
        if (story.event_first is None and evidence.kinds_agree is True
                and not _other_step(features, story)
                and evidence.conflict is None and evidence.frame >= TUNING.kin_frame
                and evidence.wording >= TUNING.kin_wording
                and leading_actors(story.centroid, actors) == mine):
            return evidence, story
    return None


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


def _norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vector.values())) or 1.0


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(w * b.get(k, 0.0) for k, w in a.items())
    return dot / (_norm(a) * _norm(b))
