"""Delivering queued alerts through Apprise: at least once, never twice from a crash.

The outbox (store.alerts) is filled in the same transaction as the match that caused it.
This module claims due alerts, sends each to every target that has not had it yet,
and commits each target's result straight after its send, so that a crash can repeat at
most the one send whose provider answered 2xx just before the process died.
"""
from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import apprise

from monitor.alert_format import AlertMessage
from monitor.config import AlertConfig
from monitor.logs import register_secrets
from monitor.store import Store, parse_iso, utcnow

log = logging.getLogger("monitor.alert")

LEASE = timedelta(minutes=5)


@dataclass
class Target:
    """One notification destination. `label` is safe to show; the URL is not."""

    id: str
    label: str
    send: Callable[[AlertMessage], str | None]  # returns None on success, else an error


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    expired: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def _target_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def _apprise_target(plugin, timeout: float) -> Target:
    url = plugin.url()
    label = plugin.url(privacy=True).split("?")[0]
    secrets = _secret_fragments(url)
    register_secrets(secrets)

    def send(message: AlertMessage) -> str | None:
        obj = apprise.Apprise()
        obj.add(plugin)
        html = message.body_html if plugin.notify_format == apprise.NotifyFormat.HTML else None
        try:
            result = obj.notify(
                body=html or message.body,
                title=message.title,
                body_format=apprise.NotifyFormat.HTML if html else apprise.NotifyFormat.TEXT,
                timeout=timeout,
            )
        except Exception as exc:  # a plugin bug must not stop the sender
            return _redact(f"{type(exc).__name__}: {exc}", secrets)
        if result:
            return None
        problems = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR")]
        return _redact(problems[-1] if problems else "delivery failed", secrets)

    return Target(id=_target_id(url), label=label, send=send)


def _secret_fragments(url: str) -> list[str]:
    """Pieces of a URL that may be secrets: user info, path segments, query values."""
    pieces = set()
    rest = url.split("://", 1)[-1]
    if "@" in rest.split("/", 1)[0]:
        pieces.update(p for p in rest.split("@", 1)[0].split(":") if len(p) >= 4)
    for chunk in rest.replace("?", "/").replace("&", "/").replace("=", "/").split("/")[1:]:
        if len(chunk) >= 8:
            pieces.add(chunk)
    return sorted(pieces, key=len, reverse=True)


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "****")
    return " ".join(text.split())[:300]


def _log_target() -> Target:
    def send(message: AlertMessage) -> str | None:
        log.info("ALERT %s\n%s", message.title, message.body)
        return None

    return Target(id="log", label="log (no alert URLs configured)", send=send)


def build_targets(config: AlertConfig) -> list[Target]:
    """Targets from the configured Apprise URLs and config files; the log if none.

    Raises ValueError naming the bad entry (masked) when a URL is not understood.
    """
    timeout = config.send_timeout.total_seconds()
    targets: list[Target] = []
    for number, url in enumerate(config.urls, 1):
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            raise ValueError(f"[alerts] urls #{number}: Apprise does not understand this {scheme}:// URL")
        targets.append(_apprise_target(plugin, timeout))
    for path in config.config_files:
        loaded = apprise.AppriseConfig()
        loaded.add(str(path))
        servers = loaded.servers()
        if not servers:
            raise ValueError(f"[alerts] config: {path} holds no usable Apprise URL")
        targets.extend(_apprise_target(plugin, timeout) for plugin in servers)
    return targets or [_log_target()]


def retry_delay(attempts: int, config: AlertConfig, rng: random.Random) -> timedelta:
    """Exponential back-off with full jitter, capped: 30s, 1m, 2m ... up to retry_max."""
    ceiling = min(config.retry_base.total_seconds() * (2 ** max(attempts - 1, 0)),
                  config.retry_max.total_seconds())
    return timedelta(seconds=max(config.retry_base.total_seconds() / 2, rng.uniform(0, ceiling)))


def send_due_alerts(
    store: Store,
    targets: list[Target],
    config: AlertConfig,
    *,
    now: Callable[[], datetime] = utcnow,
    should_stop: Callable[[], bool] = lambda: False,
    limit: int = 50,
) -> SendReport:
    """Try every due alert once. Never raises for a delivery problem."""
    report = SendReport()
    rng = random.Random()
    for alert in store.claim_due_alerts(now(), LEASE, limit):
        if should_stop():
            # Hand the rest back at once rather than leaving them leased.
            store.release_alert(alert["id"])
            continue
        _deliver(store, alert, targets, config, now, rng, report)
    return report


def _deliver(store, alert, targets, config, now, rng, report) -> None:
    moment = now()
    if moment >= parse_iso(alert["expires_at"]):
        store.finish_attempt(alert["id"], status="expired", now=moment, next_attempt_at=None,
                             error=alert["last_error"] or "expired before delivery")
        log.warning("alert %s expired undelivered: %s", alert["id"], alert["title"])
        report.expired += 1
        return
    message = AlertMessage(alert["title"], alert["body"], alert["body_html"] or alert["body"])
    done = store.delivered_targets(alert["id"])
    errors = []
    attempts = alert["attempts"] + 1
    for target in targets:
        if target.id in done:
            continue
        error = target.send(message)
        moment = now()
        retry_at = None if error is None else moment + retry_delay(attempts, config, rng)
        store.record_target_result(alert["id"], target.id, target.label, ok=error is None,
                                   error=error, now=moment, next_attempt_at=retry_at)
        if error:
            errors.append(f"{target.label}: {error}")
            log.warning("alert %s to %s failed: %s", alert["id"], target.label, error)
        else:
            log.info("alert %s delivered to %s", alert["id"], target.label)
    if errors:
        retry_at = moment + retry_delay(attempts, config, rng)
        store.finish_attempt(alert["id"], status="failed", now=moment, next_attempt_at=retry_at,
                             error="; ".join(errors)[:500])
        report.failed += 1
        report.errors.extend(errors)
    else:
        store.finish_attempt(alert["id"], status="sent", now=moment, next_attempt_at=None, error=None)
        report.sent += 1
