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

A feed's items are stored in a few statements whatever their number (one look-up of the
items already carried, one insert of the new ones, one of the sightings). The open stories
live in a `StoryBook` for the whole poll: an item that joins a story adds one stored row of
constant size, however big the story, and each grown story is written back once at the
end of the poll.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Iterator

from monitor.story import grouping as stories
from monitor.story.features import vocabulary_of
from monitor.alert.format import AlertFacts, format_alert
from monitor.alert.gist import concept_gist
from monitor.config import Config
from monitor.parse.language import detect_language
from monitor.topic.context import MatchContext
from monitor.topic.match import Topic, match_item
from monitor.models import Item, MatchResult
from monitor.parse.prepare import PreparedEntry
from monitor.store import Store, iso, parse_iso
from monitor.story.features import iso as exact_iso
from monitor.story.features import parse_iso as exact_parse_iso


@dataclass
class ItemOutcome:
    guid: str
    item_id: int
    new: bool
    matched: bool = False
    alerted: bool = False


def process_new_items(
    store: Store, config: Config, topics: list[Topic], feed: dict, entries: list[PreparedEntry],
    now: datetime, *, first_poll: bool, book: "StoryBook | None" = None,
) -> list[ItemOutcome]:
    """Store one feed's new entries; match, group and queue alerts for the matched ones.

    `book` holds the poll's open stories between feeds; without one, a book for these
    entries alone is made and checkpointed before returning. Must run inside the feed's
    write transaction (and `book.feed()`, for the book to follow a rollback).
    """
    if book is None:
        book = StoryBook(store, config.story_window)
        outcomes = process_new_items(store, config, topics, feed, entries, now, first_poll=first_poll, book=book)
        book.checkpoint()
        return outcomes
    known = store.known_guids(feed["id"], [e.item.guid for e in entries])
    by_name = {t.name: t for t in topics}
    outlet = feed["name"] or feed["title"] or feed["url"]
    implies = config.feed_implies()
    context = MatchContext(feed=outlet, implies=implies.get(feed["url"]) or implies.get(feed["name"] or "") or ())
    fresh = []
    seen_now: set[str] = set()
    for entry in entries:
        if entry.item.guid not in known and entry.item.guid not in seen_now:
            seen_now.add(entry.item.guid)
            fresh.append(entry)
    # The feed's items are stored in a few statements: one look-up of the items other
    # feeds (or this one, under other GUIDs) already carried, then one insert of the new
    # ones and one of the sightings. Ids are given here so matches can refer to them.
    by_hash, by_url = store.same_items([e.item.content_hash for e in fresh],
                                       [e.item.url for e in fresh if e.item.url])
    next_id = store.next_item_id() if fresh else 0
    plan: list[tuple[PreparedEntry, int, bool, list[MatchResult]]] = []
    new_items: list[tuple[int, Item]] = []
    sightings: list[tuple[int, str, int, datetime]] = []
    for entry in fresh:
        item = entry.item
        same = by_hash.get(item.content_hash) or (by_url.get(item.url) if item.url else None)
        if same is not None:
            sightings.append((feed["id"], item.guid, same, now))
            plan.append((entry, same, False, []))
            continue
        results = []
        if entry.topics:
            # The pre-test in the worker did not detect the language; the exact match does,
            # and decides: a pre-test that counted any language may not hold.
            item.lang = item.lang or detect_language(f"{item.title}\n{item.text}")
            results = [r for r in (match_item(by_name[name], item.title, item.text, item.lang, context)
                                   for name in entry.topics) if r.matched]
        item_id, next_id = next_id, next_id + 1
        by_hash[item.content_hash] = item_id  # a later copy in this feed is the same item
        if item.url:
            by_url.setdefault(item.url, item_id)
        new_items.append((item_id, item))
        sightings.append((feed["id"], item.guid, item_id, now))
        plan.append((entry, item_id, True, results))
    store.add_items(feed["id"], new_items, now)
    store.add_sources(sightings)
    outcomes: list[ItemOutcome] = []
    for entry, item_id, new, results in plan:
        outcome = ItemOutcome(entry.item.guid, item_id, new=new, matched=bool(results))
        for result in results:
            backlog = _is_backlog(entry.item, now, config.backfill, first_poll)
            outcome.alerted |= _record_match(store, config, by_name[result.topic], book, item_id,
                                             entry.item, result, outlet, now, backlog)
        outcomes.append(outcome)
    return outcomes


def _is_backlog(item: Item, now: datetime, backfill: timedelta, first_poll: bool) -> bool:
    """On a feed's first poll, old (or undated) items are history, not news."""
    if not first_poll:
        return False
    return item.published is None or item.published < now - backfill


class StoryConflict(Exception):
    """Another process added to a story this poll holds in memory."""


