"""`monitor demo`."""
from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import cli


@cli.command()
@click.option("--dir", "workdir", default="demo-state", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo's configuration and database go.")
def demo(workdir: str) -> None:
    """See the whole path on bundled sample feeds, without internet.

    Serves sample feeds in English, Arabic, Turkish and Russian on loopback,
    polls them, matches, groups stories and delivers alerts to a local webhook.
    """
    from monitor.demo.run import run_demo
    from monitor.logs import setup_logging

    setup_logging("WARNING")
    try:
        run_demo(Path(workdir).resolve(), click.echo)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
