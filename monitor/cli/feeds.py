"""`monitor feeds`: the feed list with health; add, remove, OPML import/export."""
from __future__ import annotations

import click

from monitor.cli import cli
from monitor.cli.common import App, BadInput, counted, emit_json, json_option, pass_app, print_table


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
            row["health"] = f"{counted(row['error_count'], 'error')}: {row['last_error']}"
        elif row["last_success_at"]:
            row["health"] = "ok"
        else:
            row["health"] = "not polled yet"
    print_table(rows, [("id", "ID", 5), ("label", "FEED", 30), ("last_success_at", "LAST SUCCESS", 20),
                       ("next_check_at", "NEXT CHECK", 20), ("items_seen", "ITEMS", 6), ("health", "HEALTH", 60)])


def check_feed_url(url: str) -> str:
    """`url` if it is an http(s) URL a fetch could reach: a host that is an IP address or
    a valid internationalised domain name (IDNA 2008: no spaces, no label starting or
    ending with a hyphen), a port from 1 to 65535. Raises ValueError with a one-line
    reason otherwise."""
    import ipaddress
    from urllib.parse import urlsplit

    import idna

    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError out of range
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"{url!r} is not an http(s) URL")
    host = parts.hostname
    if not host:
        raise ValueError(f"{url!r} names no host")
    if port == 0:
        raise ValueError(f"{url!r}: port 0 is not a port")
    try:
        ipaddress.ip_address(host)
        return url
    except ValueError:
        pass
    try:
        idna.encode(host.rstrip("."), uts46=True)
    except idna.IDNAError as exc:
        raise ValueError(f"{url!r}: {host!r} is not a valid host name ({exc})") from None
    return url


def _check_url(url: str) -> str:
    try:
        return check_feed_url(url)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A short name shown in lists and alerts.")
@pass_app
def feeds_add(app: App, url: str, name: str | None) -> None:
    """Add a feed (kept in the database, beside the configured ones).

    A malformed URL (bad host, port out of range) is refused with exit 2;
    a URL already in the list is left as it is (exit 0).

    \b
    Examples:
      monitor feeds add https://example.org/rss --name Example
      monitor feeds add https://www.aa.com.tr/tr/rss/default?cat=guncel
    """
    url = _check_url(url.strip())
    store = app.store
    store.sync_feeds(app.config.feeds)
    existing = store.find_feed(url)
    if existing is not None and existing["enabled"] and existing["origin"] != "removed":
        click.echo(f"Feed {existing['id']} already present: {url}")
        return
    feed_id = store.add_feed(url, name)
    click.echo(f"Feed {feed_id} {'added again' if existing is not None else 'added'}: {url}")


@feeds.command("remove")
@click.argument("feed", metavar="ID|URL")
@pass_app
def feeds_remove(app: App, feed: str) -> None:
    """Stop polling a feed. Items already stored are kept.

    A feed named in the configuration file stays removed too (not listed,
    counted or polled) until `monitor feeds add URL` brings it back.

    \b
    Examples:
      monitor feeds remove 3
      monitor feeds remove https://example.org/rss
    """
    row = app.store.find_feed(feed)
    if row is None:
        raise click.ClickException(f"no feed {feed!r} (see `monitor feeds`)")
    app.store.remove_feed(row["id"])
    note = (" (it is still in the configuration file: not polled until `monitor feeds add URL`; "
            "remove it there too)") if row["origin"] == "config" else ""
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
        try:
            check_feed_url(url)
        except ValueError:
            skipped += 1
            continue
        app.store.add_feed(url, title, origin="opml")
        added += 1
    click.echo(f"Imported {counted(added, 'feed')} from {path}" + (f"; skipped {skipped} that are not valid http(s) URLs" if skipped else ""))


@feeds.command("export")
@pass_app
def feeds_export(app: App) -> None:
    """Print the enabled feeds as OPML."""
    from monitor.cli.opml import write_opml

    app.store.sync_feeds(app.config.feeds)
    click.echo(write_opml([f for f in app.store.list_feeds() if f["enabled"]]), nl=False)
