"""The sender: per-target outcomes, back-off, rate limits, expiry, caps and digests.

Real SQLite files, real Apprise posts to a real webhook receiver on loopback; only the
clock is driven by the test, so back-off and the hourly window can be crossed at once.
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alert.sender import (
    RATE_LIMIT_FLOOR, claim_owner, rate_limit_hint, release_dead_claims, retry_delay,
    send_due_alerts,
)
from monitor.alert.targets import build_targets
from monitor.config import AlertConfig
from monitor.alert.digest import period_start
from monitor.demo.loopback import WebhookReceiver
from monitor.store import Store
from delivery_helpers import enqueue, references, webhook_texts

START = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


class Clock:
    def __init__(self, moment: datetime = START):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "monitor.db") as opened:
        yield opened


@pytest.fixture
def receivers():
    with WebhookReceiver() as first, WebhookReceiver() as second:
        yield first, second


def config_for(*receivers, **overrides) -> AlertConfig:
    values = {"retry_base": timedelta(seconds=30), "retry_max": timedelta(minutes=10), "max_per_hour": 100}
    values.update(overrides)
    return AlertConfig(urls=[r.apprise_url() for r in receivers], **values)


def queue_at(store, clock, count=1, **kwargs):
    now = clock()
    ids = []
    for number in range(count):
        ids.append(store.enqueue_alert(
            topic="s400-f35", story_id=None, item_id=None, kind=kwargs.get("kind", "new"),
            title=f"[s400-f35] New: event {number}.", body=f"Event {number}",
            body_html=f"<p>Event {number}</p>", now=now, expires_at=now + kwargs.get("expires", timedelta(days=1)),
        ))
    return ids


def test_a_target_that_succeeded_is_not_sent_again_while_another_retries(store, receivers):
    good, flaky = receivers
    flaky.fail_next = 2
    config = config_for(good, flaky)
    targets = build_targets(config)
    clock = Clock()
    [alert_id] = queue_at(store, clock)

    report = send_due_alerts(store, targets, config, now=clock)
    assert report.failed == 1 and len(good.received) == 1 and flaky.received == []
    for _ in range(2):
        clock.advance(minutes=15)
        send_due_alerts(store, targets, config, now=clock)

    assert len(good.received) == 1  # never again
    assert len(flaky.received) == 1
    alert = store.get_alert(alert_id)
    assert alert["status"] == "sent"
    assert sorted(t["attempts"] for t in alert["targets"]) == [1, 3]
    assert references(webhook_texts(good)) == [alert_id] == references(webhook_texts(flaky))


def test_a_target_backing_off_is_skipped_until_its_own_next_try(store, receivers):
    good, flaky = receivers
    flaky.fail_next = 1
    config = config_for(good, flaky, retry_base=timedelta(minutes=4))
    targets = build_targets(config)
    clock = Clock()
    [first] = queue_at(store, clock)
    send_due_alerts(store, targets, config, now=clock)
    assert flaky.attempts == 1
    retry_at = {t["label"]: t for t in store.get_alert(first)["targets"] if t["status"] == "failed"}
    [state] = retry_at.values()
    assert state["next_attempt_at"] > store.get_alert(first)["created_at"]

    # A second alert arrives before the flaky target's retry time: it goes to both
    # targets (the back-off is per alert and target), the first alert is not retried yet.
    clock.advance(seconds=30)
    [second] = queue_at(store, clock)
    send_due_alerts(store, targets, config, now=clock)
    assert flaky.attempts == 2
    assert references(webhook_texts(flaky)) == [second]
    assert store.get_alert(first)["status"] == "failed"

    clock.advance(minutes=10)
    send_due_alerts(store, targets, config, now=clock)
    assert sorted(references(webhook_texts(flaky))) == [first, second]
    assert sorted(references(webhook_texts(good))) == [first, second]


def test_back_off_grows_exponentially_with_jitter_and_a_cap():
    config = AlertConfig(retry_base=timedelta(seconds=30), retry_max=timedelta(minutes=10))
    rng = random.Random(7)
    for attempts in range(1, 12):
        ceiling = min(30 * 2 ** (attempts - 1), 600)
        delays = [retry_delay(attempts, config, rng).total_seconds() for _ in range(200)]
        assert all(15 <= d <= max(ceiling, 15) for d in delays)
        if ceiling >= 120:
            assert max(delays) > ceiling / 2  # jitter spreads over the whole range
    assert len({round(retry_delay(5, config, rng).total_seconds(), 3) for _ in range(20)}) > 10


@pytest.mark.parametrize("error, expected", [
    ("Failed to send JSON POST notification: error=429.", RATE_LIMIT_FLOOR.total_seconds()),
    ("Too Many Requests", RATE_LIMIT_FLOOR.total_seconds()),
    ("rate limited, Retry-After: 120", 120.0),
    ("A Connection error occurred sending JSON notification", None),
    ("error=503.", None),
    (None, None),
])
def test_rate_limit_hints(error, expected):
    assert rate_limit_hint(error) == expected


def test_a_rate_limited_target_waits_longer(store, receivers):
    limited, _ = receivers
    limited.fail_next = 1
    limited.fail_status = 429
    limited.fail_headers = {"Retry-After": "90"}
    config = config_for(limited, retry_base=timedelta(seconds=2))
    clock = Clock()
    [alert_id] = queue_at(store, clock)
    send_due_alerts(store, build_targets(config), config, now=clock)
    [target] = store.get_alert(alert_id)["targets"]
    waited = datetime.strptime(target["next_attempt_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) - clock()
    assert "429" in target["last_error"]
    assert waited >= RATE_LIMIT_FLOOR  # not the 1-2 s a plain failure would wait
    clock.advance(seconds=30)
    send_due_alerts(store, build_targets(config), config, now=clock)
    assert limited.attempts == 1  # still waiting
    clock.advance(minutes=2)
    send_due_alerts(store, build_targets(config), config, now=clock)
    assert limited.attempts == 2 and len(limited.received) == 1


def test_an_alert_past_its_expiry_is_marked_expired_reported_and_retryable(store, receivers, caplog):
    down, _ = receivers
    down.fail_next = 1000
    config = config_for(down, retry_base=timedelta(minutes=1))
    clock = Clock()
    [alert_id] = queue_at(store, clock, expires=timedelta(minutes=5))
    targets = build_targets(config)
    send_due_alerts(store, targets, config, now=clock)
    caplog.set_level(logging.WARNING, logger="monitor.alert.sender")
    for _ in range(5):
        clock.advance(minutes=3)
        send_due_alerts(store, targets, config, now=clock)
    alert = store.get_alert(alert_id)
    assert alert["status"] == "expired"
    assert [t["status"] for t in alert["targets"]] == ["expired"]
    assert "503" in alert["last_error"]
    assert any("expired undelivered" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert store.alert_counts()["expired"] == 1
    assert [p["id"] for p in store.alert_problems()] == [alert_id]

    down.fail_next = 0
    assert store.retry_alerts(clock(), alert_id, new_expiry=clock() + timedelta(hours=1)) == 1
    send_due_alerts(store, targets, config, now=clock)
    assert store.get_alert(alert_id)["status"] == "sent"
    assert references(webhook_texts(down)) == [alert_id]


def test_a_burst_beyond_the_hourly_cap_becomes_one_digest(store, receivers):
    receiver, _ = receivers
    config = config_for(receiver, max_per_hour=4)
    targets = build_targets(config)
    clock = Clock()
    ids = queue_at(store, clock, 30)
    send_due_alerts(store, targets, config, now=clock)
    assert len(receiver.received) == 3  # one slot of the hour stays free for the digest
    assert store.alert_counts()["held"] == 27
    assert all(a["status"] == "sent" for a in store.list_alerts(limit=100) if a["kind"] == "new")

    clock.advance(minutes=3)  # the gathering delay
    send_due_alerts(store, targets, config, now=clock)
    assert len(receiver.received) == 4
    digest = receiver.received[-1]
    assert "27 alert(s) folded into one" in digest["title"]
    for number in range(3, 30):
        assert f"event {number}." in digest["message"]
    assert store.alert_counts()["held"] == 0

    # More news within the same hour: held, not sent, not dropped.
    late = queue_at(store, clock, 5)
    clock.advance(minutes=5)
    send_due_alerts(store, targets, config, now=clock)
    send_due_alerts(store, targets, config, now=clock)
    assert len(receiver.received) == 4
    assert store.alert_counts()["held"] == 5
    clock.advance(hours=1)
    send_due_alerts(store, targets, config, now=clock)
    assert len(receiver.received) == 5
    assert "5 alert(s) folded into one" in receiver.received[-1]["title"]
    ids += late
    carried = {t["digest_id"] for a in ids for t in store.get_alert(a)["targets"] if t["status"] == "digested"}
    assert len(carried) == 2


def test_caps_count_per_target(store, receivers):
    capped, roomy = receivers
    config = config_for(capped, roomy, max_per_hour=3)
    targets = build_targets(config)
    clock = Clock()
    queue_at(store, clock, 6)
    send_due_alerts(store, targets, config, now=clock)
    assert len(capped.received) == 2 and len(roomy.received) == 2  # same cap, each its own count
    assert store.alert_counts()["held"] == 8


def test_hourly_digest_lists_the_stories_of_the_last_hour_once(store, receivers):
    receiver, _ = receivers
    config = config_for(receiver, digest="hourly")
    targets = build_targets(config)
    clock = Clock(START.replace(minute=10))
    with store.write():
        store.create_story("s400-f35", "India takes delivery of a third S-400 squadron", clock() - timedelta(minutes=5),
                           "{}", ["en", "ru"], ["TASS", "The Hindu"])
        store.create_story("s400-f35", "تركيا تفعّل منظومة إس-400", clock() - timedelta(minutes=8), "{}", ["ar"],
                           ["Sky News Arabia"])
        store.create_story("s400-f35", "Old story", clock() - timedelta(hours=5), "{}", ["en"], ["X"])
    send_due_alerts(store, targets, config, now=clock)  # first sight: last hour's digest (nothing in it)
    assert receiver.received == []
    clock.moment = period_start(clock(), "hourly") + timedelta(hours=1, minutes=1)
    send_due_alerts(store, targets, config, now=clock)
    send_due_alerts(store, targets, config, now=clock)
    assert len(receiver.received) == 1
    digest = receiver.received[0]
    assert "Hourly digest: 2 stories" in digest["title"]
    assert "third S-400 squadron" in digest["message"] and "إس-400" in digest["message"]
    assert "Old story" not in digest["message"]
    assert "2 outlets" in digest["message"]


def test_leases_of_a_dead_sender_are_taken_back(store):
    enqueue(store, 2)
    now = datetime.now(timezone.utc)
    host = claim_owner().rpartition(":")[0]
    claimed = store.claim_due_alerts(now, timedelta(minutes=5), owner=f"{host}:999999999")
    assert len(claimed) == 2
    assert store.claim_due_alerts(now, timedelta(minutes=5)) == []
    store.claim_due_alerts  # a live owner's lease is kept
    assert release_dead_claims(store) == 2
    assert len(store.claim_due_alerts(now, timedelta(minutes=5), owner=claim_owner())) == 2
    assert release_dead_claims(store) == 0  # this process is alive: its leases stay


def test_stopping_hands_unsent_alerts_back(store, receivers):
    receiver, _ = receivers
    config = config_for(receiver)
    enqueue(store, 3)
    report = send_due_alerts(store, build_targets(config), config, should_stop=lambda: True)
    assert report.sent == 0 and receiver.attempts == 0
    assert store.claim_owners() == set()
    assert store.alert_counts()["pending"] == 3


def test_a_target_that_fails_rests_instead_of_being_hammered_by_every_alert(store, receivers):
    down, good = receivers
    down.fail_next = 1000
    down.fail_status = 429
    config = config_for(down, good)
    targets = build_targets(config)
    clock = Clock()
    ids = queue_at(store, clock, 10)
    resting: dict = {}
    send_due_alerts(store, targets, config, now=clock, resting=resting)
    assert down.attempts == 1  # one 429 and the other nine alerts wait with it
    assert len(good.received) == 10  # the healthy target is not held up
    waiting = [store.get_alert(i) for i in ids[1:]]
    assert {a["status"] for a in waiting} == {"pending"}
    [first_retry] = [t["next_attempt_at"] for t in store.get_alert(ids[0])["targets"] if t["status"] == "failed"]
    assert {a["next_attempt_at"] for a in waiting} == {first_retry}
    clock.advance(seconds=20)
    send_due_alerts(store, targets, config, now=clock, resting=resting)
    assert down.attempts == 1  # still resting: a rate limit waits at least a minute
    down.fail_next = 0
    clock.advance(minutes=30)
    send_due_alerts(store, targets, config, now=clock, resting=resting)
    assert sorted(references(webhook_texts(down))) == ids
    assert len(good.received) == 10


def test_alerts_waiting_on_a_resting_target_do_not_block_the_queue(store, receivers):
    down, good = receivers
    down.down = True
    config = config_for(down, good, retry_base=timedelta(seconds=1), retry_max=timedelta(seconds=1), max_per_hour=1000)
    targets = build_targets(config)
    clock = Clock()
    queue_at(store, clock, 120)
    resting: dict = {}
    for _ in range(3):  # all within the same second: claims move on to the next 50
        send_due_alerts(store, targets, config, now=clock, resting=resting)
    assert len(good.received) == 120
    assert down.started == 1
