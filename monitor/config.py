"""The TOML configuration: parsed, validated and resolved into plain dataclasses.

Every problem becomes one ConfigError line naming the file, the key and what is wrong,
so that a typo in `monitor.toml` never surfaces as a traceback from deep inside a stage.
Relative paths are relative to the configuration file, so the service behaves the same
whatever its working directory.
"""
from __future__ import annotations

import glob
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor.durations import parse_duration


class ConfigError(Exception):
    """A configuration problem, worded for the person editing the file."""


@dataclass
class FeedConfig:
    url: str
    name: str | None = None
    poll_interval: timedelta | None = None  # None: the [monitor] default
    enabled: bool = True
    # Parties the feed implies for matching (topic concept ids or groups): a Turkish
    # outlet writing in English implies "turkey" the way Turkish text does.
    implies: tuple[str, ...] = ()


@dataclass
class TopicConfig:
    name: str
    seeds: list[Path]
    lexicon: Path
    threshold: float | None = None
    tags: list[str] = field(default_factory=list)  # Apprise tags of its targets; [] = every target


@dataclass
class AlertConfig:
    urls: list[str] = field(default_factory=list)  # Apprise URLs, secrets included
    # Where each of `urls` came from, for errors: "[alerts] urls #1", "MONITOR_ALERT_URLS #1".
    url_sources: list[str] = field(default_factory=list)
    config_files: list[Path] = field(default_factory=list)  # Apprise config files
    expire_after: timedelta = timedelta(days=2)
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    update_interval: timedelta = timedelta(hours=6)
    max_per_hour: int = 20  # per target; the excess is folded into a digest
    digest: str | None = None  # None, "hourly" or "daily"
    digest_delay: timedelta = timedelta(minutes=2)  # how long held alerts gather before a digest
    send_timeout: timedelta = timedelta(seconds=30)
    reader_language: str | None = None  # alerts in other languages get a gist in this one
    topic_tags: dict[str, list[str]] = field(default_factory=dict)  # topic -> Apprise tags ([[topic]] tags)


@dataclass
class Config:
    path: Path
    database: Path
    poll_interval: timedelta = timedelta(minutes=15)
    allow_private_networks: bool = False
    backfill: timedelta = timedelta(days=1)
    story_window: timedelta = timedelta(days=3)
    retention: timedelta = timedelta(days=90)  # unmatched items older than this are pruned
    fetch_timeout: timedelta = timedelta(seconds=30)
    max_feed_bytes: int = 10 * 1024 * 1024
    max_workers: int = 16
    per_host_concurrency: int = 2
    user_agent: str | None = None
    log_level: str = "INFO"
    metrics_listen: tuple[str, int] | None = None  # the daemon serves /metrics and /healthz here
    feeds: list[FeedConfig] = field(default_factory=list)
    topics: list[TopicConfig] = field(default_factory=list)
    alerts: AlertConfig = field(default_factory=AlertConfig)

    _implies: tuple = field(default=(None, 0, {}), init=False, repr=False, compare=False)

    def feed_implies(self) -> dict[str, tuple[str, ...]]:
        """Parties each configured feed implies, by feed URL and by feed name.

        Built once per feed list (a poll asks for every feed it processes: rebuilt each
        time, a poll of N feeds cost N x N steps). Read-only: do not modify the result."""
        feeds, count, cached = self._implies
        if feeds is self.feeds and count == len(feeds):
            return cached
        found: dict[str, tuple[str, ...]] = {}
        for feed in self.feeds:
            if feed.implies:
                found[feed.url] = feed.implies
                if feed.name:
                    found[feed.name] = feed.implies
        self._implies = (self.feeds, len(self.feeds), found)
        return found


ALERT_URLS_ENV = "MONITOR_ALERT_URLS"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> Config:
    """Read and validate the configuration at `path`."""
    path = Path(path)
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found (pass --config PATH or set MONITOR_CONFIG)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return _Reader(path, env).read(raw)


