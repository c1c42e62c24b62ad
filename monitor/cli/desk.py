"""The analyst's desk from the command line: metrics, search, backtest, triage, web."""
from __future__ import annotations

import click

from monitor.cli import cli
from monitor.cli.common import App, pass_app


@cli.command()
@pass_app
def metrics(app: App) -> None:
    """Print the monitor's metrics in the Prometheus text format.

    Polls, feeds by state, failing feeds by error kind, items, matches and
    stories by topic, alerts by status, the last poll time and the alert
    send latency, read from the database. The daemon serves the same on
    /metrics when `[monitor] metrics_listen` is set, with /healthz beside it.

    \b
    Examples:
      monitor metrics
      monitor metrics | grep '^monitor_alerts'
      curl -s http://127.0.0.1:9464/metrics     # from the running daemon
    """
    from monitor.desk.metrics import metrics_text
    from monitor.store import StoreError

    try:
        click.echo(metrics_text(app.config.database, app.config).decode(), nl=False)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
