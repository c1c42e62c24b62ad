"""Scoring items without a database: `monitor match` and evaluations.

Items are taken in the order given, as if they arrived so; stories live in memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from monitor.story import grouping as stories
from monitor.story.features import vocabulary_of
from monitor.parse.language import detect_language
from monitor.topic.context import UNKNOWN_LANG, LazyLanguage, MatchContext
from monitor.topic.match import Topic, match_item
from monitor.parse.normalize import clean_text

DEFAULT_WINDOW_DAYS = 3


def _parse_when(value) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class OfflineMatcher:
    topics: list[Topic]
    window_days: int = DEFAULT_WINDOW_DAYS
    # Feed name or URL -> parties the feed implies (the [[feed]] `implies` setting).
    feeds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Detect the language of every item, not only where a rule or a story needs it.
    detect_all: bool = False
    _stories: dict[str, list] = field(default_factory=dict)
    _next_id: int = 1
    _clock: datetime | None = None

    @classmethod
    def from_topics(cls, topics: list[Topic], feeds: dict[str, tuple[str, ...]] | None = None,
                    detect_all: bool = False) -> "OfflineMatcher":
        return cls(topics=topics, feeds=dict(feeds or {}), detect_all=detect_all)

    def score(self, row: dict) -> list[dict]:
        """One output object per topic for the input `row`.

        `lang` is the row's own, else detected — but only when a rule needs it (a party
        the language implies), the item matched (stories compare languages) or
        `detect_all` is set; otherwise None: detection costs ~1-19 ms an item, many
        times the matching."""
        title = clean_text(str(row.get("title") or ""))
        text = clean_text(str(row.get("summary") or row.get("text") or ""))
        given = str(row.get("lang") or "")
        language = LazyLanguage(detect_language, f"{title}\n{text}")
        feed = str(row.get("feed") or row.get("outlet") or "")
        implies = self.feeds.get(feed) or self.feeds.get(str(row.get("feed_url") or "")) or ()
        context = MatchContext(feed=feed, implies=tuple(implies), language=None if given else language)
        results = [match_item(topic, title, text, given or UNKNOWN_LANG, context) for topic in self.topics]
        if given:
            lang: str | None = given
        elif self.detect_all or any(r.matched for r in results):
            lang = language()
        else:
            lang = language.detected
        published = _parse_when(row.get("published"))
        # An undated text has no time to go by: grouping must not read the moment it was
        # pasted as the event's date (every pasted text would then look simultaneous).
        when = published or self._clock or datetime.now(timezone.utc)
        self._clock = when
        window = timedelta(days=self.window_days)
        out = []
        for topic, result in zip(self.topics, results):
            story_id = None
            relation = None
            if result.matched:
                story_id, relation = self._assign(topic, title, text, lang, when, published,
                                                  result.concepts, row, window)
            out.append({
                "id": row.get("id"), "matched": result.matched, "topic": topic.name,
                "score": round(result.score, 3), "threshold": result.threshold, "lang": lang,
                "concepts": sorted(result.concepts), "reasons": result.reasons,
                "story": story_id, "relation": relation,
            })
        return out

    def _assign(self, topic: Topic, title: str, text: str, lang: str, when: datetime,
                published: datetime | None, concepts: dict[str, float], row: dict,
                window: timedelta) -> tuple[int, str]:
        features = stories.features_for(title, text, lang, published, concepts)
        open_stories = self._stories.setdefault(topic.name, [])
        decision = stories.assign_story(features, open_stories, when, window, topic.lexicon.story_actors,
                                        vocabulary_of(topic))
        outlet = str(row.get("source") or row.get("url") or row.get("id") or "input")
        if decision.story_id is None:
            state = stories.new_story(self._next_id, features, when, outlet, decision.related_to)
            self._next_id += 1
            open_stories.append(state)
        else:
            index = next(i for i, s in enumerate(open_stories) if s.id == decision.story_id)
            state = stories.add_item(open_stories[index], features, when, outlet)
            open_stories[index] = state
        return state.id, decision.relation
