from datetime import datetime, timedelta, timezone

import pytest

from monitor.config import FeedConfig
from monitor.models import Item
from monitor.store import Store, StoreError
from monitor.store.schema import migrations

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "m.db") as opened:
        yield opened


def item(guid="g1", url="https://a.example/1", digest="h1") -> Item:
    return Item(guid=guid, url=url, title="T", text="B", published=NOW, lang="en", content_hash=digest)


def test_migrations_are_recorded_and_wal_is_on(tmp_path):
    Store.open(tmp_path / "m.db").close()
    with Store.open(tmp_path / "m.db") as store:  # a second open applies nothing twice
        applied = store.query("SELECT name FROM _sqlite_migrations")
        assert [r["name"] for r in applied][0] == "0001_initial"
        assert len({r["name"] for r in applied}) == len(applied)
        assert migrations.pending(store.db) == []
        assert store.query_one("PRAGMA journal_mode")["journal_mode"] == "wal"


def test_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist yet"):
        Store.open(tmp_path / "none.db", create=False)


def test_sync_feeds_follows_config_but_keeps_cli_feeds(store):
    store.sync_feeds([FeedConfig("https://a/rss"), FeedConfig("https://b/rss", name="B")])
    store.add_feed("https://c/rss", "C")
    store.sync_feeds([FeedConfig("https://b/rss", name="B2")])
    feeds = {f["url"]: f for f in store.list_feeds()}
    assert feeds["https://a/rss"]["enabled"] == 0  # dropped from config: disabled, not deleted
    assert feeds["https://b/rss"]["name"] == "B2"
    assert feeds["https://c/rss"]["enabled"] == 1
    assert [f["url"] for f in store.due_feeds(NOW)] == ["https://b/rss", "https://c/rss"]


def test_record_fetch_tracks_health_and_schedule(store):
    feed_id = store.add_feed("https://a/rss")
    store.record_fetch(feed_id, now=NOW, next_check=NOW + timedelta(minutes=5), status=500, error="HTTP 500")
    store.record_fetch(feed_id, now=NOW, next_check=NOW + timedelta(minutes=10), status=500, error="HTTP 500")
    feed = store.get_feed(feed_id)
    assert (feed["error_count"], feed["last_error"]) == (2, "HTTP 500")
    assert store.due_feeds(NOW) == []
    assert len(store.due_feeds(NOW, everything=True)) == 1
    store.record_fetch(feed_id, now=NOW, next_check=NOW, status=200, error=None, etag='"x"', new_url="https://a/new")
    feed = store.get_feed(feed_id)
    assert (feed["error_count"], feed["etag"], feed["url"], feed["moved_from"]) == (0, '"x"', "https://a/new", "https://a/rss")


def test_item_identity_by_guid_url_and_content(store):
    feed_a, feed_b = store.add_feed("https://a/rss"), store.add_feed("https://b/rss")
    with store.write():
        item_id = store.add_item(feed_a, item(), NOW)
    assert store.known_guids(feed_a, ["g1", "g2"]) == {"g1"}
    assert store.known_guids(feed_b, ["g1"]) == set()
    assert store.find_same_item("https://a.example/1", "other") == item_id
    assert store.find_same_item(None, "h1") == item_id
    assert store.find_same_item("https://elsewhere/", "h2") is None


def test_remove_feed_keeps_items(store):
    feed_id = store.add_feed("https://a/rss")
    empty_id = store.add_feed("https://b/rss")
    with store.write():
        store.add_item(feed_id, item(), NOW)
    assert store.remove_feed(feed_id) and store.remove_feed(empty_id)
    assert store.get_feed(empty_id) is None
    assert store.get_feed(feed_id)["enabled"] == 0
    assert store.remove_feed(999) is False


def test_write_rolls_back_on_error(store):
    feed_id = store.add_feed("https://a/rss")
    with pytest.raises(RuntimeError):
        with store.write():
            store.add_item(feed_id, item(), NOW)
            raise RuntimeError("boom")
    assert store.item_counts()["items"] == 0


def test_prune_forgets_old_unmatched_items_and_keeps_matched_and_reviewed(store):
    from monitor.models import MatchResult

    feed_id = store.add_feed("https://a/rss")
    old, recent = NOW - timedelta(days=100), NOW - timedelta(days=1)
    with store.write():
        plain = store.add_item(feed_id, item("g1", "https://a/1", "h1"), old)
        matched = store.add_item(feed_id, item("g2", "https://a/2", "h2"), old)
        reviewed = store.add_item(feed_id, item("g3", "https://a/3", "h3"), old)
        fresh = store.add_item(feed_id, item("g4", "https://a/4", "h4"), recent)
        store.save_match(matched, MatchResult("t", True, 5.0, 2.5), old)
    store.save_review(reviewed, "t", "irrelevant", NOW)
    assert store.prune_items(NOW - timedelta(days=90), batch=1) == 1
    remaining = {r["id"] for r in store.query("SELECT id FROM items")}
    assert remaining == {matched, reviewed, fresh}
    assert store.known_guids(feed_id, ["g1", "g2"]) == {"g2"}  # its source row went with it
    assert store.get_item(plain) is None


