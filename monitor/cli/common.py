"""Things every command shares: the application context, --json, one-line errors."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click

DEFAULT_CONFIG = "config/monitor.toml"


@dataclass
class App:
    """Lazily loaded configuration and database, so `--help` never touches either."""

    config_path: Path
    _config: Any = field(default=None, repr=False)
    _store: Any = field(default=None, repr=False)

    @property
    def config(self):
        if self._config is None:
            from monitor.config import ConfigError, load_config

            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._config

    @property
    def store(self):
        if self._store is None:
            from monitor.store import Store

            self._store = Store.open(self.config.database)
        return self._store

    def close(self) -> None:
        """Close the database, if the command opened it: its write-ahead log is folded
        into the file and removed now, within the command, not left to the next one."""
        if self._store is not None:
            store, self._store = self._store, None
            store.close()


pass_app = click.make_pass_decorator(App)


class BadInput(click.ClickException):
    """Input that cannot be used (a malformed URL...): one line, exit 2 like a usage error."""

    exit_code = 2


def check_topic(topics, name: str | None) -> list:
    """The configured topics `name` picks (all of them when None), from `topics` (the
    configuration's [[topic]] entries). Raises click.ClickException (exit 1) naming the
    configured ones when no topic has that name: every command taking --topic checks
    it here, so an unknown name is never an empty listing."""
    chosen = [t for t in topics if name in (None, t.name)]
    if name is not None and not chosen:
        names = ", ".join(t.name for t in topics) or "none"
        raise click.ClickException(f"no topic named {name!r} (configured: {names})")
    return chosen


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """"1 alert", "2 alerts", "0 alerts": `number` with `noun` in the right number."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def resolve_config_path(option: str | None) -> Path:
    return Path(option or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def json_option(func: Callable) -> Callable:
    return click.option(
        "--json", "as_json", is_flag=True, help="One JSON object a line, for scripts."
    )(func)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def print_table(rows: list[dict], columns: list[tuple[str, str, int]]) -> None:
    """Print `rows` under headers; columns are (key, header, max width)."""
    if not rows:
        click.echo("(none)")
        return
    widths = []
    for key, header, limit in columns:
        longest = max([len(header)] + [len(_cell(r.get(key))) for r in rows])
        widths.append(min(longest, limit))
    click.echo("  ".join(h.ljust(w) for (_, h, _), w in zip(columns, widths)).rstrip())
    for row in rows:
        cells = []
        for (key, _, _), width in zip(columns, widths):
            text = _cell(row.get(key))
            if len(text) > width:
                text = text[: max(width - 1, 0)] + "…"
            cells.append(text.ljust(width))
        click.echo("  ".join(cells).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return " ".join(str(value).split())
