"""Feed states on a real SQLite file: one definition of enabled and removed for every
list, count and poll."""
from datetime import datetime, timezone

import pytest

from monitor.config import FeedConfig
from monitor.models import Item
from monitor.store import Store

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
CONFIGURED = [FeedConfig("https://a/rss", name="A"), FeedConfig("https://b/rss", name="B")]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "m.db") as opened:
        yield opened


def test_a_removed_configured_feed_stays_removed_for_every_count_and_poll(store):
    store.sync_feeds(CONFIGURED)
    store.add_feed("https://c/rss", "C")
    a = store.find_feed("https://a/rss")["id"]
    with store.write():  # with an item, so removing keeps the row
        store.add_item(a, Item(guid="g", url="https://a/1", title="T", text="B", published=NOW, lang="en",
                               content_hash="h"), NOW)
    assert store.remove_feed(a)
    store.sync_feeds(CONFIGURED)  # the configuration file still names it (the daemon syncs at each start)
    listed = [f["url"] for f in store.list_feeds()]
    assert listed == ["https://b/rss", "https://c/rss"]
    assert [f["url"] for f in store.due_feeds(NOW)] == listed
    assert [f["url"] for f in store.due_feeds(NOW, everything=True)] == listed
    health = store.feed_health()
    assert (health["feeds"], health["enabled"], health["removed"]) == (2, 2, 1)
    assert [r["url"] for r in store.removed_feeds()] == ["https://a/rss"]
    assert store.get_feed(a)["enabled"] == 0
    store.add_feed("https://a/rss")  # brought back on purpose
    store.sync_feeds(CONFIGURED)
    assert store.feed_health()["enabled"] == 3 and store.removed_feeds() == []


def test_failing_feeds_are_the_enabled_ones_with_errors(store):
    store.sync_feeds(CONFIGURED)
    a, b = (store.find_feed(u)["id"] for u in ("https://a/rss", "https://b/rss"))
    for feed_id in (a, b):
        store.record_fetch(feed_id, now=NOW, next_check=NOW, status=500, error="HTTP 500")
    store.sync_feeds(CONFIGURED[1:])  # a dropped from the configuration: disabled
    assert [(r["id"], r["feed"], r["error_count"]) for r in store.failing_feeds()] == [(b, "B", 1)]
    assert store.feed_health()["failing"] == 1
