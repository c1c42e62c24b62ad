"""The poll path end to end: feeds on a real loopback HTTP server, a real SQLite file."""
from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest

from conftest import OFF_TOPIC, ON_TOPIC, rss
from monitor.config import load_config
from monitor.demo.loopback import FeedServer, Route
from monitor.pipeline import build_runtime, poll_once
from monitor.store import Store, utcnow


@pytest.fixture
def run_poll():
    runtimes = []

    def poll(config_path, everything=True):
        config = load_config(config_path, environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        runtimes.append((runtime, store))
        return poll_once(store, runtime, everything=everything), store

    yield poll
    for runtime, store in runtimes:
        runtime.close()
        store.close()


def test_new_items_match_alert_once_and_unchanged_feed_costs_nothing(monitor_setup, run_poll):
    with FeedServer({"/a.xml": Route(rss([ON_TOPIC, OFF_TOPIC], "A"))}) as server:
        setup = monitor_setup([server.url("/a.xml")])
        report, store = run_poll(setup.config_path)
        assert (report.feeds, report.new_items, report.matched, report.alerts) == (1, 2, 1, 1)
        assert store.alert_counts()["pending"] == 1
        second, _ = run_poll(setup.config_path)
        assert (second.not_modified, second.new_items, second.alerts) == (1, 0, 0)
        # The second request was conditional: the server's ETag was echoed verbatim.
        assert server.requests[-1][1].get("if-none-match", "").startswith('"')


def test_same_item_in_two_feeds_is_one_item_and_one_alert(monitor_setup, run_poll):
    shared = dict(ON_TOPIC, url="https://wire.example/story-1?utm_source=a")
    copy = dict(ON_TOPIC, url="https://wire.example/story-1?utm_source=b", guid="other-guid")
    with FeedServer({"/a.xml": Route(rss([shared], "A")), "/b.xml": Route(rss([copy], "B"))}) as server:
        setup = monitor_setup([server.url("/a.xml"), server.url("/b.xml")])
        report, store = run_poll(setup.config_path)
    assert report.new_items == 1 and report.alerts == 1
    assert store.item_counts()["items"] == 1
    item = store.get_item(store.list_matches()[0]["id"])
    assert len(item["sources"]) == 2


def test_feed_that_republishes_everything_under_new_guids_alerts_nothing(monitor_setup, run_poll):
    version = {"n": 0}

    def feed():
        items = [dict(ON_TOPIC, guid=f"v{version['n']}-1"), dict(OFF_TOPIC, guid=f"v{version['n']}-2")]
        return Route(rss(items, "A"))

    with FeedServer({"/a.xml": feed}) as server:
        setup = monitor_setup([server.url("/a.xml")])
        first, _ = run_poll(setup.config_path)
        version["n"] = 1
        second, store = run_poll(setup.config_path)
    assert first.alerts == 1
    assert (second.new_items, second.alerts) == (0, 0)
    assert store.item_counts()["items"] == 2


def test_failing_feed_is_recorded_and_does_not_stop_the_poll(monitor_setup, run_poll):
    routes = {
        "/ok.xml": Route(rss([ON_TOPIC], "OK")),
        "/broken.xml": Route(b"<html><body>Please log in</body></html>", content_type="text/html"),
        "/error.xml": Route(b"oops", status=500),
    }
    with FeedServer(routes) as server:
        setup = monitor_setup([server.url(p) for p in routes])
        report, store = run_poll(setup.config_path)
    assert (report.feeds, report.failed, report.alerts) == (3, 2, 1)
    errors = {f["url"].rsplit("/", 1)[1]: f for f in store.list_feeds()}
    assert errors["error.xml"]["error_count"] == 1 and "500" in errors["error.xml"]["last_error"]
    assert errors["broken.xml"]["error_count"] == 1 and errors["broken.xml"]["last_error"]
    assert errors["ok.xml"]["error_count"] == 0
    # A failed feed is retried later, not abandoned and not hammered.
    assert errors["error.xml"]["next_check_at"] > errors["error.xml"]["last_checked_at"]


def test_backlog_of_a_new_feed_is_stored_but_not_alerted(monitor_setup, run_poll):
    old = dict(ON_TOPIC, published=format_datetime(utcnow() - timedelta(days=10)))
    with FeedServer({"/a.xml": Route(rss([old], "A"))}) as server:
        setup = monitor_setup([server.url("/a.xml")], extra='backfill = "1d"')
        setup.config_path.write_text(setup.config_path.read_text().replace('backfill = "3650d"\n', ""))
        report, store = run_poll(setup.config_path)
    assert (report.new_items, report.matched, report.alerts) == (1, 1, 0)
    match = store.list_matches()[0]
    assert match["quiet_reason"].startswith("backlog")


def test_due_feeds_only_without_all(monitor_setup, run_poll):
    with FeedServer({"/a.xml": Route(rss([OFF_TOPIC], "A"))}) as server:
        setup = monitor_setup([server.url("/a.xml")])
        first, _ = run_poll(setup.config_path, everything=False)
        second, _ = run_poll(setup.config_path, everything=False)
    assert (first.feeds, second.feeds) == (1, 0)


def test_same_bytes_without_conditional_get_skip_parsing(monitor_setup, run_poll):
    with FeedServer({"/a.xml": Route(rss([ON_TOPIC], "A"))}) as server:
        setup = monitor_setup([server.url("/a.xml")])
        first, store = run_poll(setup.config_path)
        # As if the server ignored validators: the request is unconditional and gets 200.
        store.execute("UPDATE feeds SET etag = NULL, last_modified = NULL")
        second, _ = run_poll(setup.config_path)
    assert "if-none-match" not in server.requests[-1][1]
    assert first.entries == 1
    assert (second.not_modified, second.entries, second.new_items) == (1, 0, 0)
    assert store.list_feeds()[0]["etag"]  # the validator is picked up again


def test_a_fault_on_one_feeds_items_costs_that_feed_only(monitor_setup, run_poll, monkeypatch):
    import monitor.pipeline as pipeline

    real = pipeline.process_new_items

    def fragile(store, config, topics, feed, entries, now, **options):
        if feed["url"].endswith("/bad.xml"):
            raise ValueError("unexpected input")
        return real(store, config, topics, feed, entries, now, **options)

    monkeypatch.setattr(pipeline, "process_new_items", fragile)
    routes = {"/bad.xml": Route(rss([ON_TOPIC], "Bad")), "/good.xml": Route(rss([dict(ON_TOPIC, guid="g")], "Good"))}
    with FeedServer(routes) as server:
        setup = monitor_setup([server.url(p) for p in routes])
        report, store = run_poll(setup.config_path)
    assert (report.feeds, report.failed, report.alerts) == (2, 1, 1)
    bad = next(f for f in store.list_feeds() if f["url"].endswith("/bad.xml"))
    assert bad["last_error"] == "processing failed: ValueError: unexpected input"
    assert bad["error_count"] == 1 and bad["next_check_at"] > bad["last_checked_at"]
    assert store.item_counts()["items"] == 1  # the bad feed's transaction was rolled back whole


def test_a_feed_implying_an_unknown_party_is_logged(tmp_path, caplog):
    from conftest import write_config
    from monitor.config import load_config
    from monitor.pipeline import build_runtime

    path = write_config(tmp_path, [])
    text = path.read_text(encoding="utf-8").replace(
        "[[topic]]", '[[feed]]\nurl = "https://example.org/rss"\nname = "Ex"\nimplies = ["turky"]\n\n[[topic]]', 1)
    path.write_text(text, encoding="utf-8")
    with caplog.at_level("WARNING", logger="monitor.poll"):
        runtime = build_runtime(load_config(path, environ={}))
    runtime.close()
    assert "feed Ex: implies 'turky', which no topic's lexicon names (ignored)" in caplog.text


def test_a_poll_of_many_feeds_on_one_host_parses_in_workers_and_keeps_every_feed(monitor_setup, run_poll):
    from monitor.pipeline import POOL_MIN_FEEDS

    count = POOL_MIN_FEEDS + 8
    routes = {f"/{i}.xml": Route(rss([dict(OFF_TOPIC, guid=f"o{i}", title=f"{OFF_TOPIC['title']} {i}"),
                                      dict(ON_TOPIC, guid=f"t{i}")] if i == 3 else
                                     [dict(OFF_TOPIC, guid=f"o{i}", title=f"{OFF_TOPIC['title']} {i}")], f"F{i}"))
              for i in range(count)}
    routes["/login.xml"] = Route(b"<html><body>Sign in</body></html>", content_type="text/html")
    with FeedServer(routes) as server:
        setup = monitor_setup([server.url(path) for path in routes])
        report, store = run_poll(setup.config_path)
        assert (report.feeds, report.failed, report.new_items, report.matched, report.alerts) == (count + 1, 1, count + 1, 1, 1)
        assert store.item_counts()["items"] == count + 1
        failed = next(f for f in store.list_feeds() if f["url"].endswith("/login.xml"))
        assert failed["last_error"].startswith("not a feed")
        again, _ = run_poll(setup.config_path)
        assert (again.not_modified, again.new_items, again.failed) == (count, 0, 1)


def test_an_interrupted_poll_lets_its_threads_finish(monitor_setup, run_poll, monkeypatch):
    import threading

    import monitor.pipeline as pipeline

    monkeypatch.setattr(pipeline, "QUEUE_FEEDS", 1)
    calls = []

    def interrupt(outcome, done, total):
        calls.append(done)
        raise KeyboardInterrupt

    routes = {f"/{i}.xml": Route(rss([dict(OFF_TOPIC, guid=f"o{i}", title=f"{OFF_TOPIC['title']} {i}")], f"F{i}"))
              for i in range(pipeline.POOL_MIN_FEEDS + 4)}
    with FeedServer(routes) as server:
        setup = monitor_setup([server.url(path) for path in routes])
        config = load_config(setup.config_path, environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        try:
            with pytest.raises(KeyboardInterrupt):
                poll_once(store, runtime, everything=True, progress=interrupt)
            for thread in threading.enumerate():
                if thread.name.startswith(("poll-fetch", "poll-parse")):
                    thread.join(timeout=20)
                    assert not thread.is_alive(), f"{thread.name} is stuck"
        finally:
            runtime.close()
            store.close()
    assert calls == [1]
