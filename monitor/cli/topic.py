"""Topic commands: `monitor topic show|suggest|eval` and `monitor explain`.

The topic comes from the configuration's [[topic]] blocks when the configuration loads;
otherwise (or with --lexicon/--seeds) from a lexicon file and seed articles, by default
config/topics/s400-f35.toml and seeds/*.txt relative to the current directory.
"""
from __future__ import annotations

import glob
import json
import lzma
import sys
from dataclasses import dataclass
from pathlib import Path

from typing import Iterator

import click

from monitor.cli import cli
from monitor.cli.common import App, check_topic, emit_json, json_option, pass_app

DEFAULT_LEXICON = "config/topics/s400-f35.toml"
DEFAULT_SEEDS = "seeds/*.txt"


@dataclass
class TopicSource:
    """Where a topic is read from: a configured [[topic]] or explicit files."""

    name: str | None
    lexicon: Path
    seeds: list[Path]
    threshold: float | None = None


def topic_options(func):
    """--topic, --lexicon, --seeds, --threshold: shared by every topic command."""
    func = click.option("--threshold", type=float, help="Override the lexicon's threshold.")(func)
    func = click.option(
        "--seeds", "seeds_glob", metavar="GLOB",
        help=f"Seed articles (default: the configured topic's, else {DEFAULT_SEEDS}).",
    )(func)
    func = click.option(
        "--lexicon", "lexicon_path", metavar="PATH",
        help=f"Lexicon file (default: the configured topic's, else {DEFAULT_LEXICON}).",
    )(func)
    func = click.option("--topic", "topic_name", help="Topic name, when several are configured.")(func)
    return func


def _configured(app: App) -> list | None:
    """The configured topics, or None when the configuration does not load."""
    try:
        return list(app.config.topics)
    except (click.ClickException, ImportError, OSError, AttributeError) as exc:
        if Path(app.config_path).is_file():
            # A configuration exists but cannot be used: say so, then use the defaults.
            message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            click.echo(f"note: configuration not used ({message}); using the default topic files", err=True)
        return None


def resolve_source(
    app: App, topic_name: str | None, lexicon_path: str | None, seeds_glob: str | None,
    threshold: float | None,
) -> TopicSource:
    configured = None if (lexicon_path or seeds_glob) else _configured(app)
    if configured:
        t = check_topic(configured, topic_name)[0]
        return TopicSource(t.name, Path(t.lexicon), list(t.seeds), threshold if threshold is not None else t.threshold)
    lexicon = Path(lexicon_path or DEFAULT_LEXICON)
    if not lexicon.is_file():
        raise click.ClickException(f"lexicon {lexicon} does not exist (give one with --lexicon PATH)")
    seeds = [Path(p) for p in sorted(glob.glob(seeds_glob or DEFAULT_SEEDS))]
    if seeds_glob and not seeds:
        raise click.ClickException(f"no seed articles match {seeds_glob}")
    return TopicSource(topic_name, lexicon, seeds, threshold)


def load_source(source: TopicSource):
    from monitor.topic.lexicon import LexiconError, load_lexicon
    from monitor.topic.match import load_topic

    try:
        name = source.name or load_lexicon(source.lexicon).name
        return load_topic(name, source.lexicon, source.seeds, source.threshold)
    except LexiconError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {exc.filename}: {exc.strerror}") from None


def reviewed_rows(app: App, topic: str) -> list[dict]:
    """Items an analyst reviewed for `topic`, as labelled rows; none without a store."""
    if _configured(app) is None:
        return []
    # Reading must not create a database as a side effect.
    if not Path(app.config.database).is_file():
        return []
    try:
        return list(app.store.reviewed_items(topic))
    except (click.ClickException, ImportError, AttributeError, OSError):
        return []


def feed_contexts(app: App) -> dict[str, tuple[str, ...]]:
    """Parties each configured feed implies (its `implies` setting), by feed name and
    URL; empty when the configuration does not load."""
    try:
        return app.config.feed_implies()
    except (click.ClickException, ImportError, OSError, AttributeError):
        return {}


