"""Prometheus metrics and the health check, read from the database at scrape time.

The numbers live in the database, not in one process's memory, so `monitor metrics`
(a separate process) and the daemon's `/metrics` endpoint report the same thing, and
nothing is lost on a restart. Counters that only grow (polls, items stored, matches,
alerts sent, send latency) are read as Prometheus counters and histograms; states
(feeds by state, alerts by status) as gauges.

    MonitorCollector(db_path, config)   a prometheus_client Collector
    metrics_text(db_path, config)       the text exposition format (bytes)
    health(db_path, config)             (ok, reasons): last poll recent, database writable
    MetricsServer(host, port, ...)      /metrics and /healthz on a background thread
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, generate_latest, make_wsgi_app
from prometheus_client.core import (
    CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from monitor.config import Config
from monitor.store import Store, StoreError, parse_iso, utcnow
from monitor.store.desk import probe_write

log = logging.getLogger("monitor.metrics")

# Seconds from an alert being queued to its delivery; chat services answer in about a
# second, a retried target in minutes to hours (the retry schedule doubles from 30 s).
LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
FEED_STATES = ("ok", "failing", "gone", "disabled", "never_polled")
ERROR_KINDS = ("http_4xx", "http_5xx", "timeout", "connection", "too_large", "blocked",
               "not_a_feed", "processing", "other")
HEALTH_WRITE_TIMEOUT_S = 5


def error_kind(error: str | None, status: int | None) -> str:
    """The kind of a feed's last error (its one-line message and HTTP status), for a
    label with a handful of values rather than one per message."""
    text = (error or "").lower()
    if status and 400 <= status < 500 or text.startswith("http 4"):
        return "http_4xx"
    if status and status >= 500 or text.startswith("http 5"):
        return "http_5xx"
    if "timed out" in text:
        return "timeout"
    if text.startswith(("connection", "tls error", "protocol error")):
        return "connection"
    if "larger than" in text or "exceeds" in text and "bytes" in text:
        return "too_large"
    if "not allowed" in text or "blocked" in text or "private" in text or "no host" in text:
        return "blocked"
    if text.startswith(("not a feed", "not parsed")):
        return "not_a_feed"
    if text.startswith("processing failed"):
        return "processing"
    return "other"


def open_read_only(path: str | Path, timeout: float = 5.0):
    """A Store on a read-only connection, for scrapes: no migration check (which takes the
    write lock), never waiting on a writer (WAL readers do not). Raises StoreError when
    the file is missing."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"database {path} does not exist yet (run `monitor poll` first)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    return Store(conn, path)


class MonitorCollector(Collector):
    """Reads the database at each collect(); one short-lived connection per scrape."""

    def __init__(self, db_path: Path, config: Config | None = None):
        self.db_path = Path(db_path)
        self.config = config

    def collect(self):
        # Read-only: a scrape never queues behind the poll's write transaction.
        with open_read_only(self.db_path) as store:
            yield from self._families(store)

    def _families(self, store: Store):
        meta = store.all_meta()
        polls = CounterMetricFamily("monitor_polls", "Polls that found feeds due (daemon and `monitor poll`).")
        polls.add_metric([], float(meta.get("polls_total") or 0))
        yield polls

        feeds = GaugeMetricFamily("monitor_feeds", "Feeds by state.", labels=["state"])
        counts = dict.fromkeys(FEED_STATES, 0)
        errors = dict.fromkeys(ERROR_KINDS, 0)
        feed_rows = store.feed_states()
        for row in feed_rows:
            if not row["enabled"]:
                state = "disabled"
            elif row["gone"]:
                state = "gone"
            elif row["error_count"]:
                state = "failing"
                errors[error_kind(row["last_error"], row["last_status"])] += 1
            elif row["last_success_at"] is None:
                state = "never_polled"
            else:
                state = "ok"
            counts[state] += 1
        for state, n in counts.items():
            feeds.add_metric([state], n)
        yield feeds
        failing = GaugeMetricFamily("monitor_feed_errors", "Failing feeds by the kind of their last error.",
                                    labels=["kind"])
        for kind, n in errors.items():
            failing.add_metric([kind], n)
        yield failing
        # A gauge, not a counter: a feed's errors in a row drop to 0 when it recovers.
        consecutive = GaugeMetricFamily(
            "monitor_fetch_errors_in_a_row", "Fetch errors in a row of the currently failing feeds, by kind.",
            labels=["kind"])
        by_kind = dict.fromkeys(ERROR_KINDS, 0)
        for row in (r for r in feed_rows if r["error_count"] > 0):
            by_kind[error_kind(row["last_error"], row["last_status"])] += row["error_count"]
        for kind, n in by_kind.items():
            consecutive.add_metric([kind], n)
        yield consecutive

        items = GaugeMetricFamily("monitor_items", "Items stored (unmatched ones are pruned after [monitor] retention).")
        items.add_metric([], store.item_total())
        yield items
        backlog = GaugeMetricFamily("monitor_search_backlog", "Items stored but not yet in the search index.")
        backlog.add_metric([], store.search_backlog())
        yield backlog
        matches = CounterMetricFamily("monitor_matches", "Matched items, by topic.", labels=["topic"])
        by_topic = store.counts_by_topic()
        for topic, n in by_topic["matches"].items():
            matches.add_metric([topic], n)
        yield matches
        stories = CounterMetricFamily("monitor_stories", "Stories (events), by topic.", labels=["topic"])
        for topic, n in by_topic["stories"].items():
            stories.add_metric([topic], n)
        yield stories
        alerts = GaugeMetricFamily("monitor_alerts", "Alerts in the outbox, by status.", labels=["status"])
        for status, n in store.alert_counts().items():
            alerts.add_metric([status], n)
        yield alerts

        last_poll = parse_iso(meta.get("last_poll_at"))
        poll_time = GaugeMetricFamily("monitor_last_poll_timestamp_seconds",
                                      "Start of the last poll that found feeds due (Unix time).")
        poll_time.add_metric([], last_poll.timestamp() if last_poll else 0)
        yield poll_time
        success = store.last_fetch_success()
        success_time = GaugeMetricFamily("monitor_last_fetch_success_timestamp_seconds",
                                         "Latest successful fetch of any feed (Unix time).")
        success_time.add_metric([], parse_iso(success).timestamp() if success else 0)
        yield success_time
        beat = parse_iso(meta.get("daemon_heartbeat"))
        up = GaugeMetricFamily("monitor_daemon_up", "1 while the daemon's heartbeat is under two minutes old.")
        up.add_metric([], 1 if meta.get("daemon_pid") and beat and utcnow() - beat < timedelta(minutes=2) else 0)
        yield up
        yield self._latency(store)

    def _latency(self, store: Store) -> HistogramMetricFamily:
        seconds = store.send_latencies()
        buckets = [(str(float(b)), sum(1 for s in seconds if s <= b)) for b in LATENCY_BUCKETS]
        buckets.append(("+Inf", len(seconds)))
        family = HistogramMetricFamily("monitor_alert_send_latency_seconds",
                                       "From an alert being queued to its delivery to every target.")
        family.add_metric([], buckets, sum_value=sum(seconds))
        return family


