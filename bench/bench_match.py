"""Per-item cost of topic matching against feedparser's parse time for the same items.

Builds one RSS 2.0 document holding every dev-set item (title, summary), then times:
  - feedparser.parse(bytes) of the whole document, divided by the item count;
  - normalisation + matching of each item (monitor.topic.match.match_item, which normalizes),
    warm (the daemon's steady state: the per-word memo holds the feeds' vocabulary)
    and cold (a fresh topic, first pass);
  - language detection of each item, another per-item step, for scale;
  - the regular-expression baseline (S-400/F-35 in Latin script), for scale.
Each is repeated and the best run reported, the usual way to keep noise out.

With --stream N it also times what `monitor match` does to N items of the wild streams
(../shared/eval/wild/*.jsonl.xz) stripped of their `lang` field: cleaning, matching,
language detection where a rule or a match needs it, stories for the matches (the
OfflineMatcher), once with the default and once detecting every item (--detect-all).

    python bench/bench_match.py [DEV_JSONL] [--repeat N] [--stream 100000]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.parse.language import detect_language, init_language_detection  # noqa: E402
from monitor.topic.match import load_topic, match_item  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
WILD = ROOT.parent / "shared" / "eval" / "wild"
BASELINE = re.compile(r"\b[SF]\s?-?\s?(?:400|35)\b", re.IGNORECASE)


def rss_document(rows: list[dict]) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>dev</title>'
             "<link>http://feeds.test/</link><description>dev set</description>"]
    for row in rows:
        parts.append(
            f"<item><title>{escape(row.get('title') or '')}</title>"
            f"<link>{escape(row.get('url') or 'http://feeds.test/' + row['id'])}</link>"
            f"<guid>{escape(row['id'])}</guid>"
            f"<description>{escape(row.get('summary') or '')}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def best_of(repeat: int, func) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev", nargs="?", default=str(DEV))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stream", type=int, default=0, metavar="N",
                        help="Also time `monitor match` on N wild-stream items without a language.")
    args = parser.parse_args()
    dev = Path(args.dev)
    if not dev.is_file():
        print(f"skipped: {dev} is absent")
        return 0
    rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    document = rss_document(rows)

    start = time.perf_counter()
    topic = load_topic("s400-f35", ROOT / "config" / "topics" / "s400-f35.toml", sorted((ROOT / "seeds").glob("*.txt")))
    load_time = time.perf_counter() - start

    parsed = feedparser.parse(document)
    entries = [(e.get("title", ""), e.get("summary", "")) for e in parsed.entries]
    assert len(entries) == len(rows), (len(entries), len(rows))
    langs = [r["lang"] for r in rows]

    # Cold: a fresh topic, so every word goes through the prefix tables once.
    cold_topic = load_topic("s400-f35", ROOT / "config" / "topics" / "s400-f35.toml",
                            sorted((ROOT / "seeds").glob("*.txt")))
    start = time.perf_counter()
    for (t, s), lang in zip(entries, langs):
        match_item(cold_topic, t, s, lang)
    cold_total = time.perf_counter() - start

    parse_total = best_of(args.repeat, lambda: feedparser.parse(document))
    match_total = best_of(args.repeat, lambda: [match_item(topic, t, s, lang) for (t, s), lang in zip(entries, langs)])
    regex_total = best_of(args.repeat, lambda: [BASELINE.search(f"{t} {s}") for t, s in entries])
    init_language_detection()
    detect_total = best_of(1, lambda: [detect_language(f"{t}\n{s}") for t, s in entries])

    n = len(entries)
    chars = sum(len(t) + len(s) for t, s in entries) / n
    print(f"items: {n} dev-set items, {chars:.0f} characters each on average; RSS document {len(document) / 1024:.0f} KiB")
    print(f"topic load (lexicon compile + {len(topic.seed_vectors)} seeds): {load_time * 1000:.1f} ms, once")
    print(f"{'step':<40}{'per item':>12}")
    print(f"{'feedparser.parse(bytes)':<40}{parse_total / n * 1e6:>9.0f} µs")
    print(f"{'normalize + match_item (warm)':<40}{match_total / n * 1e6:>9.0f} µs")
    print(f"{'normalize + match_item (cold, 1st pass)':<40}{cold_total / n * 1e6:>9.0f} µs")
    print(f"{'detect_language (for scale)':<40}{detect_total / n * 1e6:>9.0f} µs")
    print(f"{'baseline regex (Latin S-400/F-35)':<40}{regex_total / n * 1e6:>9.1f} µs")
    print(f"matching costs {match_total / parse_total:.2f}x feedparser's parse time per item")
    if args.stream:
        stream(args.stream)
    return 0


def stream(count: int) -> None:
    """Time the OfflineMatcher (`monitor match`) on `count` wild items without `lang`."""
    import lzma

    from monitor.story.offline import OfflineMatcher

    files = sorted(WILD.glob("*.jsonl.xz"))
    if not files:
        print(f"stream: skipped, no .jsonl.xz files in {WILD}")
        return
    rows: list[dict] = []
    # Round-robin over the files, so every language is in the sample.
    handles = [lzma.open(f, "rt", encoding="utf-8") for f in files]
    while len(rows) < count and handles:
        for handle in list(handles):
            line = handle.readline()
            if not line:
                handles.remove(handle)
                continue
            row = json.loads(line)
            row.pop("lang", None)
            rows.append(row)
    rows = rows[:count]
    topic = load_topic("s400-f35", ROOT / "config" / "topics" / "s400-f35.toml", sorted((ROOT / "seeds").glob("*.txt")))
    for detect_all in (False, True):
        matcher = OfflineMatcher.from_topics([topic], detect_all=detect_all)
        start = time.perf_counter()
        out = [matcher.score(row)[0] for row in rows]
        took = time.perf_counter() - start
        detected = sum(1 for o in out if o["lang"])
        label = "monitor match --detect-all" if detect_all else "monitor match"
        print(f"{label:<28} {len(rows)} items without lang: {took:6.1f} s, {sum(o['matched'] for o in out)} matched, "
              f"language detected for {detected}")


if __name__ == "__main__":
    sys.exit(main())
