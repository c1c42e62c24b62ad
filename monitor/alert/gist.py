"""A gist line for a reader of one language: the concepts an item matched, named in the
reader's language from the topic's own lexicon. Pure.

An Arabic or Russian alert to an English-reading analyst then says what it is about at a
glance ("In en: S-400 · Turkey · delivery · CAATSA") before anyone translates it. A
concept is named by its first form in that language (the lexicon lists its canonical
spelling first) when that is a whole word, else by its label ("deliver*" is a stem, not
a name: the label "delivery or shipment" names it); look-alikes, which weigh
against a match, are left out.
"""
from __future__ import annotations

from monitor.models import MatchResult
from monitor.topic.match import Topic

GIST_CONCEPTS = 6


def concept_name(topic: Topic, concept_id: str, lang: str) -> str:
    """The concept as a reader of `lang` would name it."""
    concept = topic.concepts[concept_id]
    first = next((f.text for f in concept.forms if f.lang == lang), None)
    if first and "*" not in first:
        return first.strip()
    if lang != "en" and first:  # labels are English; a stem still tells a reader more
        return first.replace("*", "").strip()
    return concept.label.split("(")[0].split(",")[0].strip()


def concept_gist(topic: Topic, result: MatchResult, reader_language: str | None, item_lang: str) -> str | None:
    """"S-400 · Turkey · delivery" in `reader_language`, strongest concept first; None
    when there is no reader language, the item is in it, or nothing positive matched."""
    if not reader_language or item_lang == reader_language:
        return None
    weights: dict[str, float] = {}
    for hit in result.hits:
        if hit.concept in topic.concepts and not topic.concepts[hit.concept].lookalike:
            weights[hit.concept] = max(weights.get(hit.concept, 0.0), hit.weight)
    if not weights:
        return None
    ranked = sorted(weights, key=lambda cid: (-weights[cid], cid))[:GIST_CONCEPTS]
    names = list(dict.fromkeys(concept_name(topic, cid, reader_language) for cid in ranked))
    return " · ".join(names)