@dataclass(frozen=True)
class _OpenStory:
    state: stories.StoryState
    alerted_at: datetime | None
    snapshot: dict | None  # what the story was at its last alert
    breaking: bool = False  # found breaking since the last checkpoint


class StoryBook:
    """The open stories of one poll, kept in memory from item to item and feed to feed.

    A matched item that joins a story costs one row of constant size (its features, in
    `story_members`), whatever the story's size; the whole state of each story that grew
    is written back once, by `checkpoint()` at the end of the poll. Reading a story folds
    in the members stored after its last checkpoint, so a poll that stopped before its
    checkpoint loses nothing (`recover()` folds those at the next start).

    Each feed's work runs inside `feed()`: if the feed's transaction rolls back, the
    stories it touched return to what they were before it.
    """

    def __init__(self, store: Store, window: timedelta):
        self.store, self.window = store, window
        self._by_topic: dict[str, dict[int, _OpenStory]] = {}
        self._dirty: dict[int, str] = {}  # story id -> topic, grown since the checkpoint
        self._undo: list[tuple[str, int, _OpenStory | None, bool]] | None = None
        self._stale: set[str] = set()  # topics another process changed under this book

    def of(self, topic: str, now: datetime) -> dict[int, _OpenStory]:
        """The topic's stories inside the window (read from the store once per poll)."""
        if topic not in self._by_topic:
            self._by_topic[topic] = self._load(self.store.candidate_stories(topic, now - self.window))
        return self._by_topic[topic]

    def _load(self, rows: list[dict]) -> dict[int, _OpenStory]:
        members = self.store.story_members_after([row["id"] for row in rows])
        loaded = {}
        for row in rows:
            state = _fold(row, members[row["id"]])
            if state is None:
                continue  # a story without any member or stored state: nothing to compare
            loaded[row["id"]] = _OpenStory(
                state, parse_iso(row["alerted_at"]),
                json.loads(row["alert_snapshot"]) if row["alert_snapshot"] else None)
            if members[row["id"]]:
                self._dirty[row["id"]] = row["topic"]  # left pending by an earlier poll
        return loaded

    @contextmanager
    def feed(self) -> Iterator[None]:
        """Scope of one feed's transaction: on an exception its story changes are undone."""
        self._undo = []
        try:
            yield
        except BaseException:
            for topic, story_id, old, was_dirty in reversed(self._undo):
                known = self._by_topic[topic]
                if old is None:
                    known.pop(story_id, None)
                else:
                    known[story_id] = old
                if not was_dirty:
                    self._dirty.pop(story_id, None)
            for topic in self._stale:
                # Read again on next use; stories of it that grew stay pending in the
                # store and are folded in when read (or by `recover`).
                for story_id in self._by_topic.pop(topic, {}):
                    self._dirty.pop(story_id, None)
            self._stale.clear()
            raise
        finally:
            self._undo = None

    def put(self, topic: str, story_id: int, story: _OpenStory) -> None:
        known = self._by_topic[topic]
        if self._undo is not None:
            self._undo.append((topic, story_id, known.get(story_id), story_id in self._dirty))
        known[story_id] = story
        self._dirty[story_id] = topic

    def join(self, topic: str, story_id: int, story: _OpenStory, item_id: int,
             features: stories.StoryFeatures, seen_at: datetime, outlet: str) -> None:
        """Record a member (new story or not): one row now, the state at the checkpoint.

        Raises `StoryConflict` when another process added a member to the story since
        this book read it (two polls at once): the feed's transaction rolls back, and the
        topic's stories are read again for the next feed.
        """
        try:
            self.store.add_story_member(
                story_id, story.state.item_count, item_id, exact_iso(seen_at), outlet,
                json.dumps(features.to_json(), ensure_ascii=False))
        except sqlite3.IntegrityError:
            self._stale.add(topic)
            raise StoryConflict(f"story {story_id} was changed by another poll; the feed is retried") from None
        self.put(topic, story_id, story)

    def checkpoint(self) -> int:
        """Write back the state of every story that grew; returns how many."""
        rows = [_checkpoint_row(story_id, self._by_topic[topic][story_id])
                for story_id, topic in sorted(self._dirty.items())]
        self.store.checkpoint_stories(rows)
        self._dirty.clear()
        return len(rows)

    def recover(self) -> int:
        """Fold in members that a stopped poll left pending; returns how many stories."""
        rows = self.store.pending_stories()
        if not rows:
            return 0
        members = self.store.story_members_after([row["id"] for row in rows])
        written = []
        for row in rows:
            state = _fold(row, members[row["id"]])
            if state is not None:
                written.append(_checkpoint_row(row["id"], _OpenStory(state, None, None)))
        self.store.checkpoint_stories(written)
        return len(written)


