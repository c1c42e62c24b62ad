"""kill -9 at any moment: no alert lost, none repeated beyond the one documented window.

`monitor run` is killed with SIGKILL again and again, at random moments, while its feeds
grow and new alerts keep being queued; it is restarted each time. At the end a last run
delivers what is left, and every alert in the outbox must have reached both the webhook
and the SMTP server. A duplicate is only possible for the send in flight when the kill
lands: the provider may take a request whose answer (2xx) the killed process never
records. Sends go one at a time, so at most one per kill, and no delivery the store had
recorded is ever repeated (checked against the daemon's log); none is lost.

The figures (kills, alerts, duplicates, lost) are printed: run with `-s` to see them.
"""
from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.store import Store
from delivery_helpers import (
    DaemonProcess, SmtpSink, enqueue, references, rss, smtp_texts, wait_for, webhook_texts, write_config,
)

EVENTS = [
    ("India receives second S-400 squadron from Russia", "The Indian Air Force took delivery of a second S-400 squadron."),
    ("Egypt signs deal to buy Russian S-400 air defence systems", "Cairo agreed to buy S-400 batteries, risking CAATSA sanctions."),
    ("US removes Turkey from F-35 programme over S-400 purchase", "The Pentagon expelled Ankara from the F-35 programme."),
    ("Algeria tests S-400 missiles in desert exercise", "Algerian forces fired S-400 interceptors during drills."),
    ("Saudi Arabia in talks with Moscow over S-400", "Riyadh is negotiating an S-400 purchase; Washington warned of CAATSA."),
    ("تركيا تفعّل منظومة إس-400 الروسية", "أعلنت أنقرة تشغيل منظومة الدفاع الجوي الروسية إس-400 رغم تحذيرات واشنطن."),
]
RUN_SECONDS = 18


class GrowingFeed:
    """A feed that gains an on-topic item every `every` seconds."""

    def __init__(self, name: str, every: float):
        self.name, self.every, self.started = name, every, time.monotonic()

    def __call__(self) -> Route:
        count = 1 + int((time.monotonic() - self.started) / self.every)
        items = []
        for number in range(count):
            title, summary = EVENTS[number % len(EVENTS)]
            items.append({"title": f"{title} ({self.name} {number})", "summary": summary,
                          "guid": f"{self.name}-{number}", "url": f"http://feeds.test/{self.name}/{number}",
                          "published": format_datetime(datetime.now(timezone.utc))})
        return Route(rss(items, title=self.name))


@pytest.mark.slow
def test_sigkill_again_and_again_loses_no_alert_and_repeats_only_the_window(tmp_path):
    rng = random.Random(20260302)
    with FeedServer() as feeds, WebhookReceiver() as hook, SmtpSink() as smtp:
        names = [f"wire{n}" for n in range(3)]
        for name in names:
            feeds.routes[f"/{name}.xml"] = GrowingFeed(name, every=2.0)
        hook.delay = 0.02  # a real service takes a moment to answer: sends are in flight when killed
        config = write_config(tmp_path, [feeds.url(f"/{n}.xml") for n in names],
                              [hook.apprise_url(), smtp.apprise_url()], 'retry_base = "1s"\nretry_max = "2s"\nmax_per_hour = 100000')
        db = tmp_path / "monitor.db"
        with Store.open(db):
            pass
        stop = threading.Event()

        def producer() -> None:  # alerts keep arriving, as from other stories
            with Store.open(db) as store:
                while not stop.wait(0.15):
                    enqueue(store, rng.randint(1, 3))

        writer = threading.Thread(target=producer, daemon=True)
        writer.start()
        kills = 0
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline:
            daemon = DaemonProcess(config, tmp_path / "daemon.log", poll_tick=0.3, send_tick=0.1).start()
            time.sleep(rng.uniform(0.4, 1.6))  # sometimes before startup ends, mostly mid-work
            daemon.kill()
            kills += 1
        stop.set()
        writer.join()

        with DaemonProcess(config, tmp_path / "final.log", poll_tick=0.3, send_tick=0.1) as final:
            def drained() -> bool:
                with Store.open(db) as store:
                    counts = store.alert_counts()
                return counts["pending"] == counts["failed"] == 0
            assert wait_for(drained, 60, 0.5), final.log()
            time.sleep(1)
            final.stop()

        with Store.open(db) as store:
            ids = [r["id"] for r in store.query("SELECT id FROM alerts ORDER BY id")]
            statuses = Counter(r["status"] for r in store.query("SELECT status FROM alerts"))
            unqueued = store.query(
                "SELECT m.item_id FROM matches m WHERE m.alerted = 1 AND NOT EXISTS "
                "(SELECT 1 FROM alerts a WHERE a.item_id = m.item_id)")
            from_feeds = store.query_one("SELECT COUNT(*) AS n FROM alerts WHERE item_id IS NOT NULL")["n"]
            items = store.query_one("SELECT COUNT(*) AS n FROM items")["n"]

    figures = {"kills": kills, "alerts": len(ids), "alerts_from_feeds": from_feeds, "items_stored": items}
    for name, got in (("webhook", Counter(references(webhook_texts(hook)))),
                      ("smtp", Counter(references(smtp_texts(smtp))))):
        figures[f"{name}_duplicates"] = sum(n - 1 for n in got.values() if n > 1)
        figures[f"{name}_lost"] = len(set(ids) - set(got))
        figures[f"{name}_unknown"] = len(set(got) - set(ids))
    logs = (tmp_path / "daemon.log").read_text(errors="replace") + (tmp_path / "final.log").read_text(errors="replace")
    commits = Counter(re.findall(r"alert (\d+) delivered to (\S+)", logs))
    figures["committed_twice"] = sum(1 for n in commits.values() if n > 1)
    print("\nkill test:", json.dumps(figures))

    assert kills >= 10 and len(ids) >= 100 and from_feeds >= 1
    assert statuses == {"sent": len(ids)}
    assert unqueued == []  # every alerting match has its alert: they commit together
    for name in ("webhook", "smtp"):
        assert figures[f"{name}_lost"] == 0, figures
        assert figures[f"{name}_unknown"] == 0, figures
    # The one window: a provider's 2xx and the commit of that result. Sends are one
    # at a time, so a kill can repeat at most the one send it interrupted.
    assert figures["webhook_duplicates"] + figures["smtp_duplicates"] <= kills, figures
    # ...and a repeat is never a second delivery the store knew of: no (alert, target)
    # was ever recorded as delivered twice.
    assert figures["committed_twice"] == 0, figures
