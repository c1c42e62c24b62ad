"""Alert targets: the Apprise services (and the log) that alerts are sent to.

A target wraps one Apprise URL or config-file entry behind `send(message) -> error|None`,
with its secrets registered for log masking before Apprise can log them, and an id that is
stable across restarts (a hash of the URL) so that the outbox can record per-target results.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Callable

from monitor.alert.format import AlertMessage, email_subject, fit_message
from monitor.config import AlertConfig
from monitor.logs import register_secrets

log = logging.getLogger(__name__)


def _apprise():
    """The apprise module, imported when a target is first built: with its plugins it
    takes 80 ms and several MB, which a poll with no alert URL (or `--no-send`) never needs."""
    import apprise

    return apprise


@dataclass
class Target:
    """One notification destination. `label` is safe to show; the URL is not."""

    id: str
    label: str
    send: Callable[[AlertMessage], str | None]  # returns None on success, else an error
    tags: frozenset[str] = field(default_factory=frozenset)  # Apprise tags, for per-topic routing


def _target_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def _apprise_target(plugin, url: str | None, timeout: float, tags: frozenset[str] = frozenset()) -> Target:
    """A target for one Apprise service. `url` is the URL as the user wrote it; None for
    a service from an Apprise config file, whose entry is not at hand."""
    apprise = _apprise()
    secrets = _secret_fragments(url or "") + _secret_fragments(plugin.url())
    register_secrets(secrets)
    # Apprise's privacy form masks passwords but keeps tokens that live in the path
    # (json://host/hook/TOKEN, tgram://TOKEN/...); the label is stored and shown.
    label = _redact(plugin.url(privacy=True).split("?")[0], secrets)
    if url is None or "overflow=" not in url.lower():
        # Never more than the service takes: Apprise cuts what our own fitting missed.
        plugin.overflow_mode = apprise.common.OverflowMode.TRUNCATE
    if getattr(plugin, "host", None) in ("127.0.0.1", "localhost", "::1"):
        # Apprise waits ~5 s between two posts to one service out of politeness; a
        # relay or receiver on this machine needs none (and tests would crawl).
        plugin.request_rate_per_sec = 0
    preferred = plugin.resolve_format(None)
    use_html = preferred == apprise.NotifyFormat.HTML
    is_email = _is_email(plugin)

    def send(message: AlertMessage) -> str | None:
        fitted = fit_message(message, title_max=plugin.title_maxlen, body_max=plugin.body_maxlen,
                             html=use_html)
        obj = apprise.Apprise()
        obj.add(plugin)
        try:
            # For e-mail, Apprise makes HTML a multipart/alternative with a text part.
            result = obj.notify(
                body=fitted.body_html if use_html else fitted.body,
                title=email_subject(fitted.title, plugin.title_maxlen) if is_email else fitted.title,
                body_format=apprise.NotifyFormat.HTML if use_html else apprise.NotifyFormat.TEXT,
                timeout=timeout,
            )
        except Exception as exc:  # a plugin bug must not stop the sender
            return _redact(f"{type(exc).__name__}: {exc}", secrets)
        if result:
            return None
        problems = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR")]
        return _redact(problems[-1] if problems else "delivery failed", secrets)

    # The identity must outlive Apprise upgrades: plugin.url() spells out Apprise's
    # defaults (retry=, wait=...), so a config-file service is known by its address only.
    identity = url if url is not None else plugin.url().split("?")[0]
    tags = tags or frozenset(str(t).lower() for t in getattr(plugin, "tags", ()) or ())
    return Target(id=_target_id(identity), label=label, send=send, tags=tags)


def _is_email(plugin) -> bool:
    """mailto:// and mailtos://, whose Subject needs RFC 2047 words (format.email_subject)."""
    protocols = []
    for name in ("protocol", "secure_protocol"):
        value = getattr(plugin, name, None)
        protocols += [value] if isinstance(value, str) else list(value or ())
    return "mailto" in protocols or "mailtos" in protocols


