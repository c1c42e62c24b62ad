"""Metrics and health: the daemon as a real process serving /metrics and /healthz, the
`monitor metrics` command, and the health rules on a real SQLite file."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from monitor.config import load_config
from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.desk.metrics import error_kind, health
from monitor.store import Store, iso, utcnow
from delivery_helpers import (
    ON_TOPIC_SUMMARY, ON_TOPIC_TITLE, DaemonProcess, free_port, rss, run_cli, wait_for, write_config,
)


def poll_age(text: str) -> int:
    """The seconds in "last poll Ns ago" (the stored time has whole seconds: N may be one more)."""
    return int(re.search(r"last poll (\d+)s ago", text).group(1))


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} from the Prometheus text format."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_the_running_daemon_serves_metrics_and_health_over_http(tmp_path):
    port = free_port()
    with FeedServer() as feeds, WebhookReceiver() as hook:
        feeds.routes["/news.xml"] = Route(rss([{"title": ON_TOPIC_TITLE, "summary": ON_TOPIC_SUMMARY}]))
        config = write_config(tmp_path, [feeds.url("/news.xml"), feeds.url("/missing.xml")], [hook.apprise_url()],
                              monitor_extra=f'metrics_listen = "127.0.0.1:{port}"')
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            base = f"http://127.0.0.1:{port}"

            def delivered() -> bool:
                try:
                    got = samples(httpx.get(f"{base}/metrics", timeout=5).text)
                except httpx.HTTPError:
                    return False
                return (got.get(("monitor_alerts", (("status", "sent"),))) == 1
                        and got.get(("monitor_search_backlog", ())) == 0)
            assert wait_for(delivered, 30, 0.3), daemon.log()
            metrics = httpx.get(f"{base}/metrics", timeout=5)
            healthz = httpx.get(f"{base}/healthz", timeout=5)
            missing = httpx.get(f"{base}/nothing", timeout=5)
            daemon.stop()
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    got = samples(metrics.text)
    assert got[("monitor_polls_total", ())] >= 1
    assert got[("monitor_feeds", (("state", "ok"),))] == 1
    assert got[("monitor_feeds", (("state", "failing"),))] == 1
    assert got[("monitor_feed_errors", (("kind", "http_4xx"),))] == 1  # /missing.xml answers 404
    assert got[("monitor_fetch_errors_in_a_row", (("kind", "http_4xx"),))] >= 1
    assert got[("monitor_feed_errors", (("kind", "timeout"),))] == 0
    assert got[("monitor_items", ())] == 1
    assert got[("monitor_search_backlog", ())] == 0  # the daemon's index job took the new item
    assert got[("monitor_matches_total", (("topic", "s400-f35"),))] == 1
    assert got[("monitor_stories_total", (("topic", "s400-f35"),))] == 1
    assert got[("monitor_last_poll_timestamp_seconds", ())] > utcnow().timestamp() - 120
    assert got[("monitor_daemon_up", ())] == 1
    assert got[("monitor_alert_send_latency_seconds_count", ())] == 1
    assert got[("monitor_alert_send_latency_seconds_bucket", (("le", "+Inf"),))] == 1
    assert healthz.status_code == 200 and healthz.text.startswith("ok")
    assert "database writable" in healthz.text
    assert missing.status_code == 404


def test_monitor_metrics_prints_the_same_families(tmp_path):
    config = write_config(tmp_path, [], [])
    with Store.open(tmp_path / "monitor.db") as store:
        store.add_feed("http://feeds.test/a.xml")
    result = run_cli(config, "metrics")
    assert result.returncode == 0, result.stderr
    got = samples(result.stdout)
    assert got[("monitor_feeds", (("state", "never_polled"),))] == 1
    assert got[("monitor_polls_total", ())] == 0
    assert got[("monitor_alert_send_latency_seconds_count", ())] == 0
    rows = [json.loads(line) for line in run_cli(config, "metrics", "--json").stdout.splitlines()]
    assert {"name": "monitor_feeds", "labels": {"state": "never_polled"}, "value": 1.0} in rows


def test_metrics_on_a_missing_database_is_one_line(tmp_path):
    config = write_config(tmp_path, [], [])
    result = run_cli(config, "metrics")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "does not exist yet" in result.stderr


def test_health_fails_when_the_last_poll_is_old_or_the_database_takes_no_write(tmp_path, monkeypatch):
    config = load_config(write_config(tmp_path, [], []))  # poll_interval 10s: a poll may be 80s old
    db = tmp_path / "monitor.db"

    def last_poll(ago: timedelta | None) -> None:
        with Store.open(db) as store:
            store.set_meta("last_poll_at", iso(utcnow() - ago) if ago is not None else None)

    last_poll(timedelta(seconds=20))
    fresh = health(db, config)
    assert fresh.ok and fresh.reasons[0] == "database writable" and 20 <= poll_age(fresh.text()) <= 22
    last_poll(timedelta(minutes=5))
    stale = health(db, config)
    assert not stale.ok and "s ago (limit 80s)" in stale.text() and 300 <= poll_age(stale.text()) <= 302
    last_poll(None)
    assert not health(db, config).ok
    assert health(db, config, started_at=utcnow()).ok  # just started, first poll pending
    last_poll(timedelta(0))
    monkeypatch.setattr("monitor.desk.metrics.HEALTH_WRITE_TIMEOUT_S", 0.3)
    blocker = sqlite3.connect(str(db), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # a writer that never lets go
    try:
        stuck = health(db, config)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert not stuck.ok and stuck.reasons == ["database not writable: database is locked"]
    assert health(db, config).ok


def test_error_kinds_cover_the_fetchers_messages():
    assert error_kind("HTTP 404 Not Found", 404) == "http_4xx"
    assert error_kind("HTTP 503 Service Unavailable", 503) == "http_5xx"
    assert error_kind("timed out after 30s", 0) == "timeout"
    assert error_kind("connection refused", 0) == "connection"
    assert error_kind("response larger than 10 MiB", 200) == "too_large"
    assert error_kind("not a feed: HTML page", 200) == "not_a_feed"
    assert error_kind("processing failed: KeyError: x", 200) == "processing"
    assert error_kind("something new", 0) == "other"


def test_a_bad_metrics_listen_is_one_line_naming_the_key(tmp_path):
    config = write_config(tmp_path, [], [], monitor_extra='metrics_listen = "9464"')
    result = run_cli(config, "metrics")
    assert result.returncode == 1
    assert "[monitor] metrics_listen: '9464' is not HOST:PORT" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_healthz_answers_503_with_the_reason_when_polls_stopped(tmp_path):
    from monitor.desk.metrics import MetricsServer

    config = load_config(write_config(tmp_path, [], []))
    with Store.open(tmp_path / "monitor.db") as store:
        store.set_meta("last_poll_at", iso(utcnow() - timedelta(hours=2)))
    server = MetricsServer("127.0.0.1", 0, tmp_path / "monitor.db", config).start()
    try:
        stale = httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)
        with Store.open(tmp_path / "monitor.db") as store:
            store.set_meta("last_poll_at", iso(utcnow()))
        fresh = httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)
    finally:
        server.close()
    assert stale.status_code == 503 and "(limit 80s)" in stale.text and 7200 <= poll_age(stale.text) <= 7202
    assert fresh.status_code == 200


def test_a_scrape_does_not_wait_for_a_writer(tmp_path):
    from prometheus_client import CollectorRegistry, generate_latest

    from monitor.desk.metrics import MonitorCollector

    with Store.open(tmp_path / "monitor.db") as store:
        store.add_feed("http://feeds.test/a.xml")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(tmp_path / "monitor.db"))
    writer = sqlite3.connect(str(tmp_path / "monitor.db"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a poll's transaction in progress
    writer.execute("INSERT INTO feeds(url, added_at) VALUES ('http://feeds.test/b.xml', '2026-01-01T00:00:00Z')")
    try:
        got = samples(generate_latest(registry).decode())  # a Store.open would queue for the lock here
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert got[("monitor_feeds", (("state", "never_polled"),))] == 1  # committed state only
