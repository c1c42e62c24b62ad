"""Evaluation and term suggestions on small labelled sets with known answers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.topic.match import load_topic
from monitor.topic.tools import (
    evaluate,
    format_report,
    format_suggestions,
    report_json,
    suggest_terms,
    suggestions_json,
)

ROOT = Path(__file__).resolve().parents[2]
LEXICON = ROOT / "config" / "topics" / "s400-f35.toml"
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def topic():
    return load_topic("s400-f35", LEXICON, SEEDS)


ROWS = [
    {"id": "en-hit", "lang": "en", "label": "relevant", "title": "Turkey tests S-400",
     "summary": "Turkey test-fired the Russian S-400 near Sinop."},
    {"id": "en-miss", "lang": "en", "label": "relevant", "title": "",
     "summary": "Trump and Erdogan met at the White House to discuss fighter jets."},
    {"id": "ar-hit", "lang": "ar", "label": "relevant", "title": "",
     "summary": "أعلن الرئيس التركي رجب طيب أردوغان توقيع عقد شراء منظومة صواريخ إس-400 مع روسيا"},
    {"id": "en-false", "lang": "en", "label": "negative", "title": "",
     "summary": "Turkish officials say the S-400 batteries will stay in storage."},  # labelled wrong on purpose
    {"id": "en-quiet", "lang": "en", "label": "hard_negative", "title": "Poland buys F-35",
     "summary": "Poland signed for 32 F-35 jets."},
    {"id": "en-border", "lang": "en", "label": "borderline", "title": "",
     "summary": "Ukraine destroyed a Russian S-400 launcher in Crimea."},
]


def test_evaluate_counts_per_language(topic):
    report = evaluate(topic, ROWS)
    assert (report.overall.tp, report.overall.fp, report.overall.fn, report.overall.tn) == (2, 1, 1, 1)
    assert report.overall.precision == pytest.approx(2 / 3)
    assert report.overall.recall == pytest.approx(2 / 3)
    assert report.by_lang["ar"].recall == 1.0
    assert report.by_lang["en"].recall == 0.5
    assert report.excluded == 1


def test_evaluate_lists_misses_and_false_alarms_with_reasons(topic):
    report = evaluate(topic, ROWS)
    assert [o.id for o in report.misses] == ["en-miss"]
    assert [o.id for o in report.false_alarms] == ["en-false"]
    assert report.misses[0].reasons[0].startswith("no rule holds")
    assert "s400-named" in report.false_alarms[0].explanation


def test_empty_counts_are_not_a_division_by_zero(topic):
    report = evaluate(topic, [])
    assert report.overall.precision == 1.0 and report.overall.recall == 1.0


def test_format_report_table_and_details(topic):
    text = format_report(evaluate(topic, ROWS))
    lines = text.splitlines()
    assert lines[1].split() == ["lang", "relevant", "matched", "TP", "FP", "FN", "precision", "recall"]
    assert any(line.split()[:6] == ["overall", "3", "3", "2", "1", "1"] for line in lines)
    assert "misses: 1" in text and "false alarms: 1" in text
    assert "- en-miss [en, relevant]" in text
    brief = format_report(evaluate(topic, ROWS), verbose=False)
    assert "no rule holds" not in brief


def test_report_json_round_trip(topic):
    data = json.loads(report_json(evaluate(topic, ROWS)))
    assert data["overall"]["tp"] == 2 and data["by_lang"]["en"]["fn"] == 1
    assert data["misses"][0]["id"] == "en-miss"


# --- suggestions -------------------------------------------------------------------

TEXTS = [
    "Turkey moved the S-400 batteries to the Murted base; the Hisar programme continues.",
    "The Hisar programme is Turkey's answer to the S-400 question, officials said.",
    "Officials said the Hisar programme and the S-400 will coexist.",
]


def test_suggest_finds_uncovered_terms_and_skips_covered_ones(topic):
    suggestions = suggest_terms(topic, TEXTS)
    terms = [s.term for s in suggestions]
    assert "hisar programme" in terms
    assert not any(t in terms for t in ("s400", "turkey", "murted"))
    top = suggestions[0]
    assert top.docs == 3 and "hisar" in top.example


def test_contained_terms_give_way_to_longer_phrases(topic):
    terms = [s.term for s in suggest_terms(topic, TEXTS)]
    assert "hisar" not in terms  # "hisar programme" says more, in as many texts


def test_background_removes_common_words(topic):
    background = ["Officials said the budget passed.", "Officials said rain is expected.",
                  "Officials said nothing."]
    terms = [s.term for s in suggest_terms(topic, TEXTS, background=background)]
    assert "officials" not in terms
    assert "hisar programme" in terms


def test_min_docs_and_limit(topic):
    assert suggest_terms(topic, TEXTS, min_docs=4) == []
    assert len(suggest_terms(topic, TEXTS, limit=1)) == 1


def test_suggestions_formatting(topic):
    suggestions = suggest_terms(topic, TEXTS)
    text = format_suggestions(suggestions)
    assert text.splitlines()[0].split()[:3] == ["term", "docs", "count"]
    assert suggestions_json(suggestions)[0]["term"] == suggestions[0].term
    assert format_suggestions([]) == "(no uncovered terms found)"


def test_suggest_on_arabic_seed_text(topic):
    arabic = [p.read_text(encoding="utf-8") for p in SEEDS[2:]]
    terms = [s.term for s in suggest_terms(topic, arabic, limit=100)]
    # "سبوتنيك" (Sputnik, the agency quoted) is in two Arabic seeds and in no concept.
    assert any("سبوتنيك" in t for t in terms)


def test_a_language_with_nothing_to_measure_shows_a_dash_not_a_perfect_score():
    from monitor.topic.tools import Counts, EvalReport, format_report

    report = EvalReport(topic="t", threshold=2.5, overall=Counts(tp=3, fp=1, fn=0, tn=10),
                        by_lang={"tr": Counts(tp=3, fp=1, tn=5), "fa": Counts(tn=5)})
    table = format_report(report, verbose=False)
    fa = next(line for line in table.splitlines() if line.startswith("fa "))
    assert fa.split()[-2:] == ["-", "-"]
    tr = next(line for line in table.splitlines() if line.startswith("tr "))
    assert tr.split()[-2:] == ["0.750", "1.000"]
    assert "14 rows scored" in table
