"""`monitor alerts`: the outbox, retries, and a test message to every target."""
from __future__ import annotations

import click

from monitor.cli import cli
from monitor.cli.common import App, emit_json, json_option, pass_app, print_table

STATUSES = ["pending", "sent", "failed", "expired"]


@cli.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), help="Only alerts in this state.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@json_option
@click.pass_context
def alerts(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """The alert outbox, newest first, with each target's result.

    \b
    Status: pending (not tried yet), failed (retrying with back-off),
            sent (every target has it), expired (gave up; see last error).
    Examples:
      monitor alerts --status failed
      monitor alerts retry --failed
      monitor alerts test
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    rows = app.store.list_alerts(status=status, limit=limit)
    if as_json:
        for row in rows:
            emit_json(row)
        return
    for row in rows:
        row["target_text"] = ", ".join(
            f"{t['label']}={t['status']}" + (f" ({t['last_error']})" if t["status"] != "sent" and t["last_error"] else "")
            for t in row["targets"]) or "-"
        row["next"] = row["next_attempt_at"] if row["status"] in ("pending", "failed") else ""
    print_table(rows, [("id", "ID", 5), ("created_at", "CREATED", 20), ("kind", "KIND", 6),
                       ("status", "STATUS", 7), ("attempts", "TRIES", 5), ("next", "NEXT TRY", 20),
                       ("title", "TITLE", 50), ("target_text", "TARGETS", 60)])


@alerts.command("retry")
@click.argument("alert_id", type=int, required=False, metavar="[ID]")
@click.option("--failed", "all_failed", is_flag=True, help="Every failed or expired alert.")
@pass_app
def alerts_retry(app: App, alert_id: int | None, all_failed: bool) -> None:
    """Make a failed or expired alert due now (the daemon sends it within seconds)."""
    from monitor.store import utcnow

    if (alert_id is None) == (not all_failed):
        raise click.UsageError("give an alert ID or --failed, not both")
    store = app.store
    now = utcnow()
    expiry = now + app.config.alerts.expire_after
    if alert_id is not None:
        alert = store.get_alert(alert_id)
        if alert is None:
            raise click.ClickException(f"no alert with ID {alert_id}")
        if alert["status"] == "sent":
            raise click.ClickException(f"alert {alert_id} was already delivered to every target")
    count = store.retry_alerts(now, alert_id, new_expiry=expiry)
    click.echo(f"{count} alert(s) queued for another try.")


@alerts.command("test")
@pass_app
def alerts_test(app: App) -> None:
    """Send a test message to every configured target now; exit 1 if any fails."""
    from monitor.alert import build_targets
    from monitor.alert_format import format_test_message

    try:
        targets = build_targets(app.config.alerts)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    message = format_test_message()
    failures = 0
    for target in targets:
        error = target.send(message)
        click.echo(f"{target.label}: {'ok' if error is None else 'FAILED: ' + error}")
        failures += error is not None
    if failures:
        raise click.ClickException(f"{failures} of {len(targets)} targets failed")
