"""Scoring story grouping against labelled items (the dev set's `story` and `story_group`).

The items are replayed in the given order as if they arrived so, through the same calls
the service makes (`features_for`, `StoryIndex`, `assign_story`, `new_story`/`add_item`).
Pairwise scores: a joined pair is right unless its items have different `story_group`;
a pair with the same `story` should be joined.

Three ways to replay one labelled file (each returns rows to pass to `evaluate_stories`):

- `live_replay`: as a live stream brings them, every report dated when it arrives and in
  time order (an undated report arrives when its event happened: the date of its event's
  dated reports, else the date its event key starts with);
- `busy_week_replay`: the live stream's events packed into one week, six hours apart,
  in the same order, each event's reports within its first hours: many developments of
  one actor inside one story window;
- `undated_replay`: file order with every date removed, as `monitor match` scores pasted
  texts.
"""
from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import combinations
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from monitor.story.grouping import (NO_VOCABULARY, StoryDecision, StoryIndex, StoryState,
                                    TopicVocabulary, add_item, assign_story, features_for,
                                    new_story)

DEFAULT_WINDOW = timedelta(days=7)


@dataclass
class StoryEvalReport:
    items: int
    stories: int
    events: int
    joined_pairs: int
    wrong_pairs: int
    same_story_pairs: int
    found_pairs: int
    wrong_merges: list[tuple[str, str, str]] = field(default_factory=list)  # id, id, reason
    splits: list[tuple[str, list[list[str]]]] = field(default_factory=list)  # event, parts
    decisions: list[tuple[str, int, StoryDecision]] = field(default_factory=list)
    replay_seconds: float = 0.0  # features and assignment of every item, scoring excluded

    @property
    def precision(self) -> float:
        return 1.0 - self.wrong_pairs / self.joined_pairs if self.joined_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.found_pairs / self.same_story_pairs if self.same_story_pairs else 1.0

    @property
    def stories_per_event(self) -> float:
        return self.stories / self.events if self.events else 0.0


def parse_published(value: str | None) -> datetime | None:
    """A full date or timestamp; partial dates ("2019-11") count as unknown."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(value) < 10:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_KEY_DATE = re.compile(r"^(\d{4})(?:-(\d\d))?(?:-(\d\d))?")


def _key_date(key: str | None) -> datetime | None:
    """The date an event key starts with ("2019-07-17-...", "2019-06-...", "2020-...")."""
    m = _KEY_DATE.match(key or "")
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2) or 7), int(m.group(3) or 1)
    if not m.group(2):
        month, day = 7, 1  # a year alone: its middle
    elif not m.group(3):
        day = 15  # a month alone: its middle
    try:
        return datetime(year, month, day, tzinfo=timezone.utc)
    except ValueError:
        return None


def live_times(rows: list[Mapping[str, Any]]) -> dict[str, datetime]:
    """When each relevant row would arrive in a live stream (row id -> UTC time).

    Its own full `published` date; else the earliest full date among its event's rows
    (reports of an event arrive while it happens); else the date the event key starts
    with; else the previous row's time (file order). Rows of one day arrive a minute
    apart in file order.
    """
    rows = [r for r in rows if r.get("label", "relevant") == "relevant"]
    event_first: dict[str, datetime] = {}
    for r in rows:
        published = parse_published(r.get("published"))
        if published is not None:
            key = r.get("story")
            event_first[key] = min(published, event_first.get(key, published))
    times: dict[str, datetime] = {}
    previous = datetime(2000, 1, 1, tzinfo=timezone.utc)
    per_day: dict[datetime, int] = defaultdict(int)
    for r in rows:
        when = (parse_published(r.get("published")) or event_first.get(r.get("story"))
                or _key_date(r.get("story")) or previous)
        previous = when
        day = when.replace(hour=0, minute=0, second=0, microsecond=0)
        if when == day:  # a date without a time of day
            when = day + timedelta(hours=8, minutes=per_day[day])
            per_day[day] += 1
        times[r["id"]] = when
    return times


def live_replay(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The relevant rows in live-stream order, each with its arrival as `published`."""
    rows = [r for r in rows if r.get("label", "relevant") == "relevant"]
    times = live_times(rows)
    order = sorted(range(len(rows)), key=lambda i: (times[rows[i]["id"]], i))
    return [dict(rows[i], published=times[rows[i]["id"]].isoformat()) for i in order]


BUSY_SPACING = timedelta(hours=6)