def open_lines(path: str):
    """A text handle on a JSON-lines file: stdin for "-", xz- or gzip-compressed by suffix."""
    if path == "-":
        return sys.stdin
    if path.endswith(".xz"):
        return lzma.open(path, "rt", encoding="utf-8")
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def iter_jsonl(path: str) -> Iterator[dict]:
    """Rows of a JSON-lines file (plain, .xz or .gz; "-" is stdin), read as they come.

    Raises click.ClickException with one line naming the file and, for a bad row, its
    line number. Errors of the caller's own work between rows are not caught here."""
    try:
        handle = open_lines(path)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        number = 0
        while True:
            try:
                line = handle.readline()
            except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as exc:  # corrupt, truncated, not UTF-8
                raise click.ClickException(f"cannot read {path}: {exc}") from None
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise click.ClickException(f"{path} line {number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise click.ClickException(f"{path} line {number}: not a JSON object")
            yield row


def _read_jsonl(path: str) -> list[dict]:
    """Every row of a JSON-lines file (see iter_jsonl)."""
    return list(iter_jsonl(path))


def labelled_rows(paths: list[str], labels_path: str | None) -> list[dict]:
    """Rows to evaluate from files or folders of JSON lines, labels joined by `id`.

    A folder stands for its *.jsonl, *.jsonl.xz and *.jsonl.gz files (labels.jsonl
    apart). Labels come from the rows' own `label`, else from `labels_path`, else from
    a labels.jsonl beside the data; a row whose id no label names is "unlabelled",
    counted as off the topic (the wild streams' convention) and listed apart when it
    matches, since it deserves a look before it is called a false alarm.
    """
    files: list[str] = []
    beside: list[Path] = []
    for given in paths:
        path = Path(given)
        if given != "-" and path.is_dir():
            found = sorted(str(p) for pattern in ("*.jsonl", "*.jsonl.xz", "*.jsonl.gz")
                           for p in path.glob(pattern) if p.name != "labels.jsonl")
            if not found:
                raise click.ClickException(f"{given}: no .jsonl, .jsonl.xz or .jsonl.gz files in this folder")
            files += found
            beside.append(path / "labels.jsonl")
        else:
            files.append(given)
            beside.append(path.parent / "labels.jsonl")
    rows = [row for f in files for row in _read_jsonl(f)]
    if labels_path is None and any("label" not in row for row in rows):
        labels_path = next((str(p) for p in beside if p.is_file()), None)
    if labels_path is not None:
        labels: dict[str, dict] = {}
        for row in _read_jsonl(labels_path):
            if "id" not in row or "label" not in row:
                raise click.ClickException(f"{labels_path}: every line needs an id and a label")
            labels[str(row["id"])] = row
        for row in rows:
            if "label" not in row:
                row["label"] = labels.get(str(row.get("id")), {}).get("label", "unlabelled")
    return rows


@cli.group()
def topic() -> None:
    """Inspect and tune a topic: its concepts, missing terms, precision and recall."""


@topic.command("show")
@topic_options
@json_option
@pass_app
def topic_show(app: App, topic_name, lexicon_path, seeds_glob, threshold, as_json: bool) -> None:
    """The topic's rules, concepts and their forms per language.

    \b
    Examples:
      monitor topic show
      monitor topic show --json | jq 'select(.id == "s400")'
    """
    t = load_source(resolve_source(app, topic_name, lexicon_path, seeds_glob, threshold))
    lexicon = t.lexicon
    if as_json:
        for rule in lexicon.rules:
            emit_json({"kind": "rule", "id": rule.id, "when": rule.when, "why": rule.why})
        for c in lexicon.concepts.values():
            forms: dict[str, list] = {}
            for f in c.forms:
                forms.setdefault(f.lang, []).append(f.text if f.weight == 1 else {"form": f.text, "weight": f.weight})
            emit_json({"kind": "concept", "id": c.id, "label": c.label, "weight": c.weight,
                       "groups": list(c.groups), "lookalike": c.lookalike, "forms": forms})
        for ctx in lexicon.contexts:
            names: dict[str, list] = {}
            for f in (ctx.names.forms if ctx.names else ()):
                names.setdefault(f.lang, []).append(f.text)
            emit_json({"kind": "context", "party": ctx.party, "label": ctx.label, "langs": sorted(ctx.langs),
                       "names": names, "unless": list(ctx.unless)})
        emit_json({"kind": "subject", "concepts": sorted(lexicon.subject), "frame": sorted(lexicon.frame),
                   "lead_words": lexicon.lead_words})
        return
    click.echo(f"topic {t.name}: threshold {t.threshold:.2f}, title x{lexicon.title_factor:g}, "
               f"seed similarity x{lexicon.seed_weight:g}, {len(t.seed_vectors)} seed articles")
    click.echo(f"lexicon {lexicon.source}")
    click.echo("\nrules (one must hold):")
    for rule in lexicon.rules:
        click.echo(f"  {rule.id}: {rule.when}")
        if rule.why:
            click.echo(f"      {rule.why}")
    if lexicon.subject:
        click.echo(f"\nsubject: {', '.join(sorted(lexicon.subject))} — named once past the first "
                   f"{lexicon.lead_words} words of the body, with no party in the title or lead "
                   f"({', '.join(sorted(lexicon.frame)) or 'none'}), it is a passing mention")
    if lexicon.contexts:
        click.echo("\nimplied parties (count for the rules as if named):")
        for ctx in lexicon.contexts:
            click.echo(f"  {ctx.party}: in {', '.join(sorted(ctx.langs)) or 'no language'}; "
                       f"unless {', '.join(ctx.unless) or 'never'} is named")
            for lang in (ctx.names.languages() if ctx.names else []):
                click.echo(f"      {lang}: " + " | ".join(f.text for f in ctx.names.forms if f.lang == lang))
    click.echo("\nconcepts:")
    for c in lexicon.concepts.values():
        groups = f" [{', '.join(c.groups)}]" if c.groups else ""
        click.echo(f"  {c.id} ({c.weight:+g}){groups}: {c.label}")
        for lang in c.languages():
            forms = [f.text if f.weight == 1 else f"{f.text} (x{f.weight:g})" for f in c.forms if f.lang == lang]
            click.echo(f"      {lang}: " + " | ".join(forms))


@topic.command("suggest")
@topic_options
@click.option("--from", "from_file", metavar="FILE",
              help="Also labelled JSON lines: rows labelled relevant add texts, the others are background.")
@click.option("--limit", default=40, show_default=True, help="At most this many terms.")
@click.option("--min-docs", default=2, show_default=True, help="A term must occur in this many texts.")
@json_option
@pass_app
def topic_suggest(app: App, topic_name, lexicon_path, seeds_glob, threshold, from_file, limit: int,
                  min_docs: int, as_json: bool) -> None:
    """Frequent terms of the seed articles and of items reviewed relevant that no
    concept covers: candidates for new forms in the lexicon.

    \b
    Examples:
      monitor topic suggest
      monitor topic suggest --from ../shared/eval/dev.jsonl --json
    """
    from monitor.topic.tools import format_suggestions, row_text, suggest_terms, suggestions_json

    source = resolve_source(app, topic_name, lexicon_path, seeds_glob, threshold)
    t = load_source(source)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in source.seeds]
    rows = reviewed_rows(app, t.name) + (_read_jsonl(from_file) if from_file else [])
    background = []
    for row in rows:
        title, text = row_text(row)
        (texts if row.get("label") == "relevant" else background).append(f"{title}\n{text}")
    suggestions = suggest_terms(t, texts, background=background, limit=limit, min_docs=min_docs)
    if as_json:
        for s in suggestions_json(suggestions):
            emit_json(s)
        return
    click.echo(f"{len(texts)} topic texts ({len(source.seeds)} seeds), {len(background)} background texts")
    click.echo(format_suggestions(suggestions))


