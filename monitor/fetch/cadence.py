"""When to check a feed next. Pure: no clock, no I/O; `now` comes from the caller.

The next check is the *largest* of what everyone asks for, as Miniflux does: our own
interval, the feed's RSS <ttl>, the response's Cache-Control max-age (else Expires) and
Retry-After. Publisher hints are capped (`MAX_HINT`), so a feed that says "come back in
ten years" is still checked daily: a feed is never silently abandoned.

After errors the interval doubles per consecutive error, up to `max_backoff`, minus a
jitter of up to a fifth that is derived from the feed's key, so that the feeds of one
failing host do not all come back in the same second, and the same feed gets the same
schedule for the same state (reproducible, testable).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

MAX_HINT = timedelta(hours=24)  # cap on TTL, Cache-Control, Expires and Retry-After
JITTER = 0.2  # back-off delays are shortened by up to this fraction

_MAX_AGE = re.compile(r'(?:^|[,\s])max-age\s*=\s*"?(\d+)"?', re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|[,\s])(no-store|no-cache)(?:$|[,\s=])", re.IGNORECASE)


@dataclass(frozen=True)
class NextCheck:
    at: datetime
    reason: str  # "interval", "ttl", "cache-control", "expires", "retry-after" or "back-off"
    delay: timedelta


def next_check(now: datetime, **hints: Any) -> datetime:
    """The time of the next check; takes the keywords of `plan_next_check`, which also
    says which of them decided it."""
    return plan_next_check(now, **hints).at


def plan_next_check(
    now: datetime,
    *,
    interval: timedelta,
    ttl_seconds: int | None = None,
    cache_control: str | None = None,
    expires: str | datetime | None = None,
    retry_after: float | None = None,
    error_count: int = 0,
    max_backoff: timedelta = timedelta(hours=6),
    key: str = "",
) -> NextCheck:
    """The next check and which of the inputs decided it.

    `key` (the feed URL or id) seeds the back-off jitter. `error_count` is the number of
    consecutive failed checks, 0 after a success.
    """
    interval = max(interval, timedelta(seconds=1))
    candidates: list[tuple[timedelta, str]] = [(interval, "interval")]
    if ttl_seconds and ttl_seconds > 0:
        candidates.append((_cap(timedelta(seconds=ttl_seconds)), "ttl"))
    max_age = cache_max_age(cache_control)
    if max_age is not None:
        candidates.append((_cap(max_age), "cache-control"))
    elif expires is not None:
        # HTTP: Cache-Control max-age wins over Expires when both are present.
        left = _until(expires, now)
        if left is not None:
            candidates.append((_cap(left), "expires"))
    if retry_after is not None and retry_after > 0:
        candidates.append((_cap(timedelta(seconds=retry_after)), "retry-after"))
    if error_count > 0:
        candidates.append((backoff_delay(interval, error_count, max_backoff, key), "back-off"))
    # max() keeps the first of equal delays, so "interval" names the ordinary case.
    delay, reason = max(candidates, key=lambda c: c[0])
    return NextCheck(at=now + delay, reason=reason, delay=delay)


def backoff_delay(interval: timedelta, error_count: int, max_backoff: timedelta, key: str = "") -> timedelta:
    """interval x 2^(errors-1), capped at max(max_backoff, interval), less a keyed jitter."""
    if error_count <= 0:
        return interval
    ceiling = max(max_backoff, interval).total_seconds()
    # Floats, and a bounded exponent: interval * 2**n overflows timedelta for large n.
    grown = interval.total_seconds() * 2.0 ** min(error_count - 1, 60)
    delay = min(grown, ceiling) * (1 - JITTER * _fraction(key, error_count))
    return max(timedelta(seconds=delay), interval)


def cache_max_age(cache_control: str | None) -> timedelta | None:
    """max-age from a Cache-Control value; None if absent or if caching is forbidden."""
    if not cache_control or _NO_CACHE.search(cache_control):
        return None
    match = _MAX_AGE.search(cache_control)
    if not match:
        return None
    return timedelta(seconds=int(match.group(1)))


def describe_next_check(now: datetime, plan: NextCheck, error_count: int = 0) -> str:
    """One human line for `monitor feeds`, e.g. "in 2h (back-off after 3 errors in a row)"."""
    when = f"in {format_delay(plan.at - now)}" if plan.at > now else "now"
    why = {
        "interval": "",
        "ttl": " (feed asks via <ttl>)",
        "cache-control": " (server's Cache-Control)",
        "expires": " (server's Expires)",
        "retry-after": " (server asked: Retry-After)",
        "back-off": f" (back-off after {error_count} error{'s' if error_count != 1 else ''} in a row)",
    }[plan.reason]
    return f"{when}{why}"


def format_delay(delay: timedelta) -> str:
    """A duration as people say it: "45s", "15m", "2h 5m", "1d 3h"."""
    seconds = int(delay.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def _cap(delay: timedelta) -> timedelta:
    return min(max(delay, timedelta(0)), MAX_HINT)


def _until(expires: str | datetime, now: datetime) -> timedelta | None:
    if isinstance(expires, datetime):
        when = expires
    else:
        try:
            when = parsedate_to_datetime(expires.strip())
        except (TypeError, ValueError, IndexError):
            return None  # "Expires: 0" and other junk mean "already expired"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    reference = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    return when - reference


def _fraction(key: str, error_count: int) -> float:
    """A number in [0, 1) fixed by the feed and its error count."""
    digest = hashlib.blake2b(f"{key}\0{error_count}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
