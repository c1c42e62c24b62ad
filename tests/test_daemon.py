"""`monitor run` as a real process: delivery through outages, SIGTERM, SIGHUP, systemd.

Feeds come from a FeedServer on loopback, alerts go to a real webhook receiver (Apprise
json://) and a real SMTP server (aiosmtpd, Apprise mailto://).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from apscheduler.events import EVENT_JOB_ERROR

from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.store import Store
from delivery_helpers import (
    ON_TOPIC_SUMMARY, ON_TOPIC_TITLE, DaemonProcess, SmtpSink, enqueue, references, rss, run_cli, smtp_texts,
    text_part, wait_for, webhook_texts, write_config,
)

FAST_RETRY = 'retry_base = "1s"\nretry_max = "2s"'


def all_sent(db: Path) -> bool:
    with Store.open(db) as store:
        counts = store.alert_counts()
    return counts["sent"] > 0 and counts["pending"] == counts["failed"] == 0


def test_every_alert_reaches_a_flaky_webhook_and_a_mail_server_exactly_once(tmp_path):
    with FeedServer() as feeds, WebhookReceiver() as hook, SmtpSink() as smtp:
        feeds.routes["/news.xml"] = Route(rss([{"title": ON_TOPIC_TITLE, "summary": ON_TOPIC_SUMMARY}]))
        hook.fail_next = 3  # its first posts fail...
        config = write_config(tmp_path, [feeds.url("/news.xml")], [hook.apprise_url(), smtp.apprise_url()],
                              FAST_RETRY)
        with Store.open(tmp_path / "monitor.db") as store:
            queued = enqueue(store, 5)
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            assert wait_for(lambda: hook.attempts >= 3, 30), daemon.log()
            hook.down = True  # ...and then it is away for a while
            assert wait_for(lambda: len(smtp.messages) >= 6, 30), daemon.log()
            away = hook.started
            time.sleep(4)  # retries while the webhook is down (it rests 1-2 s after each failure)
            assert hook.started > away
            hook.down = False
            assert wait_for(lambda: all_sent(tmp_path / "monitor.db"), 30), daemon.log()
            time.sleep(1.5)  # a few more send ticks: nothing more may arrive
            with Store.open(tmp_path / "monitor.db") as store:
                alerts = store.list_alerts(limit=100)
            daemon.stop()
    ids = sorted(a["id"] for a in alerts)
    assert len(ids) == 6 and set(queued) < set(ids)  # five queued here, one from the feed
    assert sorted(references(webhook_texts(hook))) == ids
    assert sorted(references(smtp_texts(smtp))) == ids
    assert hook.attempts >= len(ids) + 3
    failed_then_sent = [t for a in alerts for t in a["targets"] if t["label"].startswith("json") and t["attempts"] > 1]
    assert failed_then_sent  # the webhook really needed retries
    from_feed = next(m for m in smtp.messages if "Turkey activates" in m["subject"])
    assert from_feed.get_content_type() == "multipart/alternative"
    assert "CAATSA" in text_part(from_feed)


def test_sigterm_during_a_send_finishes_it_and_exits_within_seconds(tmp_path):
    with WebhookReceiver() as hook:
        hook.delay = 3.0  # a slow service: the send is in flight when SIGTERM comes
        config = write_config(tmp_path, [], [hook.apprise_url()], FAST_RETRY)
        with Store.open(tmp_path / "monitor.db") as store:
            [alert_id] = enqueue(store, 1)
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            assert wait_for(lambda: hook.started >= 1, 20), daemon.log()
            time.sleep(1.5)  # send ticks pass meanwhile
            assert hook.received == []
            took = daemon.stop()
            assert daemon.process.returncode == 0
        assert took < 8, f"exit took {took:.1f}s"
        with Store.open(tmp_path / "monitor.db") as store:
            alert = store.get_alert(alert_id)
            assert alert["status"] == "sent" and alert["claimed_until"] is None
            assert store.get_meta("daemon_pid") is None
        # The slow send overran its ticks: counted and shown, not skipped in silence.
        info = json.loads(run_cli(config, "status", "--json").stdout)
        assert info["job_errors"].get("job_busy.send", 0) >= 2
        # A restart sends nothing again.
        with DaemonProcess(config, tmp_path / "daemon2.log") as again:
            time.sleep(2)
            again.stop()
    assert references(webhook_texts(hook)) == [alert_id]


def test_sigterm_with_a_hung_send_exits_and_hands_the_alert_back(tmp_path):
    with WebhookReceiver() as hook:
        hook.delay = 30  # longer than the stop grace (5s in tests)
        # rto: Apprise's own read timeout (4s by default) would end the send first.
        config = write_config(tmp_path, [], [hook.apprise_url() + "?rto=60"], FAST_RETRY)
        with Store.open(tmp_path / "monitor.db") as store:
            [alert_id] = enqueue(store, 1)
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            assert wait_for(lambda: hook.started >= 1, 20), daemon.log()
            took = daemon.stop()
        assert took < 12, f"exit took {took:.1f}s"
        assert "handed back" in daemon.log()
        with Store.open(tmp_path / "monitor.db") as store:
            alert = store.get_alert(alert_id)
        assert alert["status"] == "pending" and alert["claimed_until"] is None


def test_sighup_reloads_the_configuration_without_dropping_work(tmp_path):
    with FeedServer() as feeds, WebhookReceiver() as hook:
        feeds.routes["/quiet.xml"] = Route(rss([{"title": "Central bank holds rates", "summary": "Nothing."}],
                                                  title="quiet"))
        feeds.routes["/news.xml"] = Route(rss([{"title": ON_TOPIC_TITLE, "summary": ON_TOPIC_SUMMARY}], title="news"))
        config = write_config(tmp_path, [feeds.url("/quiet.xml")], [hook.apprise_url()], FAST_RETRY)
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            assert wait_for(lambda: any(p == "/quiet.xml" for p, _ in feeds.requests), 20), daemon.log()
            hook.down = True
            with Store.open(tmp_path / "monitor.db") as store:
                [waiting] = enqueue(store, 1)
            assert wait_for(lambda: hook.started >= 1, 10)
            write_config(tmp_path, [feeds.url("/quiet.xml"), feeds.url("/news.xml")], [hook.apprise_url()],
                         FAST_RETRY)
            daemon.signal(signal.SIGHUP)
            assert wait_for(lambda: "configuration reloaded: 2 feeds enabled" in daemon.log(), 10), daemon.log()
            hook.down = False
            assert wait_for(lambda: len(hook.received) >= 2, 20), daemon.log()
            assert daemon.process.poll() is None
            daemon.stop()
    got = references(webhook_texts(hook))
    assert waiting in got and len(got) == len(set(got)) == 2
    assert any("Turkey activates" in post["title"] for post in hook.received)


@pytest.fixture
def notify_socket():
    directory = tempfile.mkdtemp(prefix="nfy", dir="/tmp")  # unix socket paths are short
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    yield sock, path
    sock.close()
    shutil.rmtree(directory, ignore_errors=True)


def test_systemd_readiness_watchdog_and_stopping_over_a_real_notify_socket(tmp_path, notify_socket):
    sock, path = notify_socket
    config = write_config(tmp_path, [], [], "")
    messages: list[str] = []

    def drain() -> None:
        while True:
            try:
                messages.append(sock.recv(4096).decode())
            except (socket.timeout, BlockingIOError):
                return

    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}  # ping every second
    with DaemonProcess(config, tmp_path / "daemon.log", env=env) as daemon:
        assert wait_for(lambda: drain() or "READY=1" in messages, 20), daemon.log()
        assert wait_for(lambda: drain() or messages.count("WATCHDOG=1") >= 3, 10), messages
        daemon.stop()
    drain()
    assert messages.index("READY=1") < len(messages) - 1
    assert "STOPPING=1" in messages
    assert messages.index("STOPPING=1") > messages.index("READY=1")


def test_status_shows_the_daemon_its_last_poll_alert_trouble_and_failing_feeds(tmp_path):
    with FeedServer() as feeds, WebhookReceiver() as hook:
        feeds.routes["/ok.xml"] = Route(rss([{"title": "Central bank holds rates", "summary": "Nothing."}]))
        hook.down = True
        config = write_config(tmp_path, [feeds.url("/ok.xml"), feeds.url("/missing.xml")], [hook.apprise_url()],
                              FAST_RETRY)
        with Store.open(tmp_path / "monitor.db") as store:
            enqueue(store, 1)
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            def failing_seen() -> bool:
                info = json.loads(run_cli(config, "status", "--json").stdout)
                return info["alerts"]["failed"] == 1 and info["failing_feeds"] and info["last_poll"]
            assert wait_for(failing_seen, 20, 0.5), daemon.log()
            status = run_cli(config, "status")
            daemon.stop()
    assert status.returncode == 0, status.stderr
    text = status.stdout
    assert "Daemon:    running" in text
    assert "Last poll: 20" in text
    assert "1 failed (retrying)" in text
    assert "alert 1 failed" in text and "Connection error" in text
    assert "failing feed" in text and "missing.xml" in text


def test_job_errors_are_counted_and_shown(tmp_path):
    from monitor.daemon import Daemon

    config = write_config(tmp_path, [], [], "")
    daemon = Daemon(config)
    for _ in range(2):
        daemon._on_job_event(SimpleNamespace(code=EVENT_JOB_ERROR, job_id="poll", exception=RuntimeError("boom")))
    daemon.runtime.close()
    status = run_cli(config, "status")
    assert "poll errors x2" in status.stdout
    assert json.loads(run_cli(config, "status", "--json").stdout)["job_errors"] == {"job_errors.poll": 2}


def test_alerts_command_shows_each_targets_state_and_retry_and_test_work(tmp_path):
    with WebhookReceiver() as up, WebhookReceiver() as down:
        down.down = True
        config = write_config(tmp_path, [], [up.apprise_url("/up"), down.apprise_url("/down")], 'retry_base = "1h"')
        with Store.open(tmp_path / "monitor.db") as store:
            [alert_id] = enqueue(store, 1)
        poll = run_cli(config, "poll")
        assert poll.returncode == 0, poll.stderr
        listing = run_cli(config, "alerts")
        assert f"#{alert_id} failed" in listing.stdout
        assert "/up: sent, 1 try" in listing.stdout
        assert "/down: failed, 1 try, next try 20" in listing.stdout and "last error: A Connection error" in listing.stdout
        row = json.loads(run_cli(config, "alerts", "--json").stdout.splitlines()[0])
        assert row["status"] == "failed" and row["attempts"] == 1
        assert Counter(t["status"] for t in row["targets"]) == {"sent": 1, "failed": 1}

        down.down = False
        retried = run_cli(config, "alerts", "retry", str(alert_id))
        assert retried.returncode == 0 and "1 alert queued for another try" in retried.stdout
        run_cli(config, "poll")
        assert references(webhook_texts(down)) == [alert_id] == references(webhook_texts(up))
        assert run_cli(config, "alerts", "retry", str(alert_id)).returncode == 1  # already delivered
        assert run_cli(config, "alerts", "retry", "--failed").stdout.startswith("0 alerts queued")

        test = run_cli(config, "alerts", "test")
        assert test.returncode == 0 and test.stdout.count(": ok") == 2
        down.down = True
        test = run_cli(config, "alerts", "test")
        assert test.returncode == 1 and "FAILED" in test.stdout and "1 of 2 targets failed" in test.stderr


def test_alerts_retry_reaches_the_running_daemon_at_once(tmp_path):
    with WebhookReceiver() as hook:
        hook.down = True
        config = write_config(tmp_path, [], [hook.apprise_url()], 'retry_base = "1h"\nretry_max = "2h"')
        with Store.open(tmp_path / "monitor.db") as store:
            ids = enqueue(store, 2)
        with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
            def failed() -> bool:
                with Store.open(tmp_path / "monitor.db") as store:
                    return store.get_alert(ids[0])["status"] == "failed"
            assert wait_for(failed, 20), daemon.log()
            time.sleep(1)
            assert hook.started == 1  # the second alert rests with the first: one try in all
            hook.down = False
            retried = run_cli(config, "alerts", "retry", "--failed")
            assert retried.returncode == 0, retried.stderr
            assert wait_for(lambda: len(hook.received) == 2, 10), daemon.log()
            daemon.stop()
    assert sorted(references(webhook_texts(hook))) == ids
