"""The `monitor` command: a thin layer over the library, one module per command group."""
from __future__ import annotations

import os
import sys

import click

from monitor import __version__
from monitor.cli.common import App, resolve_config_path


class _Commands(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _reader_went_away()


def _reader_went_away():
    """Stdout's reader closed it (`monitor matches | head -1`): stop quietly, as a tool
    killed by SIGPIPE does (exit 141), instead of click's generic exit 1. Stdout is
    pointed at /dev/null first so flushing at exit cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests' runner)
        pass
    sys.exit(141)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Configuration file (default: $MONITOR_CONFIG, else config/monitor.toml).",
)
@click.version_option(__version__, prog_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Watch news feeds for a topic and alert on new developments.

    \b
    Start here:
      monitor demo                 see the whole path on bundled sample feeds
      monitor poll                 poll due feeds once, match, alert, exit
      monitor run                  the daemon (what systemd runs)
      monitor matches              review what matched, newest first
    """
    ctx.obj = App(resolve_config_path(config_path))


def _register() -> None:
    # Each module adds its commands to `cli` when imported.
    import importlib

    for name in ("daemon", "review", "feeds", "alerts", "topic", "demo", "desk"):
        try:
            importlib.import_module(f"monitor.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"monitor.cli.{name}":
                raise


_register()


def main() -> None:
    cli(prog_name="monitor")
