"""Story grouping figures on a labelled set: `python bench/story_eval.py dev.jsonl [-q]`.

Four replays of the labelled file (`monitor.story.evaluate`): `live` (every report dated
when a live stream brings it, in time order), `busy` (the live stream's events packed into
one week, six hours apart), `undated` (file order, no dates: pasted texts) and `file`
(file order, dates as given). `--replay NAME` picks one; all four by default.

Concept vectors come from `monitor.topic.match` when it is importable (the topic named by
--topic, lexicon and seeds from the usual places); otherwise from the small stand-in
lexicon below, which knows only the topic's own words (weapons, countries, sanctions law)
in the dev set's languages.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.story.features import vocabulary_of  # noqa: E402
from monitor.story.grouping import NO_VOCABULARY, fold  # noqa: E402
from monitor.story.evaluate import (busy_week_replay, evaluate_stories, format_report,  # noqa: E402
                                    live_replay, undated_replay)

REPLAYS: dict[str, Callable[[list[dict]], list[dict]]] = {
    "live": live_replay,
    "busy": busy_week_replay,
    "undated": undated_replay,
    "file": lambda rows: list(rows),
}
REPLAY_NAMES = {"live": "live stream (dated, time order)",
                "busy": "busy week (events 6 h apart)",
                "undated": "undated (file order)",
                "file": "file order, dates as given"}

# Stand-in concept lexicon: concept -> (weight, surface forms as folded regexes).
STAND_IN_CONCEPTS: dict[str, tuple[float, tuple[str, ...]]] = {
    "s400": (3.0, (r"[sс]\s?[-‑–]?\s?400", r"(?:ا|ا?ي)س\s?[-‑–]?\s?400", r"triumf", r"триумф")),
    "f35": (3.0, (r"f\s?[-‑–]?\s?35", r"اف\s?[-‑–]?\s?35", r"ф\s?[-‑–]?\s?35")),
    "f16": (1.0, (r"f\s?[-‑–]?\s?16", r"اف\s?[-‑–]?\s?16")),
    "turkey": (2.0, (r"turk", r"ترك", r"турци", r"турец", r"ankara", r"انقره", r"анкар",
                     r"τουρκ", r"turchi", r"turqu", r"turska", r"turkei")),
    "russia": (1.0, (r"russ", r"روس", r"росси", r"российск", r"russi", r"rusya", r"rus ",
                     r"ρωσ", r"rusij", r"moscow", r"موسكو", r"москв")),
    "usa": (1.0, (r"united states", r"\bus\b", r"\bu\.s\.", r"washington", r"pentagon",
                  r"americ", r"امريك", r"واشنطن", r"الولايات المتحده", r"сша", r"вашингтон",
                  r"\babd\b", r"estados unidos", r"stati uniti", r"\beua\b")),
    "india": (2.0, (r"\bindia", r"الهند", r"هندي", r"инди", r"hindistan", r"new delhi",
                    r"نيودلهي", r"нью-дели")),
    "saudi": (2.0, (r"saudi", r"سعودي", r"саудов", r"suudi", r"riyadh", r"الرياض")),
    "china": (1.0, (r"china", r"chinese", r"الصين", r"китай", r"cin\b")),
    "caatsa": (2.0, (r"caatsa", r"كاتسا", r"катса", r"countering america")),
    "air_defence": (1.0, (r"air[- ]defen[cs]e", r"missile[- ]defen[cs]e", r"الدفاع الجوي",
                          r"пво", r"зрк", r"hava savunma", r"difesa aerea", r"defesa antiaerea",
                          r"luftabwehr", r"protivavion", r"αντιπυραυλ")),
}
_COMPILED = {c: (w, [re.compile(p) for p in forms]) for c, (w, forms) in STAND_IN_CONCEPTS.items()}


def stand_in_concepts(row: Mapping[str, Any]) -> dict[str, float]:
    text = fold(f"{row.get('title') or ''}\n{row.get('summary') or ''}")
    found = {}
    for concept, (weight, patterns) in _COMPILED.items():
        hits = sum(len(p.findall(text)) for p in patterns)
        if hits:
            found[concept] = weight * (1.0 + min(hits, 4) / 4)
    return found


def matcher_concepts(topic: str) -> Callable[[Mapping[str, Any]], dict[str, float]] | None:
    """The real matcher's concept vectors, when the match module is there and loads."""
    try:
        from monitor.topic import match  # noqa: PLC0415
        lexicon = ROOT / "config" / "topics" / f"{topic}.toml"
        seeds = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
        loaded = match.load_topic(topic, lexicon, seeds)
    except Exception as exc:  # any failure: fall back, and say so
        print(f"(monitor.topic.match unavailable: {exc}; using the stand-in lexicon)", file=sys.stderr)
        return None

    def concepts(row: Mapping[str, Any]) -> dict[str, float]:
        result = match.match_item(loaded, row.get("title") or "", row.get("summary") or "",
                                  row.get("lang") or "und")
        return dict(result.concepts)

    concepts.actors = loaded.lexicon.story_actors  # type: ignore[attr-defined]
    concepts.vocabulary = vocabulary_of(loaded)  # type: ignore[attr-defined]
    return concepts


