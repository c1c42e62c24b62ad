"""`monitor alerts`: the outbox, retries, and a test message to every target."""
from __future__ import annotations

import click

from monitor.cli import cli
from monitor.cli.common import App, counted, emit_json, json_option, pass_app

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
            sent (every target has it, or holds it for a digest),
            expired (gave up; see last error).
    Each target shows its own state, tries, next try and last error.
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
    if not rows:
        click.echo("(none)")
        return
    for row in rows:
        waiting = row["status"] in ("pending", "failed")
        timing = f", next try {row['next_attempt_at']} · expires {row['expires_at']}" if waiting else ""
        click.echo(f"#{row['id']} {row['status']} {row['kind']} · created {row['created_at']} · "
                   f"{counted(row['attempts'], 'round')}{timing}")
        click.echo(f"    {_one_line(row['title'], 100)}")
        for target in row["targets"]:
            click.echo("    -> " + _target_line(target))
        if not row["targets"] and row["status"] != "sent":
            click.echo("    -> not tried yet")


def _target_line(target: dict) -> str:
    status = target["status"]
    if status == "digested" and target.get("digest_id"):
        status = f"in digest #{target['digest_id']}"
    elif status == "held":
        status = "held for the next digest (hourly cap)"
    text = f"{target['label']}: {status}, {target['attempts']} tr{'y' if target['attempts'] == 1 else 'ies'}"
    if target["status"] == "sent":
        text += f", sent {target['sent_at']}"
    elif target["status"] == "failed" and target["next_attempt_at"]:
        text += f", next try {target['next_attempt_at']}"
    if target["last_error"] and target["status"] != "sent":
        text += f", last error: {_one_line(target['last_error'], 160)}"
    return text


def _one_line(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@alerts.command("retry")
@click.argument("alert_id", type=int, required=False, metavar="[ID]")
@click.option("--failed", "all_failed", is_flag=True, help="Every failed or expired alert, and those waiting on a failed target.")
@pass_app
def alerts_retry(app: App, alert_id: int | None, all_failed: bool) -> None:
    """Make a failed or expired alert due now (the daemon sends it within seconds)."""
    from monitor.store import utcnow

    if alert_id is not None and all_failed:
        raise click.UsageError("give an alert ID or --failed, not both")
    if alert_id is None and not all_failed:
        raise click.UsageError("give an alert ID, or --failed for every failed alert")
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
    click.echo(f"{counted(count, 'alert')} queued for another try.")


@alerts.command("test")
@pass_app
def alerts_test(app: App) -> None:
    """Send a test message to every configured target now; exit 1 if any fails."""
    from monitor.alert.targets import build_targets
    from monitor.alert.format import format_test_message

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
