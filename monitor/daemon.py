"""`monitor run`: APScheduler drives polling and sending until SIGTERM.

Jobs never overlap themselves (max_instances=1), a late run still runs once
(coalesce, no misfire limit) instead of being skipped silently, and every job error is
logged and counted in the store where `monitor status` shows it. Each job opens its own
database connection, so a slow poll never blocks the sender's commits.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor import systemd
from monitor.alert import build_targets, send_due_alerts
from monitor.config import Config, load_config
from monitor.pipeline import Runtime, build_runtime, poll_once
from monitor.store import Store, utcnow

log = logging.getLogger("monitor.daemon")

POLL_TICK_SECONDS = 30  # how often due feeds are looked for; each feed has its own schedule
SEND_TICK_SECONDS = 10


class Daemon:
    def __init__(self, config_path: Path):
        self.config_path = config_path
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()
        self._lock = threading.Lock()  # guards swapping config/runtime on reload
        self.config: Config = load_config(config_path)
        self.runtime: Runtime = build_runtime(self.config)
        self.targets = build_targets(self.config.alerts)
        with Store.open(self.config.database) as store:
            store.sync_feeds(self.config.feeds)

    # --- jobs -----------------------------------------------------------------------

    def poll_job(self) -> None:
        with self._lock:
            runtime = self.runtime
        with Store.open(runtime.config.database) as store:
            report = poll_once(store, runtime, should_stop=self.stopping.is_set)
        if report.feeds:
            log.info("poll: %d feeds, %d new items, %d matched, %d alerts, %d failed in %.1fs",
                     report.feeds, report.new_items, report.matched, report.alerts, report.failed, report.seconds)

    def send_job(self) -> None:
        with self._lock:
            config, targets = self.config, self.targets
        with Store.open(config.database) as store:
            send_due_alerts(store, targets, config.alerts, should_stop=self.stopping.is_set)

    def heartbeat_job(self) -> None:
        with Store.open(self.config.database) as store:
            store.set_meta("daemon_heartbeat", utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))
        systemd.notify("WATCHDOG=1")

    def reload(self) -> None:
        """Re-read the configuration; on error keep running with the old one."""
        try:
            config = load_config(self.config_path)
            runtime = build_runtime(config)
            targets = build_targets(config.alerts)
        except Exception as exc:  # a bad edit must not take the service down
            log.error("reload failed, keeping the previous configuration: %s", exc)
            return
        with Store.open(config.database) as store:
            store.sync_feeds(config.feeds)
        with self._lock:
            old = self.runtime
            self.config, self.runtime, self.targets = config, runtime, targets
        old.close()
        log.info("configuration reloaded: %d feeds, %d topics, %d alert targets",
                 len(config.feeds), len(config.topics), len(targets))

    # --- lifecycle ------------------------------------------------------------------

    def run(self) -> int:
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        scheduler.add_listener(self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        now = utcnow()
        scheduler.add_job(self.poll_job, "interval", seconds=POLL_TICK_SECONDS, id="poll", next_run_time=now)
        scheduler.add_job(self.send_job, "interval", seconds=SEND_TICK_SECONDS, id="send", next_run_time=now)
        watchdog = systemd.watchdog_interval() or 30
        scheduler.add_job(self.heartbeat_job, "interval", seconds=min(watchdog, 30), id="heartbeat",
                          next_run_time=now)
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        with Store.open(self.config.database) as store:
            store.set_meta("daemon_pid", str(os.getpid()))
            store.set_meta("daemon_started_at", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        scheduler.start()
        systemd.notify("READY=1")
        log.info("monitor running: %d feeds, %d topics, alerts to %s (pid %d)",
                 len(self.config.feeds), len(self.config.topics),
                 ", ".join(t.label for t in self.targets), os.getpid())
        while not self.stopping.wait(0.5):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                systemd.notify("RELOADING=1")
                self.reload()
                systemd.notify("READY=1")
        systemd.notify("STOPPING=1")
        log.info("stopping: finishing the jobs in flight")
        scheduler.shutdown(wait=True)
        self.runtime.close()
        with Store.open(self.config.database) as store:
            store.set_meta("daemon_pid", None)
        log.info("stopped")
        return 0

    def _on_job_event(self, event) -> None:
        if event.code == EVENT_JOB_ERROR:
            log.error("job %s failed: %s", event.job_id, event.exception, exc_info=event.exception)
            kind = "job_errors"
        else:
            log.warning("job %s missed its run time", event.job_id)
            kind = "job_missed"
        try:
            with Store.open(self.config.database) as store:
                store.bump_meta(f"{kind}.{event.job_id}")
        except Exception:
            log.exception("could not record the job error")