def busy_week_replay(rows: Iterable[Mapping[str, Any]],
                     spacing: timedelta = BUSY_SPACING) -> list[dict[str, Any]]:
    """The live stream's events packed into one busy week, order kept.

    Events (`story`) take slots `spacing` apart in the order they start in the live
    stream; a report arrives at its event's slot plus an hour for each day it came after
    the event's first report (at most `spacing` less ten minutes), and minutes apart
    within that. Every report is dated with its arrival.
    """
    live = live_replay(rows)
    first: dict[str, datetime] = {}
    for r in live:
        first.setdefault(r.get("story"), datetime.fromisoformat(r["published"]))
    slot = {key: k for k, key in enumerate(first)}
    start = datetime(2026, 1, 5, 6, tzinfo=timezone.utc)
    cap = spacing - timedelta(minutes=10)
    packed = []
    for i, r in enumerate(live):
        key = r.get("story")
        days = (datetime.fromisoformat(r["published"]) - first[key]) / timedelta(days=1)
        offset = min(timedelta(hours=days), cap) + timedelta(seconds=i)
        packed.append((start + slot[key] * spacing + offset, i, r))
    packed.sort(key=lambda t: (t[0], t[1]))
    return [dict(r, published=when.isoformat()) for when, _, r in packed]


def undated_replay(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The relevant rows in file order with no date at all (pasted texts)."""
    return [dict(r, published=None) for r in rows if r.get("label", "relevant") == "relevant"]


def outlet_of(url: str | None, fallback: str) -> str:
    host = urlsplit(url or "").hostname or fallback
    return host.removeprefix("www.")


def evaluate_stories(rows: Iterable[Mapping[str, Any]],
                     concepts_for: Callable[[Mapping[str, Any]], Mapping[str, float]],
                     window: timedelta = DEFAULT_WINDOW,
                     actors: frozenset[str] = frozenset(),
                     vocabulary: TopicVocabulary = NO_VOCABULARY) -> StoryEvalReport:
    """Replay the relevant rows in order and score the stories they form.

    A row without `published` arrives at the previous row's time (the file is a replay).
    """
    rows = [r for r in rows if r.get("label", "relevant") == "relevant"]
    index = StoryIndex()
    states: dict[int, StoryState] = {}
    assigned: dict[str, int] = {}
    decisions = []
    arrival = datetime(2000, 1, 1, tzinfo=timezone.utc)
    started = time.perf_counter()
    for row in rows:
        published = parse_published(row.get("published"))
        arrival = published or arrival
        features = features_for(row.get("title") or "", row.get("summary") or "",
                                row.get("lang") or "und", published, dict(concepts_for(row)))
        candidates = [states[i] for i in index.candidate_ids(features)]
        decision = assign_story(features, candidates, arrival, window, actors, vocabulary)
        outlet = outlet_of(row.get("url"), row["id"])
        if decision.story_id is None:
            state = new_story(len(states) + 1, features, arrival, outlet, decision.related_to)
        else:
            state = add_item(states[decision.story_id], features, arrival, outlet)
        states[state.id] = state
        index.put(state)
        assigned[row["id"]] = state.id
        decisions.append((row["id"], state.id, decision))
    report = _score(rows, assigned, decisions)
    report.replay_seconds = time.perf_counter() - started
    return report


def _score(rows: list[Mapping[str, Any]], assigned: dict[str, int],
           decisions: list[tuple[str, int, StoryDecision]]) -> StoryEvalReport:
    by_id = {r["id"]: r for r in rows}
    reasons = {item: d.reason for item, _, d in decisions}
    joined = wrong = same = found = 0
    wrong_merges = []
    for a, b in combinations([r["id"] for r in rows], 2):
        together = assigned[a] == assigned[b]
        ra, rb = by_id[a], by_id[b]
        if together:
            joined += 1
            if ra.get("story_group") != rb.get("story_group"):
                wrong += 1
                wrong_merges.append((a, b, reasons[b]))
        if ra.get("story") == rb.get("story"):
            same += 1
            found += together
    parts: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        parts[r.get("story")][assigned[r["id"]]].append(r["id"])
    splits = [(event, list(p.values())) for event, p in sorted(parts.items()) if len(p) > 1]
    return StoryEvalReport(
        items=len(rows), stories=len(set(assigned.values())), events=len(parts),
        joined_pairs=joined, wrong_pairs=wrong, same_story_pairs=same, found_pairs=found,
        wrong_merges=wrong_merges, splits=splits, decisions=decisions)


def format_report(report: StoryEvalReport, verbose: bool = True) -> str:
    lines = [
        f"items {report.items}, real events {report.events}, stories {report.stories}",
        f"pairwise precision {report.precision:.3f} "
        f"({report.joined_pairs - report.wrong_pairs}/{report.joined_pairs} joined pairs right)",
        f"pairwise recall    {report.recall:.3f} "
        f"({report.found_pairs}/{report.same_story_pairs} same-event pairs joined)",
        f"stories per real event {report.stories_per_event:.2f}",
    ]
    if verbose:
        lines.append(f"wrong merges ({len(report.wrong_merges)} pairs):")
        lines += [f"  {a} + {b}: {why}" for a, b, why in report.wrong_merges]
        lines.append(f"split events ({len(report.splits)}):")
        for event, parts in report.splits:
            lines.append(f"  {event}: " + " | ".join(", ".join(p) for p in parts))
    return "\n".join(lines)
