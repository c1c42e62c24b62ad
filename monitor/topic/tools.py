"""Tools for whoever tunes a topic: evaluation on labelled items, term suggestions.

Pure functions over rows (dicts shaped like the lines of the dev set: `id`, `lang`,
`label`, `title`, `summary`) and texts; the CLI reads the files and prints.

Turning reviews into lexicon changes: items an analyst marked relevant or irrelevant
become rows with label "relevant"/"irrelevant"; `evaluate` shows which were missed or
wrongly alerted and why, and `suggest_terms` lists the words the relevant ones share
that no concept covers. An analyst adds the good ones as forms of an existing concept
(or a new concept and rule) in the lexicon, and re-runs the evaluation.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

from monitor.topic.context import LazyLanguage, MatchContext
from monitor.topic.match import Topic, covered_positions, explain, match_item
from monitor.models import MatchResult
from monitor.topic.textnorm import normalize, tokens

# Labels that count as "should alert"; "borderline" rows are left out of the figures.
POSITIVE = {"relevant"}
EXCLUDED = {"borderline"}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


@dataclass
class Outcome:
    """One row that the topic got wrong, with the reasons it gave."""

    id: str
    lang: str
    label: str
    title: str
    score: float
    reasons: list[str]
    explanation: str


@dataclass
class EvalReport:
    topic: str
    threshold: float
    overall: Counts
    by_lang: dict[str, Counts]
    misses: list[Outcome] = field(default_factory=list)  # relevant, not matched
    false_alarms: list[Outcome] = field(default_factory=list)  # matched, not relevant
    excluded: int = 0

    def as_dict(self) -> dict:
        return {
            "topic": self.topic,
            "threshold": self.threshold,
            "overall": self.overall.as_dict(),
            "by_lang": {k: v.as_dict() for k, v in sorted(self.by_lang.items())},
            "excluded": self.excluded,
            "misses": [asdict(o) for o in self.misses],
            "false_alarms": [asdict(o) for o in self.false_alarms],
        }


def row_text(row: dict) -> tuple[str, str]:
    return str(row.get("title") or ""), str(row.get("summary") or row.get("text") or "")


def row_context(row: dict, feeds: dict[str, tuple[str, ...]] | None = None,
                detect: Callable[[str], str] | None = None) -> MatchContext:
    """The MatchContext of a row: its feed (`feed`, else `outlet`) and the parties that
    feed implies, looked up in `feeds` (feed name or URL -> concept ids) by the row's
    feed name or its `feed_url`; for a row without `lang`, `detect` (text -> language
    code) runs if a rule needs the language."""
    feed = str(row.get("feed") or row.get("outlet") or "")
    implies: tuple[str, ...] = ()
    for key in (feed, str(row.get("feed_url") or "")):
        if key and feeds and key in feeds:
            implies = tuple(feeds[key])
            break
    language = None
    if detect is not None and not row.get("lang"):
        title, text = row_text(row)
        language = LazyLanguage(detect, f"{title}\n{text}")
    return MatchContext(feed=feed, implies=implies, language=language)


def evaluate(topic: Topic, rows: Iterable[dict], feeds: dict[str, tuple[str, ...]] | None = None,
             detect: Callable[[str], str] | None = None) -> EvalReport:
    """Precision and recall of `matched` against label "relevant", overall and per language.

    Rows are dicts (`id`, `lang`, `label`, `title`, `summary`, optional `feed`); a row
    whose label is not "relevant" counts as off the topic ("borderline" rows are left
    out). `feeds` maps feed names or URLs to the parties they imply, `detect` finds the
    language of a row without one where a rule needs it (row_context)."""
    overall = Counts()
    by_lang: dict[str, Counts] = defaultdict(Counts)
    report = EvalReport(topic.name, topic.threshold, overall, by_lang)
    for row in rows:
        label = str(row.get("label", ""))
        if label in EXCLUDED:
            report.excluded += 1
            continue
        lang = str(row.get("lang") or "und")
        title, text = row_text(row)
        result = match_item(topic, title, text, lang, row_context(row, feeds, detect))
        positive = label in POSITIVE
        key = ("tp" if positive else "fp") if result.matched else ("fn" if positive else "tn")
        for counts in (overall, by_lang[lang]):
            setattr(counts, key, getattr(counts, key) + 1)
        if key in ("fp", "fn"):
            outcome = Outcome(
                str(row.get("id", "")), lang, label, (title or text)[:100], result.score,
                result.reasons, explain(result),
            )
            (report.misses if key == "fn" else report.false_alarms).append(outcome)
    report.by_lang = dict(by_lang)
    return report


def format_report(report: EvalReport, verbose: bool = True) -> str:
    """Human text: a table per language, then misses and false alarms with reasons."""
    lines = [f"topic {report.topic}, threshold {report.threshold:.2f}"
             + (f" ({report.excluded} borderline rows left out)" if report.excluded else "")]
    lines.append(f"{'lang':<8}{'relevant':>9}{'matched':>9}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}")
    rows = sorted(report.by_lang.items(), key=lambda kv: (-(kv[1].tp + kv[1].fn), kv[0]))
    for lang, c in rows + [("overall", report.overall)]:
        # A figure with nothing to measure (no match, or nothing relevant) is shown as "-",
        # not as a perfect 1.000.
        precision = f"{c.precision:.3f}" if c.tp + c.fp else "-"
        recall = f"{c.recall:.3f}" if c.tp + c.fn else "-"
        lines.append(
            f"{lang:<8}{c.tp + c.fn:>9}{c.tp + c.fp:>9}{c.tp:>5}{c.fp:>5}{c.fn:>5}"
            f"{precision:>11}{recall:>8}"
        )
    scored = sum(c.tp + c.fp + c.fn + c.tn for c in report.by_lang.values())
    lines.append(f"{scored} rows scored")
    for heading, outcomes in (("misses", report.misses), ("false alarms", report.false_alarms)):
        lines.append("")
        lines.append(f"{heading}: {len(outcomes)}")
        for o in outcomes:
            lines.append(f"- {o.id} [{o.lang}, {o.label}] {o.title}")
            if verbose:
                lines += ["    " + line for line in o.explanation.splitlines()]
    return "\n".join(lines)


# ------------------------------------------------------------------ term suggestions

# Function words of the topic's languages: never worth a lexicon entry.
_STOPWORDS = set(normalize("""
the a an and or of to in on for with by from at as is are was were be been has have had
it its this that these those said says will would could can not no but also after
before over into about than more most which who what when where their there they he she
his her we our you your new one two first last year years week day days after while
mr ms per up out than other such under between against during since all any some just
في من على إلى الى عن أن ان مع هذا هذه التي الذي التى الذى كما قال وقال كان قد ما لا
بعد قبل بين عند حتى إلى او أو ثم كل أي اي ذلك تلك هو هي نحو منذ خلال وفق حيث لم لن
وأن بأن إن ان الى ايضا أيضا يوم اليوم امس أمس العام عام بشأن يتم رغم الرغم أول اول لكن
حول ضد عبر وقد وكان وفي وهو وهي وفقا حسب
bir ve ile de da bu için olarak olan gibi daha çok en ise ama veya ya şu o ne
kadar sonra önce göre karşı üzerinde ayrıca dedi yılında
и в во на с со по к о от до за из у же что как это не но а или для при его ее их
был была были будет также который которые после года году сообщил заявил
و در به از که این آن با برای را تا هم یک بر است شد
le la les un une des du de et en à au aux pour par sur dans que qui est sont a été
monday tuesday wednesday thursday friday saturday sunday january february march april
may june july august september october november december according reported near soon
both country countries told added including however already still very now then
""").split())
_NUMBER = re.compile(r"^\d+$")
MIN_LIFT = 3.0


@dataclass
class TermSuggestion:
    term: str  # normalized word or phrase
    docs: int  # how many texts contain it
    count: int  # occurrences
    example: str  # a short excerpt around its first occurrence


def suggest_terms(
    topic: Topic,
    texts: Iterable[str],
    *,
    background: Iterable[str] = (),
    limit: int = 40,
    min_docs: int = 2,
    max_words: int = 3,
) -> list[TermSuggestion]:
    """Words and phrases frequent in `texts` (seed articles, items reviewed relevant)
    that no lexicon form covers, most widespread first.

    `background` (ordinary news, items reviewed irrelevant) removes terms that are
    common there too: a term is kept only if its share of topic texts is MIN_LIFT times
    its share of background texts. Terms are shown normalized (textnorm.normalize).
    """
    docs: Counter[str] = Counter()
    count: Counter[str] = Counter()
    example: dict[str, str] = {}
    text_list = list(texts)
    for text in text_list:
        toks = tokens(normalize(text))
        covered = covered_positions(topic, toks)
        seen: set[str] = set()
        for n in range(1, max_words + 1):
            for i in range(len(toks) - n + 1):
                gram = toks[i:i + n]
                if gram[0] in _STOPWORDS or gram[-1] in _STOPWORDS:
                    continue
                if any(len(t) < 3 or _NUMBER.match(t) for t in gram):
                    continue
                # Only what is new: words inside a form occurrence already say their concept.
                if any(i + k in covered for k in range(n)):
                    continue
                term = " ".join(gram)
                count[term] += 1
                if term not in seen:
                    seen.add(term)
                    docs[term] += 1
                    if term not in example:
                        example[term] = " ".join(toks[max(0, i - 4): i + n + 4])
    background_docs: Counter[str] = Counter()
    bg = list(background)
    if bg:
        for text in bg:
            norm = " " + " ".join(tokens(normalize(text))) + " "
            for term in docs:
                if f" {term} " in norm:
                    background_docs[term] += 1
    ranked = []
    for term, d in docs.items():
        if d < min_docs:
            continue
        # A term must be clearly more common on the topic than off it: MIN_LIFT times.
        if bg and background_docs[term] / len(bg) * MIN_LIFT > d / max(len(text_list), 1):
            continue
        ranked.append(TermSuggestion(term, d, count[term], example[term]))
    # Longer phrases that occur as often as their parts say more; prefer them on ties.
    ranked.sort(key=lambda s: (-s.docs, -len(s.term.split()), -s.count, s.term))
    return _drop_contained(ranked)[:limit]


def _drop_contained(ranked: list[TermSuggestion]) -> list[TermSuggestion]:
    """Drop a word or phrase when a longer suggestion containing it is as widespread."""
    kept: list[TermSuggestion] = []
    for s in ranked:
        if any(f" {s.term} " in f" {k.term} " and k.docs >= s.docs for k in kept):
            continue
        kept.append(s)
    return kept


def format_suggestions(suggestions: list[TermSuggestion]) -> str:
    if not suggestions:
        return "(no uncovered terms found)"
    width = max(len(s.term) for s in suggestions)
    lines = [f"{'term'.ljust(width)}  docs  count  example"]
    for s in suggestions:
        lines.append(f"{s.term.ljust(width)}  {s.docs:>4}  {s.count:>5}  …{s.example}…")
    return "\n".join(lines)


def suggestions_json(suggestions: list[TermSuggestion]) -> list[dict]:
    return [asdict(s) for s in suggestions]


def report_json(report: EvalReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False)


def result_json(result: MatchResult) -> dict:
    """A MatchResult as plain JSON-able data."""
    return {
        "topic": result.topic,
        "matched": result.matched,
        "score": result.score,
        "threshold": result.threshold,
        "concepts": result.concepts,
        "hits": [asdict(h) for h in result.hits],
        "reasons": result.reasons,
    }
