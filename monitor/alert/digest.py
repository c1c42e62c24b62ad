"""Digests: the overflow of a capped target, and the optional hourly or daily summary.

Flood control works per target. A target may receive `[alerts] max_per_hour` messages in
any rolling hour; alerts beyond its one-by-one allowance are held (monitor.alert.sender) and
this module folds them into one digest message for that target as soon as the hour
has room, after a short gathering delay so that a burst becomes one digest, not several.
So a new feed's backlog, a feed republishing everything or a burst of many stories
costs the analyst at most `max_per_hour` messages an hour, and nothing is dropped.

With `[alerts] digest = "hourly"` or `"daily"` every target also gets, once a period,
a digest listing the stories that had news in the period just ended. The period is
recorded in the same transaction as the digest, so a crash never queues it twice.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from monitor.alert.format import BREAKING_PREFIX, UPDATE_PREFIX, DigestEntry, format_digest
from monitor.alert.targets import Target
from monitor.config import AlertConfig
from monitor.store import Store, iso, parse_iso

log = logging.getLogger("monitor.alert.digest")

PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}


def queue_digests(store: Store, targets: list[Target], config: AlertConfig, now: datetime) -> list[int]:
    """Queue every digest that is due now; returns the new alert IDs."""
    queued = []
    for target in targets:
        digest_id = queue_overflow_digest(store, target, config, now)
        if digest_id:
            queued.append(digest_id)
        if config.digest:
            digest_id = queue_periodic_digest(store, target, config, now)
            if digest_id:
                queued.append(digest_id)
    return queued


def queue_overflow_digest(store: Store, target: Target, config: AlertConfig, now: datetime) -> int | None:
    held = store.held_alerts(target.id)
    if not held or store.pending_digest(target.id) is not None:
        return None
    gather = config.digest_delay
    if now - parse_iso(held[0]["held_at"]) < gather:
        return None
    if store.alerts_sent_since(target.id, now - timedelta(hours=1)) >= config.max_per_hour:
        return None  # the hour is full: the held alerts wait for room, still held
    entries = [DigestEntry(title=_headline(h["title"]), url=h["url"], story_id=h["story_id"],
                           note="update" if h["kind"] == "update" else "") for h in held]
    message = format_digest(
        f"{len(held)} alert(s) folded into one",
        f"{target.label} reached its limit of {config.max_per_hour} messages an hour; "
        f"these alerts arrived meanwhile (first at {held[0]['created_at']}).",
        entries,
    )
    digest_id = store.enqueue_digest(
        target=target.id, title=message.title, body=message.body, body_html=message.body_html,
        carries=[h["id"] for h in held], now=now, expires_at=now + config.expire_after,
    )
    log.info("digest %s queued for %s: %d held alert(s)", digest_id, target.label, len(held))
    return digest_id


def period_start(now: datetime, kind: str) -> datetime:
    """The start of the hourly or daily period `now` falls in (UTC)."""
    start = now.replace(minute=0, second=0, microsecond=0)
    return start.replace(hour=0) if kind == "daily" else start


def queue_periodic_digest(store: Store, target: Target, config: AlertConfig, now: datetime) -> int | None:
    kind = config.digest
    current = period_start(now, kind)
    key = f"digest.{target.id}"
    last = parse_iso(store.get_meta(key))
    if last is not None and last >= current:
        return None
    previous = current - PERIODS[kind]
    start = max(previous, last) if last is not None else previous
    stories = store.stories_seen_between(start, current)
    if not stories:
        store.set_meta(key, iso(current))
        return None
    entries = [
        DigestEntry(title=s["title"], url=s["url"], story_id=s["id"], outlets=len(json.loads(s["outlets"] or "[]")),
                    langs=tuple(json.loads(s["langs"] or "[]")), note="breaking" if s["breaking"] else "")
        for s in stories
    ]
    label = "Hourly" if kind == "hourly" else "Daily"
    message = format_digest(
        f"{label} digest: {len(stories)} stor{'y' if len(stories) == 1 else 'ies'}",
        f"Stories with news between {iso(start)} and {iso(current)}.",
        entries,
    )
    digest_id = store.enqueue_digest(
        target=target.id, title=message.title, body=message.body, body_html=message.body_html,
        carries=[], now=now, expires_at=now + config.expire_after, meta=(key, iso(current)),
    )
    log.info("%s digest %s queued for %s: %d stories", kind, digest_id, target.label, len(stories))
    return digest_id


def _headline(title: str) -> str:
    # Alert titles are the headline, after "Update: " or "Breaking: " for those kinds.
    for prefix in (UPDATE_PREFIX, BREAKING_PREFIX):
        if title.startswith(prefix):
            return title[len(prefix):]
    return title
