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

The text features (`monitor.story.features`) are computed once per item; the story states
and the candidate index live in `monitor.story.state`, the evidence and its weights in
`monitor.story.evidence`; this module decides. Two items join when they are copies of one
text (MinHash over word shingles, within a language) or when there is evidence that they
report one event: facts that name *this* event rather than the topic, and shared wording
within a language (see `monitor.story.evidence`). Time proximity and the topic frame only
add to such evidence; without it (weight `min_evidence`) a busy week would fold every
development of one actor into one story.

One exception, because reports of one event in other languages or words often share no
such fact: within `same_development_hours` of a story's latest report, an item led by the
same actors (the lexicon's `story_actors`) that reports the same kind of development joins;
so does one whose lead names no kind, when it is the only such story and its frame is as
close as `first_pair_frame` (the first reports of one event in two languages). Within a
day, an item that is the first report in its language of the only story of its actors
and kind joins it too (outlets in other languages report the next morning).

A different kind of development (test, delivery, activation, deal, payment, sanctions,
waiver, removal, suspension, talks, expansion, deployment, statement; a reaction is
another development than what it reacts to), a "second" batch, or another buyer is another
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

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

# Text features, state and evidence live in their own modules; the names callers use are
# re-exported here.
from monitor.story.alerting import StoryAlertPolicy, is_breaking, should_alert, update_summary
from monitor.story.evidence import (NO_VOCABULARY, TUNING, Evidence, Specificity, Tuning,
                                    compare)
from monitor.story.features import (MINHASH_SIZE, StoryFeatures, TopicVocabulary, entity_match,
                                    features_for, fold, minhash, minhash_similarity, skeleton,
                                    topic_vocabulary)
from monitor.story.state import (HEADLINE_CHARS, MAX_HEADLINES, MAX_KEYS, MAX_SIGNATURES,
                                 StoryIndex, StoryState, add_item, feature_keys, new_story,
                                 story_keys)

__all__ = [
    "HEADLINE_CHARS", "MAX_HEADLINES", "MAX_KEYS", "MAX_SIGNATURES",
    "MINHASH_SIZE", "NO_VOCABULARY", "StoryAlertPolicy", "StoryDecision", "StoryFeatures",
    "StoryIndex", "StoryState", "TUNING", "TopicVocabulary", "Tuning", "add_item", "assign_story",
    "entity_match", "feature_keys", "features_for", "fold", "is_breaking", "leading_actors",
    "minhash", "minhash_similarity", "new_story", "should_alert", "skeleton", "story_keys",
    "topic_vocabulary", "update_summary",
]


@dataclass(frozen=True)
class StoryDecision:
    story_id: int | None  # None: start a new story
    relation: str  # "duplicate" | "same_event" | "new_development" | "new"
    similarity: float
    reason: str
    related_to: int | None = None  # for "new_development": the story it develops


DUPLICATE_SIMILARITY = 0.4  # estimated shingle Jaccard; light rewrites of wire copy sit above


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
    spec = Specificity(features, candidates, vocabulary)
    scored = sorted(((compare(features, s, spec), s) for s in live),
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


def _join_threshold(features: StoryFeatures, evidence: Evidence, story: StoryState,
                    spec: Specificity) -> float:
    """The score a join with `story` needs; above any score when evidence is lacking."""
    undated = features.event_time is None or story.event_first is None
    threshold = TUNING.undated_join_score if undated else TUNING.join_score
    if undated and evidence.best_fact < TUNING.undated_min_fact and evidence.wording < TUNING.min_wording:
        # Without time to go by, many weak hints (Ankara, Turkey, the US) are not enough:
        # it takes one telling fact (Sinop, Grisham) or much shared wording.
        threshold = max(threshold, evidence.score + 0.01)
    # Only a topic whose own words are known can tell the item's words from the topic's.
    few_wording = (spec.total < 3 and bool(spec.topic_words)
                   and evidence.wording >= TUNING.few_stories_wording)
    if evidence.content < TUNING.min_evidence and not few_wording:
        # Close in time and on the same topic is what a busy week is made of: without a
        # shared fact or wording nothing says the reports tell one event (reports within
        # hours are judged by `_same_development`). With fewer than three stories open a
        # fact weighs only `few_stories_weight`, so some shared wording of the item's own
        # (not the topic's) will do; shared topic names never do.
        threshold = max(threshold, evidence.score + 0.01)
    return threshold


def _sibling_decision(features: StoryFeatures, sibling: tuple[Evidence, StoryState],
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


def _same_development(features: StoryFeatures, scored: list[tuple[Evidence, StoryState]],
                      actors: frozenset[str]) -> tuple[Evidence, StoryState] | None:
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


def _new_language_pair(features: StoryFeatures, scored: list[tuple[Evidence, StoryState]],
                       actors: frozenset[str]) -> tuple[Evidence, StoryState] | None:
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
    if (not TUNING.language_pair_hours or not mine or t is None or not features.kinds
            or features.lang in ("", "und")):  # an unknown language is no new language
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


def _undated_kin(features: StoryFeatures, scored: list[tuple[Evidence, StoryState]],
                 actors: frozenset[str]) -> tuple[Evidence, StoryState] | None:
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
