"""Scoring items without a database: `monitor match` and evaluations.

Items are taken in the order given, as if they arrived so; stories live in memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from monitor.story import grouping as stories
from monitor.story.features import vocabulary_of
from monitor.parse.language import detect_language
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
    _stories: dict[str, list] = field(default_factory=dict)
    _next_id: int = 1
    _clock: datetime | None = None

    @classmethod
    def from_topics(cls, topics: list[Topic]) -> "OfflineMatcher":
        return cls(topics=topics)

    def score(self, row: dict) -> list[dict]:
        """One output object per topic for the input `row`."""
        title = clean_text(str(row.get("title") or ""))
        text = clean_text(str(row.get("summary") or row.get("text") or ""))
        lang = row.get("lang") or detect_language(f"{title}\n{text}")
        published = _parse_when(row.get("published"))
        # An undated text has no time to go by: grouping must not read the moment it was
        # pasted as the event's date (every pasted text would then look simultaneous).
        when = published or self._clock or datetime.now(timezone.utc)
        self._clock = when
        window = timedelta(days=self.window_days)
        out = []
        for topic in self.topics:
            result = match_item(topic, title, text, lang)
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