def scaled(rows: list[dict], copies: int) -> list[dict]:
    """The relevant rows repeated `copies` times, each copy 60 days later: many stories on
    one topic, to time the candidate index (story quality is not scored on these)."""
    from datetime import timedelta  # noqa: PLC0415
    from monitor.story.evaluate import parse_published  # noqa: PLC0415
    relevant = [r for r in rows if r.get("label") == "relevant"]
    out = []
    for k in range(copies):
        for r in relevant:
            copy = dict(r, id=f"{r['id']}#{k}", story=f"{r['story']}#{k}",
                        story_group=f"{r['story_group']}#{k}")
            published = parse_published(r.get("published"))
            copy["published"] = (published + timedelta(days=60 * k)).isoformat() if published else None
            out.append(copy)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("-q", "--quiet", action="store_true", help="figures only")
    parser.add_argument("--stand-in", action="store_true", help="ignore monitor.topic.match")
    parser.add_argument("--topic", default="s400-f35")
    parser.add_argument("--window-days", type=float, default=7.0)
    parser.add_argument("--replay", choices=[*REPLAYS, "all"], default="all",
                        help="which replay to score (default: all four)")
    parser.add_argument("--scale", type=int, default=0, metavar="K",
                        help="also time K shifted copies of the relevant items")
    args = parser.parse_args()
    from datetime import timedelta  # noqa: PLC0415
    rows = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    concepts = None if args.stand_in else matcher_concepts(args.topic)
    source = "monitor.topic.match" if concepts else "stand-in lexicon"
    started = time.perf_counter()
    actors = getattr(concepts, "actors", frozenset())
    vocabulary = getattr(concepts, "vocabulary", None) or NO_VOCABULARY
    names = list(REPLAYS) if args.replay == "all" else [args.replay]
    reports = {name: evaluate_stories(REPLAYS[name](rows), concepts or stand_in_concepts,
                                      window=timedelta(days=args.window_days), actors=actors,
                                      vocabulary=vocabulary)
               for name in names}
    elapsed = time.perf_counter() - started
    print(f"concepts from {source}; window {args.window_days:g} days; {elapsed:.2f}s")
    print(f"{'replay':34} precision recall stories/event")
    for name, report in reports.items():
        print(f"{REPLAY_NAMES[name]:34} {report.precision:9.3f} {report.recall:6.3f} "
              f"{report.stories_per_event:13.2f}")
    for name, report in reports.items():
        print(f"\n== {REPLAY_NAMES[name]}")
        print(format_report(report, verbose=not args.quiet))
    if args.scale:
        many = scaled(rows, args.scale)
        # Concept vectors first, timed apart: the matcher's cost is not the grouping's.
        started = time.perf_counter()
        vectors = {r["id"]: (concepts or stand_in_concepts)(r) for r in many
                   if r.get("label") == "relevant"}
        matching = time.perf_counter() - started
        big = evaluate_stories(many, lambda r: vectors[r["id"]],
                               window=timedelta(days=args.window_days), actors=actors,
                               vocabulary=vocabulary)
        elapsed = big.replay_seconds
        print(f"scale: {big.items} items formed {big.stories} stories; grouping "
              f"{1000 * elapsed / big.items:.2f} ms per item (features, candidates, "
              f"assignment, state update), concept vectors {1000 * matching / big.items:.2f} "
              f"ms per item")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
