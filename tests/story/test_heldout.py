"""Story grouping on a held-out event set written for the project (not the dev set).

`data/heldout_events.jsonl`: 13 events, 49 reports in English, Arabic, Turkish, Russian and
Persian, labelled in the dev set's format (`story`, `story_group`). Several developments
of one actor within days (Turkey's first delivery, F-35 removal, the ministry's reaction,
second battery, test confirmation, CAATSA sanctions and the reaction to them, talks on a
return; India's payment, second squadron and CAATSA waiver; Algeria; Saudi talks), first
reports of one event in several languages, next-day rewrites and undated reports. The
issue's targets must hold here as on the dev set: rules that only fit the dev set fail.
"""
from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = Path(__file__).resolve().parent / "data" / "heldout_events.jsonl"


def _rows() -> list[dict]:
    return [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line]


def _report(replay: str):
    spec = importlib.util.spec_from_file_location("bench_story_eval", ROOT / "bench" / "story_eval.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from monitor.story.evaluate import evaluate_stories
    concepts = bench.matcher_concepts("s400-f35")
    if concepts is None:
        pytest.fail("the topic's matcher must load for this check")
    return evaluate_stories(bench.REPLAYS[replay](_rows()), concepts, actors=concepts.actors,
                            vocabulary=concepts.vocabulary)


def test_the_set_is_labelled_like_the_dev_set():
    rows = _rows()
    assert len({r["id"] for r in rows}) == len(rows) == 49
    assert {r["lang"] for r in rows} == {"en", "ar", "tr", "ru", "fa"}
    events = Counter(r["story"] for r in rows)
    assert len(events) == 13 and all(3 <= n <= 6 for n in events.values())
    assert all(r["label"] == "relevant" and r["story_group"] for r in rows)


def test_live_replay_meets_the_targets():
    report = _report("live")
    assert report.precision >= 0.95, report.wrong_merges
    assert report.recall >= 0.9, report.splits
    assert report.stories_per_event <= 1.25


def test_busy_week_meets_the_targets():
    report = _report("busy")
    assert report.precision >= 0.9, report.wrong_merges
    assert report.recall >= 0.8, report.splits


def test_undated_replay_puts_precision_first():
    report = _report("undated")
    assert report.precision >= 0.85, report.wrong_merges
