"""The `monitor` command: a thin layer over the library, one module per command group."""
from __future__ import annotations

import atexit
import logging
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
    ctx.call_on_close(ctx.obj.close)


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
    """The `monitor` program (console script and `python -m monitor`).

    When the command is done, its output flushed and every exit handler run, the process
    ends without Python's interpreter teardown, which frees every object one by one: on
    a cold poll of 50,000 items that took 0.17 s after the work was over. Library code
    and tests call `cli` instead and are not affected.
    """
    atexit.register(_end_without_teardown)  # runs after every handler registered later
    try:
        cli(prog_name="monitor")
    except SystemExit as exc:
        code = exc.code
        # As the interpreter reports it: None is 0, a message is printed and exits 1.
        _exit_status[0] = 0 if code is None else code if isinstance(code, int) else 1
        raise
    except KeyboardInterrupt:
        raise  # the interpreter ends the process by SIGINT, as a shell expects
    except BaseException:
        _exit_status[0] = 1  # the traceback is printed before the exit handlers run
        raise


_exit_status: list[int | None] = [None]


def _end_without_teardown() -> None:
    code = _exit_status[0]
    if code is None or sys.gettrace() is not None or "coverage" in sys.modules:
        return  # a tracer or coverage measurement still has work to do at exit
    # Handlers registered before ours would run after it: the one there is, logging's.
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code & 0xFF)
