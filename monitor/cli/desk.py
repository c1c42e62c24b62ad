"""The analyst's desk from the command line: metrics, search, backtest, triage, web."""
from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import cli
from monitor.cli.topic import topic
from monitor.cli.common import App, check_topic, emit_json, json_option, pass_app, print_table


@cli.command()
@json_option
@pass_app
def metrics(app: App, as_json: bool) -> None:
    """Print the monitor's metrics in the Prometheus text format.

    Polls, feeds by state, failing feeds by error kind, items, matches and
    stories by topic, alerts by status, the last poll time and the alert
    send latency, read from the database. The daemon serves the same on
    /metrics when `[monitor] metrics_listen` is set, with /healthz beside it.

    \b
    Examples:
      monitor metrics
      monitor metrics | grep '^monitor_alerts'
      monitor metrics --json | jq 'select(.name == "monitor_feeds")'
      curl -s http://127.0.0.1:9464/metrics     # from the running daemon
    """
    from monitor.desk.metrics import metrics_text
    from monitor.store import StoreError

    try:
        text = metrics_text(app.config.database, app.config).decode()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    if not as_json:
        click.echo(text, nl=False)
        return
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            emit_json({"name": sample.name, "labels": sample.labels, "value": sample.value})


def _since(value: str | None):
    from monitor.cli.review import _since as since

    return since(value)


