"""Commands for the analyst: matches, stories, show, review, match."""
from __future__ import annotations

import json

import click

from monitor.cli import cli
from monitor.cli.common import App, check_topic, emit_json, json_option, pass_app, print_table
from monitor.durations import parse_duration


def _since(value: str | None):
    if not value:
        return None
    from monitor.store import utcnow

    try:
        return utcnow() - parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


@cli.command()
@click.option("--topic", help="Only this topic.")
@click.option("--since", metavar="DURATION", help="Only matches from the last DURATION, e.g. 1d.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@json_option
@pass_app
def matches(app: App, topic: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """Matched items, newest first.

    \b
    Examples:
      monitor matches --since 1d
      monitor matches --json | jq .title
    """
    check_topic(app.config.topics, topic)
    rows = app.store.list_matches(topic=topic, limit=limit, since=_since(since))
    if as_json:
        for row in rows:
            row["concepts"] = sorted(json.loads(row["concepts"]))
            emit_json(row)
        return
    print_table(rows, [("id", "ID", 6), ("published", "PUBLISHED", 20), ("lang", "LANG", 4),
                       ("score", "SCORE", 6), ("story", "STORY", 5), ("feed", "FEED", 22),
                       ("title", "TITLE", 70)])


@cli.command()
@click.option("--topic", help="Only this topic.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@json_option
@pass_app
def stories(app: App, topic: str | None, limit: int, as_json: bool) -> None:
    """Stories (events), most recently active first, with languages and outlets.

    `monitor show sID` lists a story's items.
    """
    check_topic(app.config.topics, topic)
    rows = app.store.list_stories(topic=topic, limit=limit)
    if as_json:
        for row in rows:
            emit_json(row)
        return
    for row in rows:
        row["langs_text"] = ",".join(row["langs"])
        row["outlet_count"] = len(row["outlets"])
        row["flag"] = "BREAKING" if row["breaking"] else ""
    print_table(rows, [("id", "ID", 5), ("last_seen", "LAST SEEN", 20), ("item_count", "ITEMS", 5),
                       ("outlet_count", "OUTLETS", 7), ("langs_text", "LANGS", 12), ("flag", "", 8),
                       ("title", "TITLE", 70)])


@cli.command()
@click.argument("ident", metavar="ID")
@json_option
@pass_app
def show(app: App, ident: str, as_json: bool) -> None:
    """One item with why it matched, or one story (sID) with its items.

    \b
    Examples:
      monitor show 42        # item 42: text, sources, score and reasons
      monitor show s7        # story 7 and its items
    """
    if ident.lower().startswith("s") and ident[1:].isdigit():
        _show_story(app, int(ident[1:]), as_json)
    elif ident.isdigit():
        _show_item(app, int(ident), as_json)
    else:
        raise click.ClickException(f"{ident!r} is not an item ID (a number) or story ID (s<number>)")


def _show_story(app: App, story_id: int, as_json: bool) -> None:
    story = app.store.get_story(story_id)
    if story is None:
        raise click.ClickException(f"no story with ID {story_id}")
    if as_json:
        emit_json(story)
        return
    click.echo(f"Story {story['id']} [{story['topic']}]: {story['title']}")
    click.echo(f"  first seen {story['first_seen']}, last seen {story['last_seen']}, "
               f"{story['item_count']} items, languages {', '.join(story['langs'])}")
    click.echo(f"  outlets: {', '.join(story['outlets'])}")
    if story["related_to"]:
        click.echo(f"  a new development of story {story['related_to']}")
    for item in story["items"]:
        click.echo(f"  #{item['id']} {item['published'] or item['fetched_at']} [{item['lang']}] "
                   f"{item['feed']}: {item['title']} ({item['relation']})")


def _show_item(app: App, item_id: int, as_json: bool) -> None:
    item = app.store.get_item(item_id)
    if item is None:
        raise click.ClickException(f"no item with ID {item_id}")
    if as_json:
        emit_json(item)
        return
    click.echo(f"Item {item['id']}: {item['title']}")
    click.echo(f"  {item['url'] or '(no link)'}")
    if not item["lang"]:
        from monitor.parse.language import detect_language

        item["lang"] = detect_language(f"{item['title']}\n{item['text']}")
    click.echo(f"  feed {item['feed']}, language {item['lang']}, published {item['published'] or '?'}, "
               f"fetched {item['fetched_at']}")
    if len(item["sources"]) > 1:
        click.echo("  also carried by: " + ", ".join(s["feed"] for s in item["sources"][1:]))
    for match in item["matches"]:
        click.echo(f"  topic {match['topic']}: {'MATCHED' if match['matched'] else 'no match'} "
                   f"score {match['score']:.2f} (threshold {match['threshold']:.2f})"
                   + (f", story s{match['story_id']} ({match['relation']})" if match["story_id"] else "")
                   + (f", reviewed {match['review']}" if match["review"] else ""))
        for reason in match["reasons"]:
            click.echo(f"    - {reason}")
        if match["quiet_reason"]:
            click.echo(f"    no alert: {match['quiet_reason']}")
    if not item["matches"]:
        click.echo("  matched no topic")
        _explain_live(app, item)
    click.echo("")
    click.echo(item["text"])


def _why_not(result) -> str:
    """The verdict of a fresh scoring, in words: an item matches only when a rule holds
    and the score reaches the threshold, so either may be the reason it did not."""
    figures = f"score {result.score:.2f}, threshold {result.threshold:.2f}"
    if result.matched:  # the topic changed since the item was stored
        return f"matches now ({figures}); it did not when stored"
    if result.score < result.threshold:
        return f"no match: score {result.score:.2f} below threshold {result.threshold:.2f}"
    return f"no match: no rule holds ({figures})"


def _explain_live(app: App, item: dict) -> None:
    """Why an unmatched item did not match: scored again now, nothing stored."""
    from monitor.topic.context import MatchContext
    from monitor.topic.match import match_item

    implies = app.config.feed_implies()
    context = MatchContext(feed=item["feed"] or "", implies=implies.get(item["feed"] or "") or ())
    for topic in app_topics(app):
        result = match_item(topic, item["title"], item["text"], item["lang"], context)
        click.echo(f"  topic {topic.name}: {_why_not(result)}")
        for reason in result.reasons:
            click.echo(f"    - {reason}")


@cli.command()
@click.argument("item_id", type=int, metavar="ID")
@click.argument("verdict", type=click.Choice(["relevant", "irrelevant"]))
@click.option("--topic", help="Topic the verdict is for (default: the item's matched topic, else the only one).")
@pass_app
def review(app: App, item_id: int, verdict: str, topic: str | None) -> None:
    """Mark item ID relevant or irrelevant to a topic.

    Reviews feed `monitor topic eval --reviewed` and `monitor topic suggest`.

    \b
    Example:
      monitor review 42 irrelevant
    """
    from monitor.store import utcnow

    store = app.store
    item = store.get_item(item_id)
    if item is None:
        raise click.ClickException(f"no item with ID {item_id}")
    check_topic(app.config.topics, topic)
    if topic is None:
        topics = [m["topic"] for m in item["matches"]] or [t.name for t in app.config.topics]
        if len(topics) != 1:
            raise click.ClickException(f"item {item_id} concerns several topics; name one with --topic ({', '.join(topics)})")
        topic = topics[0]
    store.save_review(item_id, topic, verdict, utcnow())
    click.echo(f"Item {item_id} marked {verdict} for topic {topic}.")


@cli.command("match")
@click.argument("path", default="-", metavar="[FILE]")
@click.option("--detect-all", is_flag=True,
              help="Detect the language of every item without a `lang` (langdetect: about 10x the time of matching).")
@pass_app
def match_command(app: App, path: str, detect_all: bool) -> None:
    """Score JSON lines from FILE (or stdin) without storing anything.

    FILE is JSON lines, plain or compressed (.xz, .gz). Each input line is an object
    with `id`, `title`, `summary` and optional `url`,
    `published`, `lang`, `feed` (a configured feed's name or URL: the parties it
    implies count). Each output line holds `id`, `matched`, `topic`, `score`,
    `threshold`, `lang`, `concepts`, `reasons` and `story`: the story the item joins,
    taking the input in order as if it arrived so.

    `lang` is the input's; without one it is detected only where it is needed — for a
    matched item, or where a rule asks which party the language implies — and is null
    otherwise (use --detect-all to detect it for every item).

    \b
    Examples:
      monitor match ../shared/eval/dev.jsonl | jq 'select(.matched)'
      monitor match ../shared/eval/wild/tr_news_tweets_clickbaittr.jsonl.xz | jq -c 'select(.matched) | .reasons'
    """
    from monitor.cli.topic import iter_jsonl
    from monitor.story.offline import OfflineMatcher

    matcher = OfflineMatcher.from_topics(app_topics(app), app.config.feed_implies(), detect_all)
    for row in iter_jsonl(path):
        for result in matcher.score(row):
            emit_json(result)


def app_topics(app: App):
    """The configured topics, loaded for scoring."""
    from monitor.topic.match import load_topic

    return [load_topic(t.name, t.lexicon, t.seeds, t.threshold) for t in app.config.topics]