def _fold(row: dict, members: list[dict]) -> stories.StoryState | None:
    """A story's state: its stored state with the later members folded in, in order."""
    state = None
    if row["state_seq"]:
        state = stories.StoryState.from_json(json.loads(row["state"]))
    for member in members:
        features = stories.StoryFeatures.from_json(json.loads(member["features"]))
        seen_at = exact_parse_iso(member["seen_at"])
        if state is None:
            state = stories.new_story(row["id"], features, seen_at, member["outlet"],
                                      related_to=row["related_to"])
        else:
            state = stories.add_item(state, features, seen_at, member["outlet"])
    return state


def _checkpoint_row(story_id: int, story: _OpenStory) -> dict:
    state = story.state
    return {"id": story_id, "last_seen": state.last_seen, "item_count": state.item_count,
            "langs": sorted(state.langs), "outlets": sorted(state.outlets),
            "state": json.dumps(state.to_json(), ensure_ascii=False),
            "state_seq": state.item_count, "breaking": story.breaking}


def story_policy(config: Config) -> stories.StoryAlertPolicy:
    return stories.StoryAlertPolicy(update_interval=config.alerts.update_interval)


def _record_match(
    store: Store, config: Config, topic: Topic, book: StoryBook, item_id: int, item: Item,
    result: MatchResult, outlet: str, now: datetime, backlog: bool,
) -> bool:
    """Store the match, fold it into a story, queue an alert if the story calls for one."""
    seen_at = item.published if backlog and item.published else now
    features = stories.features_for(item.title, item.text, item.lang, item.published or now, result.concepts)
    known = book.of(result.topic, now)
    decision = stories.assign_story(features, [s.state for s in known.values()], now, config.story_window,
                                    topic.lexicon.story_actors, vocabulary_of(topic))
    if decision.story_id is None:
        story_id = store.create_story(result.topic, item.title or item.text[:120], seen_at, "{}", [item.lang], [outlet],
                                      related_to=decision.related_to)
        state = stories.new_story(story_id, features, seen_at, outlet, related_to=decision.related_to)
        current = _OpenStory(state, None, None)
    else:
        story_id = decision.story_id
        current = known[story_id]
        state = stories.add_item(current.state, features, seen_at, outlet)
    last_alert_at, snapshot = current.alerted_at, current.snapshot
    policy = story_policy(config)
    breaking = stories.is_breaking(state, now, policy)
    current = replace(current, state=state, breaking=current.breaking or breaking)
    book.join(result.topic, story_id, current, item_id, features, seen_at, outlet)
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
        topic=result.topic, title=item.title or item.text[:120], url=item.link or item.url or None, feed=outlet,
        lang=item.lang, published=iso(item.published), score=result.score, threshold=result.threshold,
        reasons=result.reasons, snippet=item.text, story_id=story_id, outlets=len(state.outlets),
        langs=tuple(sorted(state.langs)), breaking=breaking,
        update_summary=summary,
        gist=concept_gist(topic, result, config.alerts.reader_language, item.lang),
        gist_lang=config.alerts.reader_language,
    )
    message = format_alert(facts)
    store.enqueue_alert(
        topic=result.topic, story_id=story_id, item_id=item_id, kind=kind, title=message.title,
        body=message.body, body_html=message.body_html, now=now, expires_at=now + config.alerts.expire_after,
    )
    snapshot = {"outlets": sorted(state.outlets), "langs": sorted(state.langs), "item_count": state.item_count}
    store.mark_story_alerted(story_id, now, snapshot)
    book.put(result.topic, story_id, replace(current, alerted_at=now, snapshot=snapshot))
    return True


def file_quietly(
    store: Store, config: Config, topic: Topic, book: StoryBook, item_id: int, title: str, text: str,
    lang: str, published: datetime | None, result: MatchResult, seen_at: datetime, outlet: str,
) -> tuple[int, stories.StoryDecision]:
    """File a matched item into a story as the poll would, without queueing any alert.

    For matches recorded after the fact (`monitor topic backtest --apply`): the story
    grows as usual (one member row now, the state at `book.checkpoint()`), but nothing
    is sent about the past. Returns (story id, the grouping decision).
    """
    features = stories.features_for(title, text, lang, published or seen_at, result.concepts)
    known = book.of(result.topic, seen_at)
    decision = stories.assign_story(features, [s.state for s in known.values()], seen_at, config.story_window,
                                    topic.lexicon.story_actors, vocabulary_of(topic))
    if decision.story_id is None:
        story_id = store.create_story(result.topic, title or text[:120], seen_at, "{}", [lang], [outlet],
                                      related_to=decision.related_to)
        current = _OpenStory(stories.new_story(story_id, features, seen_at, outlet,
                                               related_to=decision.related_to), None, None)
    else:
        story_id = decision.story_id
        current = replace(known[story_id], state=stories.add_item(known[story_id].state, features, seen_at, outlet))
    book.join(result.topic, story_id, current, item_id, features, seen_at, outlet)
    return story_id, decision
