"""The replays the story bench scores (monitor/story/evaluate.py): live, busy week, undated."""
from __future__ import annotations

from datetime import datetime, timedelta

from monitor.story.evaluate import busy_week_replay, live_replay, live_times, undated_replay

ROWS = [  # file order; two events of one actor four days apart, one undated report each
    {"id": "b1", "story": "2019-07-17-removal", "published": "2019-07-17", "label": "relevant"},
    {"id": "a1", "story": "2019-07-12-delivery", "published": "2019-07-12", "label": "relevant"},
    {"id": "b2", "story": "2019-07-17-removal", "published": "", "label": "relevant"},
    {"id": "a2", "story": "2019-07-12-delivery", "published": "2019-07-13", "label": "relevant"},
    {"id": "c1", "story": "2019-08-congress-bill", "published": None, "label": "relevant"},
    {"id": "x", "story": "", "published": "2019-07-12", "label": "negative"},
]


def test_live_replay_dates_every_report_and_keeps_time_order():
    times = live_times(ROWS)
    # An undated report arrives with its event's dated ones; an undated event on the date
    # its key starts with (a month alone: its middle).
    assert times["b2"].date().isoformat() == "2019-07-17" and times["b2"] > times["b1"]
    assert times["c1"].date().isoformat() == "2019-08-15"
    replay = live_replay(ROWS)
    assert [r["id"] for r in replay] == ["a1", "a2", "b1", "b2", "c1"]  # negatives left out
    assert all(r["published"] for r in replay)


def test_busy_week_packs_events_six_hours_apart_in_order():
    replay = busy_week_replay(ROWS)
    when = {r["id"]: datetime.fromisoformat(r["published"]) for r in replay}
    assert [r["id"] for r in replay] == ["a1", "a2", "b1", "b2", "c1"]
    # Each event starts one slot after the one before; a report a day after its event's
    # first arrives an hour into the slot.
    assert when["b1"] - when["a1"] == timedelta(hours=6, seconds=2)
    assert when["c1"] - when["b1"] == timedelta(hours=6, seconds=2)
    assert timedelta(hours=1) <= when["a2"] - when["a1"] < timedelta(hours=1, minutes=1)
    assert max(when.values()) - min(when.values()) < timedelta(days=7)


def test_undated_replay_keeps_file_order_and_drops_every_date():
    replay = undated_replay(ROWS)
    assert [r["id"] for r in replay] == ["b1", "a1", "b2", "a2", "c1"]
    assert all(r["published"] is None for r in replay)