def metrics_text(db_path: Path, config: Config | None = None) -> bytes:
    """The Prometheus text exposition format of the database's metrics."""
    Store.open(db_path, create=False).close()  # migrated, as every command leaves it
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(db_path, config))
    return generate_latest(registry)


@dataclass
class Health:
    ok: bool
    reasons: list[str]

    def text(self) -> str:
        return ("ok" if self.ok else "unhealthy") + "".join(f"\n{r}" for r in self.reasons) + "\n"


def poll_age_limit(config: Config) -> timedelta:
    """How old the last poll may be: twice the longest feed interval, plus a minute.

    A poll is recorded only when some feed was due, so with every feed on a 1h interval
    a quiet hour is normal.
    """
    longest = max([config.poll_interval] + [f.poll_interval for f in config.feeds if f.poll_interval])
    return 2 * longest + timedelta(minutes=1)


def health(db_path: Path, config: Config, started_at=None) -> Health:
    """Healthy while the last poll is recent and the database takes a write.

    `started_at`: when the daemon started; before its first poll the age counts from then.
    """
    reasons: list[str] = []
    ok = True
    now = utcnow()
    limit = poll_age_limit(config)
    try:
        last_poll = parse_iso(probe_write(db_path, HEALTH_WRITE_TIMEOUT_S, now))
    except sqlite3.Error as exc:
        return Health(False, [f"database not writable: {exc}"])
    reasons.append("database writable")
    reference = last_poll or started_at
    if reference is None:
        ok = False
        reasons.append("no poll yet")
    elif now - reference > limit:
        ok = False
        reasons.append(f"last poll {int((now - reference).total_seconds())}s ago (limit {int(limit.total_seconds())}s)")
    else:
        reasons.append(f"last poll {int((now - reference).total_seconds())}s ago" if last_poll
                       else "started, first poll pending")
    return Health(ok, reasons)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # scrapes every 15 s would flood the log
        log.debug("metrics: " + format, *args)


class MetricsServer:
    """`/metrics` (Prometheus text format) and `/healthz` (200 or 503) over HTTP."""

    def __init__(self, host: str, port: int, db_path: Path, config: Config, started_at=None):
        registry = CollectorRegistry(auto_describe=False)
        registry.register(MonitorCollector(db_path, config))
        metrics_app = make_wsgi_app(registry)
        self.db_path, self.config, self.started_at = db_path, config, started_at

        def app(environ, start_response):
            path = environ.get("PATH_INFO", "/")
            if path in ("/healthz", "/healthcheck"):
                result = health(self.db_path, self.config, self.started_at)
                start_response("200 OK" if result.ok else "503 Service Unavailable",
                               [("Content-Type", "text/plain; charset=utf-8")])
                return [result.text().encode()]
            if path == "/metrics":
                return metrics_app(environ, start_response)
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: try /metrics or /healthz\n"]

        self._server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)

    def start(self) -> "MetricsServer":
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

