"""Delivering queued alerts through Apprise: at least once, never twice from a crash.

The outbox (store.alerts) is filled in the same transaction as the match that caused it.
This module claims due alerts, sends each to every target that does not have it yet,
and commits each target's result straight after its send, so that a crash can repeat at
most the one send in flight: a provider that took the request (and answered 2xx, or would
have) before the process died, while its result was not yet committed.

Each target keeps its own back-off (exponential with full jitter, longer after a rate
limit, a Retry-After the service stated honoured); a target whose next try is still in the
future is left alone on this round while the others go ahead. A target over its hourly
cap holds the alert for its next digest (monitor.alert.digest) instead of receiving it.
An alert that outlives its expiry is marked expired and logged at WARNING.
"""
from __future__ import annotations

import logging
import os
import random
import re
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from monitor.alert.digest import queue_digests
from monitor.alert.format import AlertMessage, with_reference
from monitor.alert.targets import Target, route
from monitor.config import AlertConfig
from monitor.store import Store, parse_iso, utcnow
from monitor.store.alerts import DONE_FOR_TARGET

log = logging.getLogger("monitor.alert.sender")

LEASE = timedelta(minutes=5)
RATE_LIMIT_FLOOR = timedelta(minutes=1)  # a 429 without Retry-After waits at least this
CAPPED_KINDS = ("new", "update")  # digests and tests are counted but never held


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    expired: int = 0
    deferred: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)


def claim_owner() -> str:
    """This process, as recorded on the leases it takes."""
    return f"{socket.gethostname()}:{os.getpid()}"


def retry_delay(attempts: int, config: AlertConfig, rng: random.Random, error: str | None = None) -> timedelta:
    """Exponential back-off with full jitter, capped: 30s, 1m, 2m ... up to retry_max.

    A rate limit waits longer: the service's Retry-After when the error states one,
    else at least RATE_LIMIT_FLOOR.
    """
    base = config.retry_base.total_seconds()
    ceiling = min(base * (2 ** max(attempts - 1, 0)), config.retry_max.total_seconds())
    delay = max(base / 2, rng.uniform(0, ceiling))
    hint = rate_limit_hint(error)
    if hint is not None:
        delay = max(delay, hint)
    return timedelta(seconds=delay)


_RETRY_AFTER = re.compile(r"retry[- _]?after\D{0,5}(\d{1,6})", re.IGNORECASE)
_RATE_LIMITED = re.compile(r"\b429\b|too many requests|rate[- ]?limit", re.IGNORECASE)


def rate_limit_hint(error: str | None) -> float | None:
    """Seconds to wait that an error message asks for, if it reports a rate limit."""
    if not error:
        return None
    stated = _RETRY_AFTER.search(error)
    if stated:
        return float(stated.group(1))
    if _RATE_LIMITED.search(error):
        return RATE_LIMIT_FLOOR.total_seconds()
    return None


def individual_allowance(config: AlertConfig) -> int:
    """Alerts a target may get one by one per hour; one slot stays free for a digest."""
    return config.max_per_hour - 1 if config.max_per_hour >= 2 else config.max_per_hour


def release_dead_claims(store: Store) -> int:
    """Take back leases held by processes of this host that no longer exist."""
    host = socket.gethostname()
    released = 0
    for owner in store.claim_owners():
        owner_host, _, pid = owner.rpartition(":")
        if owner_host != host or not pid.isdigit() or _alive(int(pid)):
            continue
        released += store.release_claims(owner)
    if released:
        log.info("took back %d alert(s) claimed by a process that is gone", released)
    return released


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def send_due_alerts(
    store: Store,
    targets: list[Target],
    config: AlertConfig,
    *,
    now: Callable[[], datetime] = utcnow,
    should_stop: Callable[[], bool] = lambda: False,
    limit: int = 50,
    rng: random.Random | None = None,
    resting: dict[str, datetime] | None = None,
) -> SendReport:
    """Queue due digests, then try every due alert once. Never raises for a delivery problem.

    `resting` maps a target to the time before which it is not tried again, because a
    send to it just failed: the other alerts wait for it rather than hammering a service
    that is down or rate-limiting us. Pass the same dict from one call to the next (the
    daemon does) to keep that across rounds.
    """

    report = SendReport()
    rng = rng or random.Random()
    resting = {} if resting is None else resting
    queue_digests(store, targets, config, now())
    owner = claim_owner()
    for alert in store.claim_due_alerts(now(), LEASE, limit, owner=owner):
        if should_stop():
            # Hand the rest back at once rather than leaving them leased.
            store.release_alert(alert["id"])
            continue
        # A batch can outlast its lease (slow services, many targets): renew it per alert,
        # and leave an alert that another sender took meanwhile to that sender.
        if not store.renew_claim(alert["id"], owner, now() + LEASE):
            continue
        try:
            _deliver(store, alert, targets, config, now, rng, report, should_stop, resting)
        except Exception:  # e.g. the database failed: the rest of the batch is not stranded
            log.exception("alert %s: delivery round failed; it is retried later", alert["id"])
            store.release_alert(alert["id"])
    return report


