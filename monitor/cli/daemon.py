"""Commands that run the monitor: run, poll, status."""
from __future__ import annotations

import logging
import sys

import click

from monitor.cli import cli
from monitor.cli.common import App, counted, emit_json, json_option, pass_app


@cli.command()
@pass_app
def run(app: App) -> None:
    """Run the daemon in the foreground (what systemd starts).

    Polls due feeds every 30 seconds, sends queued alerts every 10 seconds.
    SIGTERM stops within seconds (the send in flight is finished or handed
    back); SIGHUP reloads the configuration. Under systemd (Type=notify) it
    reports readiness and pings the watchdog.

    \b
    Example:
      monitor --config /etc/feed-monitor/monitor.toml run
    """
    from monitor.daemon import Daemon
    from monitor.logs import setup_logging

    config = app.config
    setup_logging(config.log_level)
    try:
        daemon = Daemon(app.config_path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(daemon.run())


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Poll every enabled feed, ignoring schedules.")
@click.option("--no-send", is_flag=True, help="Queue alerts but do not send them now.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines, only the summary.")
@json_option
@pass_app
def poll(app: App, everything: bool, no_send: bool, quiet: bool, as_json: bool) -> None:
    """Poll due feeds once, store and match new items, send alerts, exit.

    On a new database every feed is due. A feed that fails is recorded
    (see `monitor feeds`) and the poll goes on; the exit code is 0 unless the
    configuration or database is unusable.

    \b
    Examples:
      monitor poll            # what is due now
      monitor poll --all      # every feed, now
    """
    from monitor.alert.sender import send_due_alerts
    from monitor.alert.targets import build_targets
    from monitor.cli.progress import PollProgress
    from monitor.logs import setup_logging
    from monitor.pipeline import build_runtime, poll_once

    config = app.config
    setup_logging("WARNING" if quiet or as_json else config.log_level)
    if not (quiet or as_json):
        # The progress lines already name each failing feed and its error; the level
        # is put back when the command ends (a process may run several commands).
        poll_log = logging.getLogger("monitor.poll")
        click.get_current_context().call_on_close(lambda level=poll_log.level: poll_log.setLevel(level))
        poll_log.setLevel(logging.ERROR)
    try:
        targets = build_targets(config.alerts)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    store = app.store
    store.sync_feeds(config.feeds)
    runtime = build_runtime(config)

    # One line updated in place on a terminal, one a second otherwise; failing feeds named.
    progress = None if quiet or as_json else PollProgress(click.get_text_stream("stderr"))
    try:
        report = poll_once(store, runtime, everything=everything, progress=progress)
    finally:
        if progress is not None:
            progress.close()
        runtime.close()
    sent = None
    if not no_send:
        sent = send_due_alerts(store, targets, config.alerts)
    summary = {
        "feeds": report.feeds, "failed": report.failed, "not_modified": report.not_modified,
        "entries": report.entries, "new_items": report.new_items, "matched": report.matched,
        "alerts_queued": report.alerts, "seconds": report.seconds,
        "alerts_sent": sent.sent if sent else 0, "alerts_failed": sent.failed if sent else 0,
    }
    if as_json:
        emit_json(summary)
    else:
        click.echo(
            f"Polled {counted(report.feeds, 'feed')} in {report.seconds:.1f}s: "
            f"{counted(report.new_items, 'new item')}, {report.matched} matched, "
            f"{counted(report.alerts, 'alert')} queued"
            + (f", {sent.sent} sent, {sent.failed} failed" if sent else "")
            + (f"; {counted(report.failed, 'feed')} failed (see `monitor feeds`)" if report.failed else "")
        )
    # The search index is not brought up to date here: on a cold poll of 50,000 items it
    # would double the command's time. `monitor search` and `monitor web` index what is
    # pending before they read, and the daemon's index job does it between polls.


@cli.command()
@json_option
@pass_app
def status(app: App, as_json: bool) -> None:
    """Health at a glance: daemon, last poll, feeds, alerts, errors."""
    from monitor.store import parse_iso, utcnow

    store = app.store
    heartbeat = store.get_meta("daemon_heartbeat")
    pid = store.get_meta("daemon_pid")
    beat = parse_iso(heartbeat)
    running = bool(pid) and beat is not None and (utcnow() - beat).total_seconds() < 120
    errors = {r["key"]: int(r["value"]) for r in store.query(
        "SELECT key, value FROM meta WHERE key LIKE 'job_errors.%' OR key LIKE 'job_missed.%' "
        "OR key LIKE 'job_busy.%'")}
    failing = store.failing_feeds(10)
    configured = {f.url for f in app.config.feeds}
    removed = [{"id": r["id"], "url": r["url"]} for r in store.removed_feeds()
               if configured & {r["url"], r["moved_from"]}]
    from monitor.alert.targets import build_targets

    try:  # status stays lenient (it is how one finds out), but says what poll and run refuse
        build_targets(app.config.alerts)
        alert_urls_error = None
    except ValueError as exc:
        alert_urls_error = str(exc)
    info = {
        "daemon": "running" if running else "not running",
        "daemon_pid": int(pid) if pid else None,
        "heartbeat": heartbeat,
        "last_poll": store.get_meta("last_poll_at"),
        "last_poll_summary": store.get_meta("last_poll_summary"),
        "feeds": store.feed_health(),
        "alerts": store.alert_counts(),
        "alert_problems": store.alert_problems(),
        "counts": store.item_counts(),
        "job_errors": errors,
        "failing_feeds": failing,
        "alert_urls_error": alert_urls_error,
        "removed_configured_feeds": removed,
        "database": str(store.path),
    }
    if as_json:
        emit_json(info)
        return
    click.echo(f"Daemon:    {info['daemon']}" + (f" (pid {pid}, heartbeat {heartbeat})" if running else ""))
    click.echo(f"Last poll: {info['last_poll'] or 'never'}" + (f" — {info['last_poll_summary']}" if info["last_poll_summary"] else ""))
    f = info["feeds"]
    click.echo(f"Feeds:     {f['enabled']} enabled, {f['failing']} failing, {f['gone']} gone")
    for row in removed:
        click.echo(f"  removed feed {row['id']} {row['url']}: still in the configuration file, not polled "
                   "(`monitor feeds add URL` brings it back)")
    if alert_urls_error:
        click.echo(f"Alert URLs: {alert_urls_error} (`monitor poll` and `monitor run` refuse to start)")
    a = info["alerts"]
    click.echo(f"Alerts:    {a['pending']} pending, {a['failed']} failed (retrying), {a['sent']} sent, "
               f"{a['expired']} expired, {a['held']} held for digests")
    for row in info["alert_problems"]:
        state = f"next try {row['next_attempt_at']}" if row["status"] == "failed" else "EXPIRED, not delivered"
        click.echo(f"  alert {row['id']} {row['status']} after {counted(row['attempts'], 'round')}, {state}: "
                   f"{' '.join((row['last_error'] or '').split())[:160]}")
    c = info["counts"]
    click.echo(f"Stored:    {c['items']} items, {c['matches']} matches, {c['stories']} stories")
    if errors:
        click.echo("Job errors: " + ", ".join(f"{k.split('.', 1)[1]} {k.split('.')[0].replace('job_', '')} x{v}"
                                              for k, v in sorted(errors.items())))
    for row in failing:
        click.echo(f"  failing feed {row['id']} {row['feed']}: {counted(row['error_count'], 'error')}, last: {row['last_error']}, next try {row['next_check_at']}")
    click.echo(f"Database:  {info['database']}")
