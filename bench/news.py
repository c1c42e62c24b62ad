"""Real news text for the benchmark farms: `../shared/eval` (nothing here is written for it).

- `off_topic(n)`: items of the "wild" streams (`../shared/eval/wild`, several languages
  and outlets) that nobody labelled on the topic, cycled when more are asked for.
- `event_reports()`: the reports of one event in the dev set (`../shared/eval/dev.jsonl`),
  the event with most reports; `event_copy(k)` is the k-th outlet's copy of one of them,
  told with its own attribution so that each copy is a distinct item, as on a big news day
  when hundreds of outlets carry the wire story.
"""
from __future__ import annotations

import json
import lzma
from collections import Counter
from functools import lru_cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
WILD = SHARED / "eval" / "wild"
DEV = SHARED / "eval" / "dev.jsonl"
# Streams mixed into the farm, in proportion (languages a monitor of this topic reads).
STREAMS = ("en_allsides_bias", "ar_ant_multisource", "tr_news_tweets_clickbaittr", "ru_rt_kw", "ru_ng_kw",
           "fa_varzesh3_sports", "ar_ant_jawharafm")


def _labelled() -> set[str]:
    path = WILD / "labels.jsonl"
    if not path.exists():
        return set()
    return {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


@lru_cache(maxsize=None)
def _wild(per_stream: int) -> tuple[dict, ...]:
    if not WILD.is_dir():
        raise SystemExit(f"real-news text not found: {WILD}")
    skip = _labelled()
    streams = []
    for name in STREAMS:
        rows = []
        with lzma.open(WILD / f"{name}.jsonl.xz", "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row["id"] in skip or not (row.get("title") or row.get("summary")):
                    continue
                rows.append({"title": row.get("title") or "", "summary": row.get("summary") or "",
                             "lang": row.get("lang")})
                if len(rows) >= per_stream:
                    break
        streams.append(rows)
    # Interleave the streams so that every feed gets several languages.
    mixed = []
    for i in range(max(len(s) for s in streams)):
        mixed.extend(s[i] for s in streams if i < len(s))
    return tuple(mixed)


def off_topic(n: int) -> list[dict]:
    """`n` off-topic items ({"title", "summary", "lang"}), real text, cycled if needed."""
    pool = _wild(min(max(n // 3, 200), 40_000))
    return [pool[i % len(pool)] for i in range(n)]


@lru_cache(maxsize=None)
def event_reports() -> tuple[dict, ...]:
    """The dev set's reports of its most reported event ({"title", "summary", "lang"})."""
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    groups = Counter(r["story_group"] for r in rows if r.get("label") == "relevant" and r.get("story_group"))
    event = groups.most_common(1)[0][0]
    return tuple({"title": r["title"] or "", "summary": r["summary"], "lang": r["lang"]}
                 for r in rows if r.get("story_group") == event)


def event_copy(k: int, outlet: str) -> dict:
    """Outlet `outlet`'s copy of report k % len(reports), with its own attribution line."""
    reports = event_reports()
    report = reports[k % len(reports)]
    return {"title": report["title"], "summary": f"{report['summary']}\n({outlet}, report {k})",
            "lang": report["lang"]}