# Query keys whose values are settings, not secrets; masking them would only blur logs.
_SETTING_KEYS = {"overflow", "format", "retry", "wait", "optional", "cto", "rto", "emojis", "tz", "verify",
                 "mode", "smtp", "name", "from", "to", "cc", "bcc", "reply", "port", "secure", "method"}


def _secret_fragments(url: str) -> list[str]:
    """Pieces of a URL that may be secrets: user info, tokens, path segments, query values.

    Many Apprise services carry their token where a host would be (tgram://TOKEN/chat,
    discord://ID/TOKEN), so a "host" that is not a domain name or an address counts too.
    """
    pieces = set()
    rest, _, query = url.split("://", 1)[-1].partition("?")
    authority, _, path = rest.partition("/")
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
        pieces.update(p for p in userinfo.split(":") if len(p) >= 4)
    host, _, port = authority.rpartition(":") if authority.count(":") == 1 else (authority, "", "")
    if host and "." not in host and host != "localhost" and len(host) >= 6:
        pieces.add(host)
    if port and not port.isdigit() and len(port) >= 4:
        pieces.add(port)
    pieces.update(chunk for chunk in path.split("/") if len(chunk) >= 8)
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if len(value) >= 8 and key.lower() not in _SETTING_KEYS:
            pieces.add(value)
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

    Raises ValueError naming the bad entry by its source (`config.url_sources`: the
    file's "[alerts] urls #N" or "MONITOR_ALERT_URLS #N") when a URL is not understood.
    """
    timeout = config.send_timeout.total_seconds()
    targets: list[Target] = []
    apprise = _apprise() if config.urls or config.config_files else None
    for number, entry in enumerate(config.urls, 1):
        tags, url = split_tags(entry)
        register_secrets(_secret_fragments(url))  # before Apprise may log it
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            where = config.url_sources[number - 1] if number <= len(config.url_sources) else f"[alerts] urls #{number}"
            raise ValueError(f"{where}: Apprise does not understand this {scheme}:// URL")
        targets.append(_apprise_target(plugin, url, timeout, tags))
    for path in config.config_files:
        loaded = apprise.AppriseConfig()
        loaded.add(str(path))
        # Apprise 2 renamed servers() to services().
        servers = (loaded.services() if hasattr(loaded, "services") else loaded.servers())
        if not servers:
            raise ValueError(f"[alerts] config: {path} holds no usable Apprise URL")
        targets.extend(_apprise_target(plugin, None, timeout) for plugin in servers)
    for topic, wanted in config.topic_tags.items():
        if targets and not any(t.tags & set(wanted) for t in targets):
            log.warning("topic %s routes to tags %s, which no alert target has: its alerts go to every target",
                        topic, ", ".join(wanted))
    return targets or [_log_target()]


# "desk,ops=json://host/hook": Apprise's own text-config syntax for tagging one URL.
_TAGGED = re.compile(r"^\s*([\w.-]+(?:\s*,\s*[\w.-]+)*)\s*=\s*([A-Za-z][A-Za-z0-9+.-]*://.+)$")


def split_tags(entry: str) -> tuple[frozenset[str], str]:
    """("desk,ops=json://..." -> ({"desk", "ops"}, "json://...")); an untagged URL as is."""
    match = _TAGGED.match(entry)
    if not match:
        return frozenset(), entry
    return frozenset(t.strip().lower() for t in match.group(1).split(",")), match.group(2).strip()


def route(targets: list[Target], topic: str | None, config: AlertConfig) -> list[Target]:
    """The targets an alert of `topic` goes to: those carrying one of the topic's tags
    (`[[topic]] tags`), every target when the topic names none. When no target carries
    them, every target, so that a typo in a tag never loses an alert (a warning says so
    at start)."""
    wanted = set(config.topic_tags.get(topic or "", ()))
    if not wanted:
        return targets
    return [t for t in targets if t.tags & wanted] or targets