def test_a_lease_taken_over_by_another_sender_cannot_be_renewed(store):
    with store.write():
        alert_id = store.enqueue_alert(topic="t", story_id=None, item_id=None, kind="new", title="T", body="B",
                                       body_html=None, now=NOW, expires_at=NOW + timedelta(days=1))
    assert [a["id"] for a in store.claim_due_alerts(NOW, timedelta(minutes=5), owner="a")] == [alert_id]
    assert store.claim_due_alerts(NOW, timedelta(minutes=5), owner="b") == []  # leased
    later = NOW + timedelta(minutes=6)  # a's batch outlasted its lease
    assert [a["id"] for a in store.claim_due_alerts(later, timedelta(minutes=5), owner="b")] == [alert_id]
    assert store.renew_claim(alert_id, "a", later + timedelta(minutes=5)) is False
    assert store.renew_claim(alert_id, "b", later + timedelta(minutes=5)) is True


def test_a_moved_feed_stays_moved_when_the_config_still_names_its_old_url(store):
    store.sync_feeds([FeedConfig("https://old/rss")])
    feed_id = store.list_feeds()[0]["id"]
    store.record_fetch(feed_id, now=NOW, next_check=NOW, status=200, error=None, etag='"e"', new_url="https://new/rss")
    store.sync_feeds([FeedConfig("https://old/rss", name="Renamed")])
    feeds = store.list_feeds()
    assert [(f["id"], f["url"], f["enabled"], f["name"]) for f in feeds] == [(feed_id, "https://new/rss", 1, "Renamed")]


def test_adding_a_gone_or_removed_feed_again_brings_it_back(store):
    feed_id = store.add_feed("https://a/rss")
    with store.write():
        store.add_item(feed_id, item(), NOW)
    store.record_fetch(feed_id, now=NOW, next_check=NOW + timedelta(days=1), status=410, error="HTTP 410 Gone", gone=True)
    store.remove_feed(feed_id)
    assert store.due_feeds(NOW, everything=True) == [] and store.list_feeds() == []
    assert store.add_feed("https://a/rss") == feed_id
    assert [f["id"] for f in store.due_feeds(NOW)] == [feed_id]
    assert [f["id"] for f in store.list_feeds()] == [feed_id]


def test_validators_follow_the_latest_answer(store):
    feed_id = store.add_feed("https://a/rss")
    store.record_fetch(feed_id, now=NOW, next_check=NOW, status=200, error=None, etag='"1"', last_modified="Mon")
    store.record_fetch(feed_id, now=NOW, next_check=NOW, status=200, error=None)  # the server dropped them
    feed = store.get_feed(feed_id)
    assert (feed["etag"], feed["last_modified"]) == (None, None)


def test_items_of_a_feed_are_stored_and_found_in_batches(store):
    feed = store.add_feed("https://a/rss")
    with store.write():
        first = store.add_item(feed, item(), NOW)
        next_id = store.next_item_id()
        store.add_items(feed, [(next_id, item("g2", "https://a.example/2", "h2")),
                               (next_id + 1, item("g3", None, "h3"))], NOW)
        store.add_sources([(feed, "g2", next_id, NOW), (feed, "g3", next_id + 1, NOW)])
    assert next_id == first + 1
    assert store.known_guids(feed, ["g1", "g2", "g3", "g4"]) == {"g1", "g2", "g3"}
    by_hash, by_url = store.same_items(["h1", "h3", "nope"], ["https://a.example/2", "https://x/"])
    assert by_hash == {"h1": first, "h3": next_id + 1} and by_url == {"https://a.example/2": next_id}
    assert store.get_item(next_id + 1)["sources"][0]["guid"] == "g3"


def test_unchanged_feeds_are_recorded_together_like_one_by_one(store):
    a, b = store.add_feed("https://a/rss"), store.add_feed("https://b/rss")
    store.record_fetch(a, now=NOW, next_check=NOW + timedelta(minutes=15), status=304, error=None,
                       etag='"e1"', last_modified="Sat, 21 Nov 2026 11:00:00 GMT")
    store.record_unchanged([(b, NOW, NOW + timedelta(minutes=15), 304, '"e1"', "Sat, 21 Nov 2026 11:00:00 GMT")])
    one, batched = store.get_feed(a), store.get_feed(b)
    for key in ("last_checked_at", "last_success_at", "first_success_at", "last_status", "last_error",
                "error_count", "next_check_at", "etag", "last_modified", "items_seen", "body_hash"):
        assert one[key] == batched[key], key


def test_a_batch_commits_writes_together_and_a_failed_write_alone_rolls_back(tmp_path):
    path = tmp_path / "b.db"
    with Store.open(path) as store, Store.open(path) as other:
        other.conn.execute("PRAGMA busy_timeout = 0")
        with store.batch(seconds=3600):
            store.add_feed("https://a/rss")
            with pytest.raises(RuntimeError):
                with store.write():
                    store.execute("INSERT INTO feeds(url, added_at) VALUES ('https://b/rss', 'now')")
                    raise RuntimeError("this write only")
            store.add_feed("https://c/rss")
            # Not committed yet: another connection neither sees it nor can write.
            assert other.list_feeds() == []
            with pytest.raises(Exception, match="locked"):
                other.add_feed("https://d/rss")
            store.commit_batch()
            assert [f["url"] for f in other.list_feeds()] == ["https://a/rss", "https://c/rss"]
            other.add_feed("https://d/rss")  # the write lock is free between commits
            store.add_feed("https://e/rss")
        assert len(other.list_feeds()) == 4  # the end of the batch commits the rest
