"""`monitor feeds`: the feed list with health; add, remove, OPML import/export."""
from __future__ import annotations

import re

import click

from monitor.cli import cli
from monitor.cli.common import App, emit_json, json_option, pass_app, print_table


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def feeds(ctx: click.Context, as_json: bool) -> None:
    """Feeds with their health: last success, errors, next check.

    \b
    Examples:
      monitor feeds                       # the list
      monitor feeds add https://example.org/rss --name Example
      monitor feeds import subscriptions.opml
      monitor feeds export > feeds.opml
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    store = app.store
    store.sync_feeds(app.config.feeds)
    rows = store.list_feeds()
    if as_json:
        for row in rows:
            emit_json(row)
        return
    for row in rows:
        row["label"] = row["name"] or row["title"] or row["url"]
        if not row["enabled"]:
            row["health"] = "disabled"
        elif row["gone"]:
            row["health"] = "gone (410)"
        elif row["error_count"]:
            row["health"] = f"{row['error_count']} errors: {row['last_error']}"
        elif row["last_success_at"]:
            row["health"] = "ok"
        else:
            row["health"] = "not polled yet"
    print_table(rows, [("id", "ID", 5), ("label", "FEED", 30), ("last_success_at", "LAST SUCCESS", 20),
                       ("next_check_at", "NEXT CHECK", 20), ("items_seen", "ITEMS", 6), ("health", "HEALTH", 60)])


def _check_url(url: str) -> str:
    if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
        raise click.ClickException(f"{url!r} is not an http(s) URL")
    return url


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A short name shown in lists and alerts.")
@pass_app
def feeds_add(app: App, url: str, name: str | None) -> None:
    """Add a feed (kept in the database, beside the configured ones)."""
    feed_id = app.store.add_feed(_check_url(url.strip()), name)
    click.echo(f"Feed {feed_id} added: {url}")


@feeds.command("remove")
@click.argument("feed", metavar="ID|URL")
@pass_app
def feeds_remove(app: App, feed: str) -> None:
    """Stop polling a feed. Items already stored are kept."""
    row = app.store.find_feed(feed)
    if row is None:
        raise click.ClickException(f"no feed {feed!r} (see `monitor feeds`)")
    app.store.remove_feed(row["id"])
    note = " (it is still in the configuration file; remove it there too)" if row["origin"] == "config" else ""
    click.echo(f"Feed {row['id']} removed: {row['url']}{note}")


@feeds.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_app
def feeds_import(app: App, path: str) -> None:
    """Add every feed of an OPML file."""
    from monitor.cli.opml import OpmlError, read_opml

    with open(path, "rb") as handle:
        data = handle.read()
    try:
        entries = read_opml(data)
    except OpmlError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    added = skipped = 0
    for url, title in entries:
        if not re.match(r"^https?://", url, re.IGNORECASE):
            skipped += 1
            continue
        app.store.add_feed(url, title, origin="opml")
        added += 1
    click.echo(f"Imported {added} feeds from {path}" + (f"; skipped {skipped} that are not http(s)" if skipped else ""))


@feeds.command("export")
@pass_app
def feeds_export(app: App) -> None:
    """Print the enabled feeds as OPML."""
    from monitor.cli.opml import write_opml

    app.store.sync_feeds(app.config.feeds)
    click.echo(write_opml([f for f in app.store.list_feeds() if f["enabled"]]), nl=False)
