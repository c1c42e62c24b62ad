"""The desk's reads and the health probe on a real SQLite file."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from monitor.models import Item, MatchResult
from monitor.store import Store
from monitor.store.desk import probe_write

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "m.db") as opened:
        yield opened


def add(store, number, story, when, topic="s400-f35"):
    item = Item(guid=f"g{number}", url=f"https://x.example/{number}", title=f"Report {number}", text="",
                published=when, lang="en", content_hash=f"h{number}")
    with store.write():
        item_id = store.add_item(1, item, when)
        store.save_match(item_id, MatchResult(topic, True, 5.0, 2.5, reasons=["rule r holds"]), when, story_id=story)
    return item_id


def test_triage_queue_is_unreviewed_matches_newest_story_first(store):
    store.add_feed("https://x.example/rss", "X")
    with store.write():
        old = store.create_story("s400-f35", "old", NOW - timedelta(days=1), "{}", ["en"], ["X"])
        new = store.create_story("s400-f35", "new", NOW, "{}", ["en"], ["X"])
    a = add(store, 1, old, NOW - timedelta(days=1))
    b = add(store, 2, new, NOW - timedelta(hours=2))
    c = add(store, 3, new, NOW - timedelta(hours=1))
    d = add(store, 4, None, NOW - timedelta(days=3), topic="other")
    assert [r["id"] for r in store.triage_queue()] == [c, b, a, d]
    store.save_review(c, "s400-f35", "relevant", NOW)
    queue = store.triage_queue()
    assert [r["id"] for r in queue] == [b, a, d]
    assert queue[0]["reasons"] == ["rule r holds"] and queue[0]["story_title"] == "new"
    assert [r["id"] for r in store.triage_queue("other")] == [d]
    assert [(r["id"], r["review"]) for r in store.story_reports(new)] == [(b, None), (c, "relevant")]


def test_the_health_probe_writes_and_fails_in_one_line(store, tmp_path):
    store.set_meta("last_poll_at", "2026-11-21T11:59:00Z")
    assert probe_write(store.path, 1, NOW) == "2026-11-21T11:59:00Z"
    assert store.get_meta("health_checked_at") == "2026-11-21T12:00:00Z"
    with pytest.raises(sqlite3.OperationalError, match="does not exist"):
        probe_write(tmp_path / "none.db", 1, NOW)
    assert not (tmp_path / "none.db").exists()  # a probe never creates a database