@topic.command("eval")
@click.argument("files", nargs=-1, metavar="FILE|FOLDER...")
@topic_options
@click.option("--labels", "labels_path", metavar="FILE",
              help="Labels (JSON lines with id and label) for rows without a label "
                   "(default: labels.jsonl beside the data).")
@click.option("--reviewed", is_flag=True, help="Evaluate on the items reviewed with `monitor review`.")
@click.option("--brief", is_flag=True, help="List misses and false alarms without their explanations.")
@json_option
@pass_app
def topic_eval(app: App, files, topic_name, lexicon_path, seeds_glob, threshold, labels_path,
               reviewed: bool, brief: bool, as_json: bool) -> None:
    """Precision and recall per language on labelled JSON lines, with every miss and
    false alarm and its reasons.

    FILE is JSON lines like the dev set (plain, .xz or .gz); a FOLDER stands for its
    JSON-lines files, like ../shared/eval/wild/ with its labels.jsonl. Rows labelled
    "borderline" are left out; "relevant" should match, anything else should not. Rows
    that no label names count as off the topic ("unlabelled"); matches on them are
    listed apart as well as counted.

    \b
    Examples:
      monitor topic eval ../shared/eval/dev.jsonl
      monitor topic eval ../shared/eval/wild/ --brief
      monitor topic eval ../shared/eval/wild/ru_rt_kw.jsonl.xz --labels ../shared/eval/wild/labels.jsonl
      monitor topic eval --reviewed --json
    """
    from monitor.parse.language import detect_language
    from monitor.topic.tools import evaluate, format_report

    if not files and not reviewed:
        raise click.ClickException("give labelled JSON lines (FILE or FOLDER) or --reviewed")
    t = load_source(resolve_source(app, topic_name, lexicon_path, seeds_glob, threshold))
    rows = labelled_rows(list(files), labels_path) if files else []
    if reviewed:
        rows += reviewed_rows(app, t.name)
    report = evaluate(t, rows, feeds=feed_contexts(app), detect=detect_language)
    if as_json:
        emit_json(report.as_dict())
    else:
        click.echo(format_report(report, verbose=not brief))


