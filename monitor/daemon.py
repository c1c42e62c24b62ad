"""`monitor run`: APScheduler drives polling and sending until SIGTERM.

Jobs never overlap themselves (max_instances=1), a late run still runs once
(coalesce, no misfire limit) instead of being skipped silently, and a tick that finds
the previous run still going is logged and counted; nothing is lost by it, since each
run takes up everything that is due. Every job error is logged and counted in the store
where `monitor status` shows it. Each job opens its own database connection, so a slow
poll never blocks the sender's commits.

SIGTERM: no new feed or alert is started; the send in flight finishes (its result is
committed) and the process exits. A job still running after MONITOR_STOP_GRACE seconds
is abandoned, its leases handed back, so the service stops within seconds whatever a
remote server does; the abandoned work is redone by the next start. SIGHUP reloads the
configuration between jobs: the runtime a poll in flight uses is closed after it.

Tick intervals (seconds), from the environment; the defaults suit production, tests
shorten them:
  MONITOR_POLL_TICK   how often due feeds are looked for (30)
  MONITOR_SEND_TICK   how often due alerts are sent (10)
  MONITOR_STOP_GRACE  how long SIGTERM waits for jobs in flight (10)
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor import systemd
from monitor.alert.sender import claim_owner, release_dead_claims, send_due_alerts
from monitor.alert.targets import build_targets
from monitor.config import Config, load_config
from monitor.desk.metrics import MetricsServer
from monitor.durations import format_duration
from monitor.pipeline import Runtime, build_runtime, poll_once
from monitor.store import Store, utcnow

log = logging.getLogger("monitor.daemon")



def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


POLL_TICK_SECONDS = _env_seconds("MONITOR_POLL_TICK", 30)  # each feed also has its own schedule
SEND_TICK_SECONDS = _env_seconds("MONITOR_SEND_TICK", 10)
RETENTION_TICK_HOURS = 6  # how often old unmatched items are pruned ([monitor] retention)
STOP_GRACE_SECONDS = _env_seconds("MONITOR_STOP_GRACE", 10)


class Daemon:
    def __init__(self, config_path: Path):
        self.config_path = config_path
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()
        self._lock = threading.Lock()  # guards swapping config/runtime on reload
        self._resting: dict = {}  # target -> time: a target that just failed rests (monitor.alert.sender)
        self._retried_marker: str | None = None
        self._retired: list[Runtime] = []  # replaced runtimes, closed when no poll uses them
        self._running = 0  # jobs in flight, for a bounded stop
        self._idle = threading.Condition()
        self.config: Config = load_config(config_path)
        self.runtime: Runtime = build_runtime(self.config)
        self.targets = build_targets(self.config.alerts)
        with Store.open(self.config.database) as store:
            store.sync_feeds(self.config.feeds)
            release_dead_claims(store)
            # The store's count, as `monitor status` and the metrics give it: feeds added
            # from the command line count, removed ones do not.
            self._enabled_feeds = store.feed_health()["enabled"]

    # --- jobs -----------------------------------------------------------------------

    def _tracked(self, job):
        """`job`, counted while it runs so that stopping can wait for it, boundedly."""
        def run() -> None:
            if self.stopping.is_set():
                return
            with self._idle:
                self._running += 1
            try:
                job()
            finally:
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()
        run.__name__, run.__qualname__ = job.__name__, job.__qualname__
        return run

    def poll_job(self) -> None:
        with self._lock:
            runtime = self.runtime
            retired, self._retired = self._retired, []
        for old in retired:  # polls never overlap, so none uses these any more
            old.close()
        with Store.open(runtime.config.database) as store:
            report = poll_once(store, runtime, should_stop=self.stopping.is_set)
        if report.feeds:
            log.info("poll: %d feeds, %d new items, %d matched, %d alerts, %d failed in %.1fs",
                     report.feeds, report.new_items, report.matched, report.alerts, report.failed, report.seconds)
            systemd.notify(f"STATUS=last poll {utcnow():%H:%M:%S}: {report.feeds} feeds, "
                           f"{report.new_items} new items, {report.alerts} alerts")

    def send_job(self) -> None:
        with self._lock:
            config, targets = self.config, self.targets
        with Store.open(config.database) as store:
            release_dead_claims(store)  # a killed `monitor poll` may have held some
            retried = store.get_meta("alerts_retried_at")
            if retried != self._retried_marker:  # `monitor alerts retry` asks for a try now
                self._retried_marker = retried
                self._resting.clear()
            report = send_due_alerts(store, targets, config.alerts, should_stop=self.stopping.is_set,
                                     resting=self._resting)
        if report.sent or report.failed or report.expired or report.held:
            log.info("send: %d sent, %d failed, %d expired, %d held for digests",
                     report.sent, report.failed, report.expired, report.held)

    def retention_job(self) -> None:
        with self._lock:
            config = self.config
        with Store.open(config.database) as store:
            pruned = store.prune_items(utcnow() - config.retention)
        if pruned:
            log.info("retention: forgot %d unmatched items older than %s", pruned, format_duration(config.retention))

    def index_job(self) -> None:
        """Put newly stored items into the search index (store/search.py), off the poll's path."""
        with self._lock:
            config = self.config
        with Store.open(config.database) as store:
            indexed = store.update_search_index()
        if indexed:
            log.debug("search index: %d items added", indexed)

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
            with Store.open(config.database) as store:
                store.sync_feeds(config.feeds)
                enabled = store.feed_health()["enabled"]
        except Exception as exc:  # a bad edit must not take the service down
            log.error("reload failed, keeping the previous configuration: %s", exc)
            return
        with self._lock:
            self._retired.append(self.runtime)
            self.config, self.runtime, self.targets = config, runtime, targets
            self._enabled_feeds = enabled
        log.info("configuration reloaded: %d feeds enabled, %d topics, %d alert targets",
                 enabled, len(config.topics), len(targets))

    # --- lifecycle ------------------------------------------------------------------

    def run(self) -> int:
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        scheduler.add_listener(self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        now = utcnow()
        scheduler.add_job(self._tracked(self.poll_job), "interval", seconds=POLL_TICK_SECONDS, id="poll",
                          next_run_time=now)
        scheduler.add_job(self._tracked(self.send_job), "interval", seconds=SEND_TICK_SECONDS, id="send",
                          next_run_time=now)
        scheduler.add_job(self._tracked(self.index_job), "interval", seconds=POLL_TICK_SECONDS, id="index",
                          next_run_time=now)
        scheduler.add_job(self._tracked(self.retention_job), "interval", hours=RETENTION_TICK_HOURS,
                          id="retention", next_run_time=now)
        watchdog = systemd.watchdog_interval() or 30
        scheduler.add_job(self.heartbeat_job, "interval", seconds=min(watchdog, 30), id="heartbeat",
                          next_run_time=now)
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        with Store.open(self.config.database) as store:
            store.set_meta("daemon_pid", str(os.getpid()))
            store.set_meta("daemon_started_at", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        metrics = self._start_metrics(now)
        scheduler.start()
        systemd.notify("READY=1")
        log.info("monitor running: %d feeds enabled, %d topics, alerts to %s (pid %d)",
                 self._enabled_feeds, len(self.config.topics),
                 ", ".join(t.label for t in self.targets), os.getpid())
        while not self.stopping.wait(0.5):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                systemd.notify("RELOADING=1")
                self.reload()
                systemd.notify("READY=1")
        systemd.notify("STOPPING=1")
        log.info("stopping: finishing the jobs in flight")
        scheduler.shutdown(wait=False)
        if metrics is not None:
            metrics.close()
        finished = self._wait_idle(STOP_GRACE_SECONDS)
        with Store.open(self.config.database) as store:
            released = store.release_claims(claim_owner())
            store.set_meta("daemon_pid", None)
        if not finished:
            # A fetch or send hangs on a remote server: leave it. What it had claimed
            # is handed back above and redone by the next start.
            log.warning("stopped with a job still running after %.0fs (%d alert(s) handed back)",
                        STOP_GRACE_SECONDS, released)
            logging.shutdown()
            os._exit(0)
        for runtime in [*self._retired, self.runtime]:
            runtime.close()
        log.info("stopped")
        return 0

    def _start_metrics(self, started_at) -> MetricsServer | None:
        """/metrics and /healthz on [monitor] metrics_listen (read at start; a reload keeps it)."""
        if self.config.metrics_listen is None:
            return None
        host, port = self.config.metrics_listen
        try:
            server = MetricsServer(host, port, self.config.database, self.config, started_at).start()
        except OSError as exc:  # the port is taken: the monitor itself still runs
            log.error("metrics: cannot listen on %s:%d: %s", host, port, exc.strerror or exc)
            return None
        log.info("metrics: serving /metrics and /healthz on http://%s:%d", host, server.port)
        return server

    def _wait_idle(self, seconds: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout=seconds)

    def _on_job_event(self, event) -> None:
        if event.code == EVENT_JOB_ERROR:
            log.error("job %s failed: %s", event.job_id, event.exception, exc_info=event.exception)
            kind = "job_errors"
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            # The previous run is still going; it (or the next) takes up all that is due.
            log.debug("job %s still running at its next tick; that tick is folded into it", event.job_id)
            kind = "job_busy"
        else:
            log.warning("job %s missed its run time", event.job_id)
            kind = "job_missed"
        try:
            with Store.open(self.config.database) as store:
                store.bump_meta(f"{kind}.{event.job_id}")
        except Exception:
            log.exception("could not record the job error")
