"""Evidence that an item and a story report one event, and its weights.

Pure, no I/O. `compare` weighs what an item shares with a story: facts that name *this*
event rather than the topic (people and places compared on a consonant skeleton so that
Grisham, غريشام and Гришэм meet; translated places such as the Black Sea by name; numbers
with their scale, "$5bn", "5 مليار", "5 млрд"; calendar dates) and shared wording within
a language. How telling a fact is comes from the candidate stories (`Specificity`: a name
most of them share is the topic, a name one of them has is an event) and from the topic
itself: the names its seed articles and its full-name lexicon forms mention, and the
words of its forms and seeds (`TopicVocabulary`: Turkey, Ankara, Erdoğan, "Hakan Fidan",
"air defence", "tested"), weigh little however few stories are open. It also says
whether the kinds of development agree, whether a rare concept tells the two apart
(another buyer) and how close in time they are. `Tuning` holds every weight in one place.
`monitor.story.grouping` turns the evidence into decisions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable

from monitor.story.features import StoryFeatures, TopicVocabulary, entity_match
from monitor.story.state import StoryState, cosine, vector_norm

NO_VOCABULARY = TopicVocabulary()


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
class Evidence:
    """What an item shares with one story (see `compare`)."""

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


class Specificity:
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


def compare(features: StoryFeatures, story: StoryState, spec: Specificity) -> Evidence:
    """What `features` shares with `story`, weighed by `spec` (built over all candidates).

    `score` is content (facts and wording, each in [0, 1]) plus closeness in time and a
    kind bonus or penalty, scaled by the concept frame and any conflict; it is compared
    with `Tuning.join_score`. Pure; raises nothing for well-formed inputs.
    """
    frame = cosine(features.concepts, story.centroid)
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
    return Evidence(round(score, 4), shared, kinds_agree, frame, facts, max(each, default=0.0),
                     wording, round(content, 4), closeness == TUNING.close_bonus, conflict,
                     rewrite_of_other_kind)


def _concept_conflict(features: StoryFeatures, story: StoryState, spec: Specificity) -> str | None:
    """A rare concept only the item has and one only the story has: different events.

    A report on Saudi Arabia's deal is not one on India's, even when both name Putin and
    a 5 October; rare concepts are the buyer, the law or the other weapon, while the
    concepts of the whole topic (the S-400, Russia) are in nearly every story.
    """
    if spec.total < 3 or not TUNING.concept_conflict:
        return None
    rare = TUNING.rare_concept_share * spec.total
    norm = vector_norm(features.concepts)
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
