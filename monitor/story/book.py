"""New entries of one feed into stored items, matches, stories and queued alerts.

Runs inside the feed's write transaction (see pipeline.process_fetch). The decisions are
made by pure code (normalize, match, story); this module only sequences them and keeps
the store in step, in the order that makes repeated work impossible:

1. skip entries this feed delivered before (GUID), before any store work;
2. fold an entry that another feed (or this one, under a new GUID) already carried into
   the stored item (canonical URL or content hash): it never alerts again;
3. only a new item is matched, and only a matched item is language-detected (the
   matcher works on every script without knowing the language; detection costs more
   than parsing the feed, so it is spent where an analyst will see the result);
4. a matched item joins or starts a story; the story decides whether to alert.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.story import grouping as stories
from monitor.alert.format import AlertFacts, format_alert
from monitor.config import Config
from monitor.parse.language import detect_language
from monitor.topic.context import MatchContext
from monitor.topic.match import Topic, match_item
from monitor.models import Item, MatchResult
from monitor.parse.prepare import PreparedEntry
from monitor.store import Store, iso, parse_iso


@dataclass
class ItemOutcome:
    guid: str
    item_id: int
    new: bool
    matched: bool = False
    alerted: bool = False


def process_new_items(
    store: Store, config: Config, topics: list[Topic], feed: dict, entries: list[PreparedEntry],
    now: datetime, *, first_poll: bool,
) -> list[ItemOutcome]:
    known = store.known_guids(feed["id"], [e.item.guid for e in entries])
    by_name = {t.name: t for t in topics}
    outlet = feed["name"] or feed["title"] or feed["url"]
    implies = config.feed_implies()
    context = MatchContext(feed=outlet, implies=implies.get(feed["url"]) or implies.get(feed["name"] or "") or ())
    outcomes: list[ItemOutcome] = []
    seen_now: set[str] = set()
    open_stories = _OpenStories(store, now - config.story_window)
    for entry in entries:
        item, guid = entry.item, entry.item.guid
        if guid in known or guid in seen_now:
            continue
        seen_now.add(guid)
        same = store.find_same_item(item.url, item.content_hash)
        if same is not None:
            store.add_source(feed["id"], guid, same, now)
            outcomes.append(ItemOutcome(guid, same, new=False))
            continue
        results = []
        if entry.topics:
            # The cheap test may have detected it already, when a rule needed the language.
            item.lang = item.lang or detect_language(f"{item.title}\n{item.text}")
            results = [match_item(by_name[name], item.title, item.text, item.lang, context) for name in entry.topics]
        item_id = store.add_item(feed["id"], item, now)
        outcome = ItemOutcome(guid, item_id, new=True, matched=bool(results))
        for result in results:
            backlog = _is_backlog(item, now, config.backfill, first_poll)
            outcome.alerted |= _record_match(store, config, by_name[result.topic], open_stories, item_id,
                                             item, result, outlet, now, backlog)
        outcomes.append(outcome)
    return outcomes


def _is_backlog(item: Item, now: datetime, backfill: timedelta, first_poll: bool) -> bool:
    """On a feed's first poll, old (or undated) items are history, not news."""
    if not first_poll:
        return False
    return item.published is None or item.published < now - backfill


@dataclass
class _OpenStory:
    state: stories.StoryState
    alerted_at: datetime | None
    snapshot: dict | None  # what the story was at its last alert


class _OpenStories:
    """A topic's stories inside the window, read once per feed and kept in step with the
    store as items join them, so that matched items do not each read them all again."""

    def __init__(self, store: Store, since: datetime):
        self.store, self.since = store, since
        self._by_topic: dict[str, dict[int, _OpenStory]] = {}

    def of(self, topic: str) -> dict[int, _OpenStory]:
        if topic not in self._by_topic:
            self._by_topic[topic] = {
                row["id"]: _OpenStory(
                    stories.StoryState.from_json(json.loads(row["state"])), parse_iso(row["alerted_at"]),
                    json.loads(row["alert_snapshot"]) if row["alert_snapshot"] else None)
                for row in self.store.candidate_stories(topic, self.since)
            }
        return self._by_topic[topic]


def story_policy(config: Config) -> stories.StoryAlertPolicy:
    return stories.StoryAlertPolicy(update_interval=config.alerts.update_interval)


def _record_match(
    store: Store, config: Config, topic: Topic, open_stories: _OpenStories, item_id: int, item: Item,
    result: MatchResult, outlet: str, now: datetime, backlog: bool,
) -> bool:
    """Store the match, fold it into a story, queue an alert if the story calls for one."""
    seen_at = item.published if backlog and item.published else now
    features = stories.features_for(item.title, item.text, item.lang, item.published or now, result.concepts)
    known = open_stories.of(result.topic)
    decision = stories.assign_story(features, [s.state for s in known.values()], now, config.story_window,
                                    topic.lexicon.story_actors)
    if decision.story_id is None:
        story_id = store.create_story(result.topic, item.title or item.text[:120], seen_at, "{}", [item.lang], [outlet],
                                      related_to=decision.related_to)
        state = stories.new_story(story_id, features, seen_at, outlet, related_to=decision.related_to)
        known[story_id] = _OpenStory(state, None, None)
    else:
        story_id = decision.story_id
        state = stories.add_item(known[story_id].state, features, seen_at, outlet)
        known[story_id].state = state
    last_alert_at, snapshot = known[story_id].alerted_at, known[story_id].snapshot
    policy = story_policy(config)
    breaking = stories.is_breaking(state, now, policy)
    store.update_story(
        story_id, seen_at=seen_at, item_count=state.item_count, langs=sorted(state.langs),
        outlets=sorted(state.outlets), state=json.dumps(state.to_json(), ensure_ascii=False), breaking=breaking,
    )
    kind = None if backlog else stories.should_alert(state, last_alert_at, now, policy)
    quiet = None
    if backlog:
        quiet = "backlog: published before the feed's first poll window"
    elif kind is None:
        quiet = f"folded into story #{story_id} ({decision.relation})"
    store.save_match(item_id, result, now, story_id=story_id, relation=decision.relation,
                     relation_reason=decision.reason, alerted=kind is not None, quiet_reason=quiet)
    if kind is None:
        return False
    summary = stories.update_summary(state, snapshot) if kind == "update" else None
    facts = AlertFacts(
        topic=result.topic, title=item.title or item.text[:120], url=item.url or None, feed=outlet,
        lang=item.lang, published=iso(item.published), score=result.score, threshold=result.threshold,
        reasons=result.reasons, snippet=item.text, story_id=story_id, outlets=len(state.outlets),
        langs=tuple(sorted(state.langs)), breaking=breaking,
        update_summary=summary,
    )
    message = format_alert(facts)
    store.enqueue_alert(
        topic=result.topic, story_id=story_id, item_id=item_id, kind=kind, title=message.title,
        body=message.body, body_html=message.body_html, now=now, expires_at=now + config.alerts.expire_after,
    )
    snapshot = {"outlets": sorted(state.outlets), "langs": sorted(state.langs), "item_count": state.item_count}
    store.mark_story_alerted(story_id, now, snapshot)
    known[story_id].alerted_at, known[story_id].snapshot = now, snapshot
    return True
