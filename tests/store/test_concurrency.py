"""The CLI reads and writes while the daemon writes: never "database is locked".

The daemon polls a feed, matches, queues and sends alerts (one target failing, so
retries write too) while another writer keeps queuing alerts; meanwhile CLI commands
read (alerts, status, matches) and write (review, alerts retry) in a loop.
"""
from __future__ import annotations

import json
import threading
import time

from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.store import Store
from delivery_helpers import (
    ON_TOPIC_SUMMARY, ON_TOPIC_TITLE, DaemonProcess, enqueue, rss, run_cli, wait_for, write_config,
)


def test_cli_reads_and_writes_while_the_daemon_writes(tmp_path):
    with FeedServer() as feeds, WebhookReceiver() as good, WebhookReceiver() as bad:
        bad.down = True
        feeds.routes["/news.xml"] = Route(rss([{"title": ON_TOPIC_TITLE, "summary": ON_TOPIC_SUMMARY}], title="news"))
        config = write_config(tmp_path, [feeds.url("/news.xml")], [good.apprise_url("/a"), bad.apprise_url("/b")],
                              'retry_base = "1s"\nretry_max = "1s"\nmax_per_hour = 100000')
        db = tmp_path / "monitor.db"
        stop = threading.Event()
        writer_errors: list[str] = []

        def writer() -> None:
            with Store.open(db) as store:
                while not stop.wait(0.02):
                    try:
                        enqueue(store, 3)
                        store.bump_meta("writer_ticks")
                    except Exception as exc:  # would be "database is locked"
                        writer_errors.append(repr(exc))

        with DaemonProcess(config, tmp_path / "daemon.log", poll_tick=0.2, send_tick=0.05) as daemon:
            assert wait_for(lambda: len(good.received) >= 1, 20), daemon.log()
            thread = threading.Thread(target=writer, daemon=True)
            thread.start()
            item = json.loads(run_cli(config, "matches", "--json").stdout.splitlines()[0])["id"]
            commands = [("alerts", "--json", "--limit", "200"), ("status", "--json"), ("matches", "--json"),
                        ("review", str(item), "relevant"), ("alerts", "retry", "--failed"), ("alerts",)]
            results = []
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                for command in commands:
                    started = time.monotonic()
                    results.append((command, run_cli(config, *command), time.monotonic() - started))
            stop.set()
            thread.join()
            daemon.stop()
            log = daemon.log()

    failures = [(c, r.returncode, r.stderr[-300:]) for c, r, _ in results if r.returncode != 0]
    assert failures == []
    assert not any("locked" in (r.stdout + r.stderr).lower() for _, r, _ in results)
    assert "locked" not in log.lower() and "Traceback" not in log
    assert writer_errors == []
    assert len(results) >= 24
    slowest = max(seconds for _, _, seconds in results)
    assert slowest < 10, f"a command waited {slowest:.1f}s"
    with Store.open(db) as store:
        assert store.query_one("SELECT verdict FROM reviews WHERE item_id = ?", (item,))["verdict"] == "relevant"
        # The daemon really was committing meanwhile: a send result for most alerts.
        delivered = store.query_one("SELECT COUNT(*) AS n FROM alert_targets WHERE status = 'sent'")["n"]
        assert delivered > 50