@cli.command()
@click.argument("query")
@click.option("--topic", help="Only items matched to this topic.")
@click.option("--since", metavar="DURATION", help="Only items fetched in the last DURATION, e.g. 7d.")
@click.option("--matched", is_flag=True, help="Only items that matched a topic.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@json_option
@pass_app
def search(app: App, query: str, topic: str | None, since: str | None, matched: bool, limit: int,
           as_json: bool) -> None:
    """Full-text search over every stored item, matched or not, best first.

    Every word must occur in the title or text. Words are compared the way
    the matcher compares them: case, accents, Arabic letter forms and attached
    و ب ل ال, Russian case endings, Turkish suffixes and every spelling of
    S-400 do not matter. A trailing * matches any ending.

    \b
    Examples:
      monitor search "S-400 Turkey"
      monitor search 'اس 400'              # finds إس-400 and إس 400
      monitor search 'санкци*' --since 30d --matched
      monitor search caatsa --json | jq .id
    """
    store = app.store
    try:
        check_topic(app.config.topics, topic)
        rows = store.search_items(query, topic=topic, since=_since(since), matched=matched, limit=limit)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        for row in rows:
            emit_json(row)
        return
    for row in rows:
        row["match"] = f"{row['topic']} {row['score']:.1f}" if row["matched"] else "-"
        row["when"] = row["published"] or row["fetched_at"]
    print_table(rows, [("id", "ID", 6), ("when", "PUBLISHED", 20), ("lang", "LANG", 4), ("match", "MATCHED", 14),
                       ("story", "STORY", 5), ("feed", "FEED", 20), ("title", "TITLE", 70)])


@topic.command("backtest")
@click.option("--since", default="30d", show_default=True, metavar="DURATION",
              help="Score the items fetched in the last DURATION.")
@click.option("--topic", "topic_name", help="Only this configured topic.")
@click.option("--lexicon", "lexicon_path", metavar="PATH",
              help="Try this lexicon file instead of the configured one (not with --apply).")
@click.option("--apply", "apply_changes", is_flag=True,
              help="Record the new matches and file them into stories, without any alert.")
@json_option
@pass_app
def topic_backtest(app: App, since: str, topic_name: str | None, lexicon_path: str | None,
                   apply_changes: bool, as_json: bool) -> None:
    """Score stored items again with the current lexicon: what would match now, what no longer.

    Every item fetched in the period is scored (unmatched items are kept for
    [monitor] retention, so that is how far back this can look). Each change
    is listed with the matcher's reasons: `new` matches now and did not,
    `dropped` matched and would not now. --apply records the new matches and
    their stories as a poll would, but queues no alert; dropped matches are
    only listed. The counts go to stderr.

    \b
    Examples:
      monitor topic backtest                       # last 30 days, configured lexicon
      monitor topic backtest --lexicon draft.toml  # try an edit before saving it
      monitor topic backtest --since 7d --json | jq 'select(.change == "new")'
      monitor topic backtest --apply               # record what the new lexicon catches
    """
    from monitor.desk.backtest import apply_new, backtest, change_json

    if apply_changes and lexicon_path:
        raise click.UsageError("--apply records what the configured lexicon matches; edit the "
                               "configuration (or the lexicon file) instead of passing --lexicon")
    start = _since(since)
    topics = _backtest_topics(app, topic_name, lexicon_path)
    store = app.store
    report = backtest(store, topics, start)
    if apply_changes:
        apply_new(store, app.config, topics, report)
    if as_json:
        for change in report.changes:
            emit_json(change_json(change))
    else:
        rows = [{**change_json(c), "then": c.score_then, "now": c.score_now} for c in report.changes]
        print_table(rows, [("change", "CHANGE", 7), ("item_id", "ID", 6), ("fetched_at", "FETCHED", 20),
                           ("lang", "LANG", 4), ("then", "THEN", 5), ("now", "NOW", 5), ("story", "STORY", 5),
                           ("title", "TITLE", 60)])
        for change in report.changes:
            why = [r for r in change.reasons if r.startswith(("rule ", "no rule", "score "))]
            click.echo(f"  #{change.item_id} {change.change}: " + "; ".join(why))
    counts = report.counts()
    click.echo(f"Scored {counts['items']} items fetched since {counts['since']}: {counts['new']} new, "
               f"{counts['dropped']} dropped, {counts['still_matched']} still matched"
               + ("; new matches recorded without alerts" if apply_changes and counts["new"] else ""), err=True)


def _backtest_topics(app: App, topic_name: str | None, lexicon_path: str | None):
    from monitor.cli.topic import TopicSource, load_source

    configured = check_topic(app.config.topics, topic_name)
    if lexicon_path and len(configured) > 1:
        raise click.UsageError("--lexicon needs --topic when several topics are configured")
    if lexicon_path and not Path(lexicon_path).is_file():
        raise click.ClickException(f"lexicon {lexicon_path} does not exist")
    return [load_source(TopicSource(t.name, Path(lexicon_path) if lexicon_path else t.lexicon, t.seeds, t.threshold))
            for t in configured]


@cli.command()
@click.option("--topic", help="Only matches of this topic.")
@click.option("--bidi/--no-bidi", default=True, show_default=True,
              help="Put right-to-left lines in display order (--no-bidi if the terminal does it).")
@pass_app
def triage(app: App, topic: str | None, bidi: bool) -> None:
    """Review unreviewed matches one by one with single keys.

    Newest story first: headline, outlet, language, score and why, and the
    story's other reports. Each verdict is stored at once, as `monitor review`
    stores it. Works in an 80x24 terminal, over SSH too.

    \b
    Keys:
      r  relevant          i  irrelevant        s  skip (stays unreviewed)
      o  open the link     e  full explanation and text (again: back)
      /  filter by words in headline, outlet, language or topic; Enter applies
      q  quit
    \b
    Examples:
      monitor triage
      monitor triage --topic s400-f35
    """
    import sys

    from monitor.desk.triage import TriageApp

    check_topic(app.config.topics, topic)
    store = app.store
    if not store.triage_queue(topic, limit=1):
        click.echo("Nothing to review: every match has a verdict (see `monitor matches`).")
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.ClickException("monitor triage is interactive and needs a terminal; "
                                   "in scripts use `monitor matches --json` and `monitor review`")
    TriageApp(store, topic=topic, bidi=bidi).run()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The view has no login: keep it on loopback, or put it behind one.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@pass_app
def web(app: App, host: str, port: int) -> None:
    """Browse the database in a web browser (Datasette), read-only.

    Canned queries (latest matches with their stories, a story's reports,
    failing feeds, undelivered alerts, search), facets by topic, language and
    feed, full-text search, JSON and CSV of every view. Needs the optional
    extra: from a clone, pip install '.[web]' (`make install` has it).

    \b
    Examples:
      monitor web                          # then open http://127.0.0.1:8001/monitor
      monitor web --port 9000
      ssh -L 8001:127.0.0.1:8001 server    # from your machine, for a remote monitor
    """
    try:
        from monitor.desk.web import serve
    except ImportError as exc:
        raise click.ClickException(f"`monitor web` needs Datasette ({exc.name} is missing): "
                                   "from a clone, pip install '.[web]'") from None
    database = app.config.database
    if not Path(database).is_file():
        raise click.ClickException(f"database {database} does not exist yet (run `monitor poll` first)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: anyone who reaches it reads the whole database", err=True)
    click.echo(f"Serving {database} read-only on http://{host}:{port}/monitor (Ctrl-C stops)", err=True)
    try:
        serve(database, host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
