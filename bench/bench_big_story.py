"""Big-story benchmark: the cost of adding an item to a story as the story grows.

On a big news day one event is reported by hundreds of outlets in one poll. This grows
one story to 2,000 members on a new SQLite database, the way a poll does it: each outlet
is a feed delivering one new report (real text: the dev set's reports of its most
reported event, each outlet's copy with its own attribution line, `bench/news.py`), and
each feed's new items are stored, matched, grouped and committed in the feed's own
transaction (`monitor.story.book.process_new_items`), the poll's open stories kept in
memory from feed to feed. Parsing is done beforehand (a poll does it in worker
processes). The whole growth is repeated (`--repeat`, fresh database each time).

Printed per story size k (the members the story had when the item joined): the median
CPU time of the whole item (store, explained match, language, grouping, commit) and of
the story part alone (grouping and its persistence: `_record_match`), and the whole
item's wall time, over the items that joined at sizes k..k+4 in every repeat; and the
ratio of the cost at the largest size to that at 2 (target: at most 1.5). CPU time is the
figure to read on a shared machine: other work stretches wall time unevenly along the
growth.

    python bench/bench_big_story.py [--members 2000] [--repeat 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import news  # noqa: E402

SIZES = (2, 10, 100, 1000, 2000)
TARGET_RATIO = 1.5


def _rss(title: str, summary: str, guid: str, published: str) -> bytes:
    from xml.sax.saxutils import escape

    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(guid)}</title>'
            f"<item><title>{escape(title)}</title><description>{escape(summary)}</description>"
            f"<guid>{escape(guid)}</guid><pubDate>{published}</pubDate></item></channel></rss>").encode("utf-8")


def _config(directory: Path, outlets: int) -> Path:
    lines = ["[monitor]", f'database = "{directory / "bench.db"}"', "allow_private_networks = true", ""]
    for i in range(outlets):
        lines += ["[[feed]]", f'url = "http://outlet-{i}.example/feed.xml"', f'name = "Outlet {i}"', ""]
    lines += ["[[topic]]", 'name = "s400-f35"', f'seeds = ["{ROOT / "seeds"}/*.txt"]',
              f'lexicon = "{ROOT / "config" / "topics" / "s400-f35.toml"}"', ""]
    path = directory / "monitor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def grow(members: int) -> dict:
    """One growth to `members` items; per item: (story size before, CPU s, story part CPU s, wall s)."""
    from email.utils import format_datetime

    import monitor.story.book as book_module
    from monitor.config import load_config
    from monitor.parse.prepare import prepare_feed
    from monitor.pipeline import build_runtime
    from monitor.store import Store, utcnow

    story_time = [0.0]
    record_match = book_module._record_match

    def timed_record_match(*args, **kwargs):
        start = time.process_time()
        try:
            return record_match(*args, **kwargs)
        finally:
            story_time[0] += time.process_time() - start

    book_module._record_match = timed_record_match
    with tempfile.TemporaryDirectory(prefix="bench-story-") as tmp:
        config = load_config(_config(Path(tmp), members), environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        feeds = store.list_feeds()
        now = utcnow()
        prepared = []
        for i, feed in enumerate(feeds):
            copy = news.event_copy(i, feed["name"])
            published = format_datetime(now - timedelta(minutes=30) + timedelta(seconds=i))
            body = _rss(copy["title"], copy["summary"], f"report-{i}", published)
            prepared.append(prepare_feed(body, {}, feed["url"], runtime.topics, now).entries)
        book = book_module.StoryBook(store, config.story_window) if hasattr(book_module, "StoryBook") else None
        samples = []
        for feed, entries in zip(feeds, prepared):
            size = (store.query_one("SELECT MAX(item_count) AS n FROM stories")["n"] or 0) if book is None else \
                max((s.state.item_count for s in book.of("s400-f35", now).values()), default=0)
            story_time[0] = 0.0
            start, start_cpu = time.perf_counter(), time.process_time()
            if book is None:
                with store.write():
                    book_module.process_new_items(store, config, runtime.topics, feed, entries, now, first_poll=False)
            else:
                with book.feed(), store.write():
                    book_module.process_new_items(store, config, runtime.topics, feed, entries, now,
                                                  first_poll=False, book=book)
            samples.append((size, time.process_time() - start_cpu, story_time[0], time.perf_counter() - start))
        if book is not None:
            start = time.perf_counter()
            book.checkpoint()
            checkpoint_s = time.perf_counter() - start
        else:
            checkpoint_s = 0.0
        stories = store.query("SELECT item_count FROM stories ORDER BY item_count DESC")
        runtime.close()
        store.close()
    book_module._record_match = record_match
    return {"samples": samples, "checkpoint_s": checkpoint_s,
            "stories": len(stories), "largest": stories[0]["item_count"] if stories else 0}


def summarise(runs: list[dict], sizes: tuple[int, ...]) -> dict:
    rows = {}
    for k in sizes:
        picked = [sample[1:] for run in runs for sample in run["samples"] if k <= sample[0] < k + 5]
        if picked:
            rows[k] = {"whole_ms": 1000 * statistics.median(p[0] for p in picked),
                       "story_ms": 1000 * statistics.median(p[1] for p in picked),
                       "wall_ms": 1000 * statistics.median(p[2] for p in picked), "samples": len(picked)}
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    total = args.members + 5
    runs = [grow(total) for _ in range(args.repeat)]
    sizes = tuple(k for k in SIZES if k < total - 4) or (2,)
    rows = summarise(runs, sizes)
    first, last = rows[min(rows)], rows[max(rows)]
    print(f"one story grown to {runs[0]['largest']} members ({runs[0]['stories']} stories formed from "
          f"{total} reports), {args.repeat} repeats; median ms per item (CPU time; wall beside it):")
    print("  members   whole item   story part   whole item, wall   samples")
    for k, row in rows.items():
        print(f"  {k:7d}   {row['whole_ms']:8.2f}     {row['story_ms']:8.2f}     {row['wall_ms']:8.2f}"
              f"           {row['samples']}")
    whole_ratio, story_ratio = last["whole_ms"] / first["whole_ms"], last["story_ms"] / first["story_ms"]
    verdict = "ok" if whole_ratio <= TARGET_RATIO else "OVER"
    print(f"  cost at {max(rows)} / cost at {min(rows)}: whole item {whole_ratio:.2f}, story part {story_ratio:.2f}"
          f"   target <= {TARGET_RATIO}: {verdict}")
    print(f"  checkpoint of the grown story at the end of the poll: "
          f"{1000 * statistics.median(r['checkpoint_s'] for r in runs):.1f} ms")
    if args.json:
        print(json.dumps({"sizes": rows, "whole_ratio": whole_ratio, "story_ratio": story_ratio,
                          "largest": [r["largest"] for r in runs]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