@cli.command("explain")
@click.argument("text", metavar="TEXT|-")
@click.option("--title", default="", help="A title to score with the text.")
@click.option("--lang", help="Language code (default: detected, only if a rule needs it).")
@click.option("--feed", "feed", metavar="NAME|URL",
              help="Score as an item of this configured feed: the parties it implies count.")
@topic_options
@json_option
@pass_app
def explain_command(app: App, text: str, title: str, lang: str | None, feed: str | None, topic_name,
                    lexicon_path, seeds_glob, threshold, as_json: bool) -> None:
    """Score any TEXT (or stdin with -) against the topic and say why: the concepts
    found, the rule that held, any party implied by the language or the feed and where
    it came from, any subject named only in passing.

    \b
    Examples:
      monitor explain "Turkey tests the S-400 near Sinop"
      monitor explain --title "NATO'dan S-400 açıklaması" ""
      monitor explain --feed "Daily Sabah Defense" "Ankara awaits the second S-400 battery"
      curl -s https://example.org/article.txt | monitor explain -
    """
    from monitor.parse.language import detect_language
    from monitor.topic.context import UNKNOWN_LANG, LazyLanguage, MatchContext
    from monitor.topic.match import explain, match_item
    from monitor.topic.tools import result_json

    if text == "-":
        text = sys.stdin.read()
    implies: tuple[str, ...] = ()
    if feed:
        feeds = feed_contexts(app)
        if feed not in feeds:
            known = ", ".join(sorted(feeds)) or "none"
            raise click.ClickException(f"no configured feed {feed!r} implies a party (those that do: {known})")
        implies = feeds[feed]
    t = load_source(resolve_source(app, topic_name, lexicon_path, seeds_glob, threshold))
    language = LazyLanguage(detect_language, f"{title}\n{text}")
    context = MatchContext(feed=feed or "", implies=implies, language=None if lang else language)
    result = match_item(t, title, text, lang or UNKNOWN_LANG, context)
    if as_json:
        emit_json({**result_json(result), "lang": lang or language()})
        return
    click.echo(explain(result))
