"""What surrounds the words of an item: the parties a reader takes for granted, and
where in the item the topic is. Pure code used by monitor.topic.match.

Implied parties (lexicon [context.<party>] blocks): a Turkish headline "NATO'dan S-400
açıklaması" leaves Turkey unsaid because its readers know. A party is implied by the feed
(its `implies` setting), by a name that points at it (an official's surname, an
institution), or by the item's language, never when the item names another party that
would be the subject (`unless`: names, or expressions like a rule's). It then counts for the rules as if named, never for the
score; the explanation says where it came from. The language is asked for (and, for an
item without one, detected) only when the party would make a rule hold.

Where the topic is (lexicon [topic] subject, frame, lead_words, subject_share): the
subject named in the title or the lead carries the item; named once deep in an item about
something else it is a passing mention and carries no rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from monitor.topic.lexicon import Concept, Lexicon

TITLE, BODY = "title", "body"
UNKNOWN_LANG = "und"
# What a cheap pre-test may answer when asked for a language it does not want to detect:
# every language, so that a party a language implies counts. The pre-test then keeps every
# item that could match once its language is known, and the exact match (with the language
# detected) decides. Parse workers use it, so langdetect's profiles (~60 MB) load in the
# main process only.
ANY_LANGUAGE = "*"


@dataclass
class Place:
    """Where a concept occurs: how often, and its first occurrence (title or body, word
    index within that part)."""

    count: int
    where: str
    position: int
    last: tuple[str, int] = ("", -1)


class LazyLanguage:
    """The item's language, detected on first use and remembered: `detect(text)` runs
    at most once, and only if a rule needs the language (see MatchContext)."""

    def __init__(self, detect: Callable[[str], str], text: str) -> None:
        self._detect, self._text, self._lang = detect, text, None

    def __call__(self) -> str:
        if self._lang is None:
            self._lang = self._detect(self._text) or UNKNOWN_LANG
        return self._lang

    @property
    def detected(self) -> str | None:
        """The language if it was detected, else None."""
        return self._lang


@dataclass(frozen=True)
class MatchContext:
    """What surrounds an item: its feed, the parties the feed implies (concept ids,
    from the feed's `implies` configuration) and, for an item whose language is not
    known, a zero-argument callable that detects it (LazyLanguage)."""

    feed: str = ""
    implies: tuple[str, ...] = ()
    language: Callable[[], str] | None = None


@dataclass
class Implied:
    party: str
    label: str
    source: str  # where it came from, for people


_LEAD_MIN = 20  # words: a lead is at least a sentence or two


_DENIAL_WINDOW = 12  # words between a single deep mention and the denial beside it


def _denied(lexicon: Lexicon, places: dict[str, Place], subject: list[str]) -> bool:
    """A single deep mention of the subject with a denial beside it ("the S-400 was not
    discussed"): the party in the title does not make it the item's subject."""
    if sum(places[cid].count for cid in subject) != 1:
        return False
    (mention,) = [places[cid] for cid in subject]
    return any(
        cid in places and places[cid].where == mention.where
        and abs(places[cid].position - mention.position) <= _DENIAL_WINDOW
        for cid in lexicon.denial
    )


def passing(lexicon: Lexicon, places: dict[str, Place], body_words: int, has_title: bool) -> dict[str, str]:
    """Subject concepts named only in passing -> why.

    The subject (the concepts of the lexicon's [topic] subject: S-400, F-35, CAATSA) is
    what the item is about when one of them is in the title or the lead (the first
    lead_words words of the body; under a title, at most the first half of a short body,
    at least _LEAD_MIN words), or when past the lead they are named more than once
    and make up a share of the body's words of at least subject_share. When not, and
    neither the title nor the lead names a party to the trade (lexicon [topic] frame),
    the item is about something else and its mentions of the subject are in passing. A
    party named early does not help a single mention that a denial stands beside
    (lexicon [topic] denial: "the S-400 was not discussed")."""
    subject = [cid for cid in lexicon.subject if cid in places]
    if not subject:
        return {}
    lead = lexicon.lead_words
    if has_title:
        # Under a title, a short excerpt's lead is its first half, never less than
        # _LEAD_MIN words: in a 60-word summary the closing sentence is not the lead.
        lead = min(lead, max(_LEAD_MIN, body_words // 2))

    def early(place: Place) -> bool:
        return place.where == TITLE or place.position < lead

    if any(early(places[cid]) for cid in subject):
        return {}  # the item is about the topic: nothing is in passing
    body_words = max(body_words, 1)
    mentions = sum(places[cid].count for cid in subject)
    if mentions > 1 and mentions / body_words >= lexicon.subject_share:
        return {}
    if any(cid in places and early(places[cid]) for cid in lexicon.frame) and not _denied(lexicon, places, subject):
        return {}
    where = "the title and " if has_title else ""
    return {
        cid: (f"named {places[cid].count}x, first at word {places[cid].position + 1} of {body_words} of the body "
              f"({mentions / body_words:.1%} of its words for the whole subject); {where}the first {lead} words "
              f"name neither it nor a party to the trade")
        for cid in subject
    }


def implied(
    lexicon: Lexicon, present: frozenset[str], lang: str, context: MatchContext,
    held: Callable[[frozenset[str]], list], names_found: Callable[[str], tuple[str, str] | None],
) -> tuple[frozenset[str], list[Implied]]:
    """Parties that go without saying and would make a rule hold: the names present
    with them added, and each implied party with where it came from.

    `held(names)` gives the rules that hold on a set of names; `names_found(party)` gives
    the first (form, "title"|"body") of a name implying `party`, or None. The language is
    asked for only here, and only when neither the feed nor a name implies the party."""
    found: list[Implied] = []
    concepts: dict[str, Concept] = lexicon.concepts
    for ctx in lexicon.contexts:
        if ctx.party in present or ctx.blocked(present):
            continue
        trial = frozenset(present | {ctx.party} | set(concepts[ctx.party].groups))
        if not held(trial):
            continue  # the party would change nothing: no need to look for it
        source = None
        if {ctx.party, *concepts[ctx.party].groups} & set(context.implies):
            source = f"the feed {context.feed or '(unnamed)'} implies it (feed setting `implies`)"
        if source is None and ctx.names is not None:
            name = names_found(ctx.party)
            if name is not None:
                source = f"\"{name[0]}\" in the {name[1]} names one of its people or institutions"
        if source is None and ctx.langs:
            known = lang if lang and lang != UNKNOWN_LANG else None
            how = ""
            if known is None and context.language is not None:
                known, how = context.language(), " (detected)"
            if known == ANY_LANGUAGE:
                source = "its language, not yet detected, may imply it"
            elif known in ctx.langs:
                source = f"the item is in {known}{how}, whose readers take it for granted"
        if source is not None:
            present = trial
            found.append(Implied(ctx.party, ctx.label, source))
    return present, found
