"""Scoring story grouping against labelled items (the dev set's `story` and `story_group`).

The items are replayed in the given order as if they arrived so, through the same calls
the service makes (`features_for`, `StoryIndex`, `assign_story`, `new_story`/`add_item`).
Pairwise scores: a joined pair is right unless its items have different `story_group`;
a pair with the same `story` should be joined.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import combinations
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from monitor.story.grouping import (StoryDecision, StoryIndex, StoryState, add_item, assign_story,
                           features_for, new_story)

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


def outlet_of(url: str | None, fallback: str) -> str:
    host = urlsplit(url or "").hostname or fallback
    return host.removeprefix("www.")


def evaluate_stories(rows: Iterable[Mapping[str, Any]],
                     concepts_for: Callable[[Mapping[str, Any]], Mapping[str, float]],
                     window: timedelta = DEFAULT_WINDOW,
                     actors: frozenset[str] = frozenset()) -> StoryEvalReport:
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
        decision = assign_story(features, candidates, arrival, window, actors)
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