def _deliver(store, alert, targets, config, now, rng, report, should_stop, resting) -> None:
    moment = now()
    if moment >= parse_iso(alert["expires_at"]):
        store.finish_attempt(alert["id"], status="expired", now=moment, next_attempt_at=None,
                             error=alert["last_error"] or "expired before delivery")
        log.warning("alert %s expired undelivered (created %s): %s; last error: %s", alert["id"],
                    alert["created_at"], alert["title"], alert["last_error"] or "none")
        report.expired += 1
        return
    if alert["target"] is None:
        mine = route(targets, alert["topic"], config)  # [[topic]] tags
    else:
        mine = [t for t in targets if t.id == alert["target"]]
    message = with_reference(
        AlertMessage(alert["title"], alert["body"], alert["body_html"] or ""), alert["id"])
    states = store.target_states(alert["id"])
    errors: list[str] = []
    postponed: dict[str, datetime] = {}
    hour_ago = moment - timedelta(hours=1)
    for target in mine:
        state = states.get(target.id)
        if state and state["status"] in DONE_FOR_TARGET:
            continue
        due = parse_iso(state["next_attempt_at"]) if state and state["status"] == "failed" else None
        if due is not None and due > moment:
            report.deferred += 1
            continue  # this target backs off; the others go ahead
        if resting.get(target.id, moment) > moment:
            postponed[target.id] = resting[target.id]
            report.deferred += 1
            continue  # it failed a moment ago for another alert: wait with that one
        if should_stop():
            break
        if alert["kind"] in CAPPED_KINDS and store.alerts_sent_since(target.id, hour_ago) >= individual_allowance(config):
            store.hold_for_digest(alert["id"], target.id, target.label, moment)
            log.info("alert %s held for %s's digest: %d per hour reached", alert["id"], target.label,
                     config.max_per_hour)
            report.held += 1
            continue
        error = target.send(message)
        moment = now()
        attempts = (state["attempts"] if state else 0) + 1
        retry_at = None if error is None else _whole_second(moment + retry_delay(attempts, config, rng, error))
        store.record_target_result(alert["id"], target.id, target.label, ok=error is None,
                                   error=error, now=moment, next_attempt_at=retry_at)
        if error:
            resting[target.id] = retry_at
            errors.append(f"{target.label}: {error}")
            log.warning("alert %s to %s failed (try %d, next at %s): %s", alert["id"], target.label,
                        attempts, retry_at.strftime("%H:%M:%S"), error)
        else:
            log.info("alert %s delivered to %s", alert["id"], target.label)
    _settle(store, alert, mine, moment, errors, report, postponed)


def _whole_second(moment: datetime) -> datetime:
    """Rounded up: the store keeps whole seconds, and a time cut down would come due early."""
    return moment.replace(microsecond=0) + (timedelta(seconds=1) if moment.microsecond else timedelta(0))


def _settle(store, alert, mine, moment, errors, report, postponed) -> None:
    """Set the alert's status and next try from its targets' rows."""
    states = store.target_states(alert["id"])
    waiting = [t.id for t in mine if (states.get(t.id) or {}).get("status") not in DONE_FOR_TARGET]
    if mine and not waiting:
        store.finish_attempt(alert["id"], status="sent", now=moment, next_attempt_at=None, error=None)
        report.sent += 1
        return
    times = []
    for target_id in waiting:
        state = states.get(target_id)
        if target_id in postponed:
            times.append(postponed[target_id])
        elif state and state["next_attempt_at"]:
            times.append(parse_iso(state["next_attempt_at"]))
        else:
            times.append(moment)  # not tried yet (stopping, or a target added): due at once
    next_at = min(times) if times else moment
    waiting = [states.get(t) for t in waiting]
    if not mine:
        errors = [f"target {alert['target']} is no longer configured"]
        next_at = moment + timedelta(minutes=10)
    failed = any(s and s["status"] == "failed" for s in waiting) or not mine
    last_error = "; ".join(errors)[:500] if errors else alert["last_error"]
    store.finish_attempt(alert["id"], status="failed" if failed else "pending", now=moment,
                         next_attempt_at=next_at, error=last_error)
    if errors:
        report.failed += 1
        report.errors.extend(errors)