class _Reader:
    def __init__(self, path: Path, env: Any):
        self.path = path
        self.base = path.parent
        self.env = env

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {problem}")

    def read(self, raw: dict) -> Config:
        self._only(raw, "", {"monitor", "feed", "topic", "alerts"})
        section = self._table(raw, "monitor")
        self._only(
            section,
            "[monitor]",
            {
                "database", "poll_interval", "allow_private_networks", "backfill",
                "story_window", "retention", "fetch_timeout", "max_feed_bytes", "max_workers",
                "per_host_concurrency", "user_agent", "log_level", "metrics_listen",
            },
        )
        config = Config(
            path=self.path,
            database=self._path(section.get("database", "monitor.db"), "[monitor] database"),
        )
        for key in ("poll_interval", "backfill", "story_window", "retention", "fetch_timeout"):
            if key in section:
                setattr(config, key, self._duration(section[key], f"[monitor] {key}"))
        if config.poll_interval < timedelta(seconds=10):
            raise self.fail("[monitor] poll_interval", "must be at least 10s")
        if config.retention < max(config.story_window, timedelta(days=1)):
            raise self.fail("[monitor] retention", "must be at least 1d and not shorter than story_window")
        config.allow_private_networks = self._bool(
            section.get("allow_private_networks", False), "[monitor] allow_private_networks"
        )
        if "max_feed_bytes" in section:
            config.max_feed_bytes = self._size(section["max_feed_bytes"], "[monitor] max_feed_bytes")
        for key in ("max_workers", "per_host_concurrency"):
            if key in section:
                setattr(config, key, self._positive_int(section[key], f"[monitor] {key}"))
        if "user_agent" in section:
            config.user_agent = self._str(section["user_agent"], "[monitor] user_agent")
        level = str(section.get("log_level", "INFO")).upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise self.fail("[monitor] log_level", f"{level!r} is not one of debug, info, warning, error")
        config.log_level = level
        if "metrics_listen" in section:
            config.metrics_listen = self._listen(section["metrics_listen"], "[monitor] metrics_listen")
        config.feeds = self._feeds(raw.get("feed", []))
        config.topics = self._topics(raw.get("topic", []))
        config.alerts = self._alerts(self._table(raw, "alerts"))
        config.alerts.topic_tags = {t.name: t.tags for t in config.topics if t.tags}
        return config

    # --- sections -------------------------------------------------------------------

    def _feeds(self, entries: Any) -> list[FeedConfig]:
        if not isinstance(entries, list):
            raise self.fail("[[feed]]", "must be an array of tables ([[feed]] blocks)")
        feeds, seen = [], set()
        for number, entry in enumerate(entries, 1):
            where = f"[[feed]] #{number}"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a table")
            self._only(entry, where, {"url", "name", "poll_interval", "enabled", "implies"})
            url = self._str(entry.get("url"), f"{where} url").strip()
            if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
                raise self.fail(f"{where} url", f"{url!r} is not an http(s) URL")
            if url in seen:
                raise self.fail(f"{where} url", f"{url!r} is listed twice")
            seen.add(url)
            interval = None
            if "poll_interval" in entry:
                interval = self._duration(entry["poll_interval"], f"{where} poll_interval")
            feeds.append(
                FeedConfig(
                    url=url,
                    name=self._str(entry["name"], f"{where} name") if "name" in entry else None,
                    poll_interval=interval,
                    enabled=self._bool(entry.get("enabled", True), f"{where} enabled"),
                    implies=self._names(entry.get("implies", []), f"{where} implies"),
                )
            )
        return feeds

    def _names(self, value: Any, key: str) -> tuple[str, ...]:
        """A list of topic concept ids or group names (lower-case letters, digits, _)."""
        if not isinstance(value, list) or not all(isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9_]*", v)
                                                  for v in value):
            raise self.fail(key, 'must be a list of concept ids or groups, e.g. ["turkey"]')
        return tuple(value)


    def _topics(self, entries: Any) -> list[TopicConfig]:
        if not isinstance(entries, list):
            raise self.fail("[[topic]]", "must be an array of tables ([[topic]] blocks)")
        topics = []
        for number, entry in enumerate(entries, 1):
            where = f"[[topic]] #{number}"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a table")
            self._only(entry, where, {"name", "seeds", "lexicon", "threshold", "tags"})
            name = self._str(entry.get("name"), f"{where} name")
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                raise self.fail(f"{where} name", f"{name!r}: use letters, digits, - _ .")
            patterns = entry.get("seeds", [])
            if isinstance(patterns, str):
                patterns = [patterns]
            seeds: list[Path] = []
            for pattern in patterns:
                full = self.base / self._str(pattern, f"{where} seeds")
                seeds.extend(sorted(Path(p) for p in glob.glob(str(full))))
            if not seeds:
                raise self.fail(f"{where} seeds", f"no file matches {patterns!r}")
            lexicon = self._path(
                entry.get("lexicon", f"topics/{name}.toml"), f"{where} lexicon"
            )
            if not lexicon.is_file():
                raise self.fail(f"{where} lexicon", f"{lexicon} does not exist")
            threshold = None
            if "threshold" in entry:
                threshold = entry["threshold"]
                if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
                    raise self.fail(f"{where} threshold", "must be a number")
                threshold = float(threshold)
            tags = entry.get("tags", [])
            if isinstance(tags, str):
                tags = [tags]
            if not isinstance(tags, list) or not all(isinstance(t, str) and re.fullmatch(r"[\w.-]+", t) for t in tags):
                raise self.fail(f"{where} tags", "must be a list of Apprise tag names (letters, digits, - _ .)")
            topics.append(TopicConfig(name, seeds, lexicon, threshold, [t.lower() for t in tags]))
        return topics

    def _alerts(self, section: dict) -> AlertConfig:
        self._only(
            section,
            "[alerts]",
            {
                "urls", "config", "expire_after", "retry_base", "retry_max",
                "update_interval", "max_per_hour", "digest", "digest_delay", "send_timeout",
                "reader_language",
            },
        )
        alerts = AlertConfig()
        urls = section.get("urls", [])
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list):
            raise self.fail("[alerts] urls", "must be a list of Apprise URLs")
        for number, url in enumerate(urls, 1):
            where = f"[alerts] urls #{number}"
            alerts.urls.append(self._expand(self._str(url, where), where))
            alerts.url_sources.append(f"{self.path}: {where}")
        # Secrets can stay out of the file altogether.
        from_env = [u for u in re.split(r"[\s,]+", self.env.get(ALERT_URLS_ENV, "")) if u]
        alerts.urls.extend(from_env)
        alerts.url_sources.extend(f"{ALERT_URLS_ENV} #{number}" for number in range(1, len(from_env) + 1))
        files = section.get("config", [])
        if isinstance(files, str):
            files = [files]
        for name in files:
            file_path = self._path(name, "[alerts] config")
            if not file_path.is_file():
                raise self.fail("[alerts] config", f"{file_path} does not exist")
            alerts.config_files.append(file_path)
        for key in ("expire_after", "retry_base", "retry_max", "update_interval", "digest_delay", "send_timeout"):
            if key in section:
                setattr(alerts, key, self._duration(section[key], f"[alerts] {key}"))
        if "max_per_hour" in section:
            alerts.max_per_hour = self._positive_int(section["max_per_hour"], "[alerts] max_per_hour")
        if "digest" in section:
            digest = section["digest"]
            if digest not in ("hourly", "daily", "off", False):
                raise self.fail("[alerts] digest", f"{digest!r} is not one of hourly, daily, off")
            alerts.digest = None if digest in ("off", False) else digest
        if "reader_language" in section:
            language = self._str(section["reader_language"], "[alerts] reader_language").strip().lower()
            if not re.fullmatch(r"[a-z]{2,3}", language):
                raise self.fail("[alerts] reader_language", f"{language!r} is not a language code like en, ar, ru")
            alerts.reader_language = language
        return alerts

    # --- values ---------------------------------------------------------------------

    def _only(self, table: dict, where: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                label = f"{where} {key}".strip()
                raise self.fail(label, f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def _table(self, raw: dict, name: str) -> dict:
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(f"[{name}]", "must be a table")
        return value

    def _str(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def _bool(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def _positive_int(self, value: Any, key: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(key, "must be a whole number of at least 1")
        return value

    def _duration(self, value: Any, key: str) -> timedelta:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def _size(self, value: Any, key: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        match = _SIZE.match(str(value))
        if not match:
            raise self.fail(key, f"{value!r} is not a size (use 10MB, 512KB or bytes)")
        unit = (match.group(2) or "b").lower()[0]
        return int(match.group(1)) * {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]

    def _listen(self, value: Any, key: str) -> tuple[str, int]:
        host, sep, port = self._str(value, key).strip().rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise self.fail(key, f"{value!r} is not HOST:PORT, e.g. \"127.0.0.1:9464\"")
        return host, int(port)

    def _path(self, value: Any, key: str) -> Path:
        return (self.base / Path(self._str(value, key)).expanduser()).resolve()

    def _expand(self, value: str, key: str) -> str:
        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name not in self.env:
                raise self.fail(key, f"environment variable {name} is not set")
            return self.env[name]

        return _ENV_REF.sub(substitute, value)
