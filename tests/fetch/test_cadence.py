"""Scheduling of the next check: the largest ask wins, errors back off, nothing is abandoned."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitor.fetch.cadence import (
    MAX_HINT,
    backoff_delay,
    cache_max_age,
    describe_next_check,
    format_delay,
    next_check,
    plan_next_check,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
M15 = timedelta(minutes=15)


def test_interval_alone():
    plan = plan_next_check(NOW, interval=M15)
    assert plan.at == NOW + M15 and plan.reason == "interval"


@pytest.mark.parametrize(
    "kwargs,delay,reason",
    [
        ({"ttl_seconds": 3600}, timedelta(hours=1), "ttl"),
        ({"ttl_seconds": 60}, M15, "interval"),  # a shorter ask never speeds us up
        ({"cache_control": "public, max-age=7200"}, timedelta(hours=2), "cache-control"),
        ({"cache_control": 'max-age="1800"'}, timedelta(minutes=30), "cache-control"),
        ({"cache_control": "no-cache, max-age=7200"}, M15, "interval"),
        ({"expires": "Wed, 01 May 2024 15:00:00 GMT"}, timedelta(hours=3), "expires"),
        ({"expires": "0"}, M15, "interval"),
        ({"expires": "Wed, 01 May 2024 11:00:00 GMT"}, M15, "interval"),  # in the past
        ({"expires": datetime(2024, 5, 1, 13, 0, tzinfo=timezone.utc)}, timedelta(hours=1), "expires"),
        ({"retry_after": 5400}, timedelta(minutes=90), "retry-after"),
        ({"ttl_seconds": 3600, "cache_control": "max-age=7200", "retry_after": 600}, timedelta(hours=2), "cache-control"),
    ],
)
def test_largest_ask_wins(kwargs, delay, reason):
    plan = plan_next_check(NOW, interval=M15, **kwargs)
    assert (plan.at - NOW, plan.reason) == (delay, reason)


def test_max_age_beats_expires():
    at = next_check(NOW, interval=M15, cache_control="max-age=1800", expires="Wed, 01 May 2024 20:00:00 GMT")
    assert at == NOW + timedelta(minutes=30)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ttl_seconds": 10 * 365 * 86400},
        {"cache_control": "max-age=999999999"},
        {"expires": "Fri, 01 Jan 2100 00:00:00 GMT"},
        {"retry_after": 1e12},
    ],
)
def test_publisher_hints_are_capped(kwargs):
    assert next_check(NOW, interval=M15, **kwargs) == NOW + MAX_HINT


def test_backoff_grows_then_caps_never_stops():
    delays = [next_check(NOW, interval=M15, error_count=n, key="https://x/rss") - NOW for n in range(0, 60)]
    assert delays[0] == M15
    for n in range(1, 6):  # doubling, less at most a fifth of jitter
        nominal = M15 * 2 ** (n - 1)
        assert nominal * 0.8 <= delays[n] <= nominal
    cap = timedelta(hours=6)
    assert all(cap * 0.8 <= d <= cap for d in delays[10:])
    assert all(d >= M15 for d in delays)


def test_backoff_huge_error_count_does_not_overflow():
    assert backoff_delay(M15, 10**9, timedelta(hours=6), "k") <= timedelta(hours=6)


def test_backoff_never_shorter_than_interval():
    day = timedelta(days=1)
    assert next_check(NOW, interval=day, error_count=3, key="k") == NOW + day


def test_jitter_is_deterministic_and_spreads_feeds():
    a = [next_check(NOW, interval=M15, error_count=4, key=f"https://host/feed{i}") for i in range(50)]
    b = [next_check(NOW, interval=M15, error_count=4, key=f"https://host/feed{i}") for i in range(50)]
    assert a == b
    assert len(set(a)) > 40


def test_retry_after_with_errors_takes_larger():
    plan = plan_next_check(NOW, interval=M15, retry_after=60, error_count=2, key="k")
    assert plan.reason == "back-off"
    plan = plan_next_check(NOW, interval=M15, retry_after=3 * 3600, error_count=2, key="k")
    assert plan.reason == "retry-after" and plan.delay == timedelta(hours=3)


def test_cache_max_age():
    assert cache_max_age("max-age=60") == timedelta(seconds=60)
    assert cache_max_age("s-maxage=60") is None
    assert cache_max_age("private, MAX-AGE=5") == timedelta(seconds=5)
    assert cache_max_age("no-store") is None
    assert cache_max_age(None) is None


def test_naive_now_with_http_date():
    naive = NOW.replace(tzinfo=None)
    assert next_check(naive, interval=M15, expires="Wed, 01 May 2024 14:00:00 GMT") == naive + timedelta(hours=2)


def test_descriptions():
    plan = plan_next_check(NOW, interval=M15, error_count=3, key="k")
    text = describe_next_check(NOW, plan, error_count=3)
    assert text.startswith("in ") and "back-off after 3 errors in a row" in text
    assert describe_next_check(NOW, plan_next_check(NOW, interval=M15)) == "in 15m"
    assert format_delay(timedelta(seconds=45)) == "45s"
    assert format_delay(timedelta(hours=2, minutes=5)) == "2h 5m"
    assert format_delay(timedelta(days=1, hours=3)) == "1d 3h"
