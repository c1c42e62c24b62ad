"""The full-text index's cost: time per stored item, indexing time, disk space, query time.

Stores the dev set's items (../shared/eval/dev.jsonl, repeated with distinct GUIDs and
hashes to ROUNDS x 313 items) into two fresh databases, one as the store keeps it (the
index triggers note every insert) and one with the index triggers dropped, in
transactions of one feed's size (50 items), and reports per item: the insert time of each
(the poll's path), the time `update_search_index()` then takes (the daemon's index job,
off that path), the database sizes, and the median time of a few searches.

    .venv/bin/python bench/bench_search.py [ROUNDS]
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from monitor.models import Item
from monitor.store import Store

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"
QUERIES = ["S-400 Turkey", "اس 400", "санкци*", "F-35 programme", "caatsa"]


def items(rounds: int) -> list[Item]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    now = datetime.now(timezone.utc)
    return [Item(guid=f"{r}-{n}", url=f"https://bench.example/{r}/{n}", title=row.get("title", ""),
                 text=row.get("summary", ""), published=now, lang=row.get("lang", "und"),
                 content_hash=f"{r}-{n}")
            for r in range(rounds) for n, row in enumerate(rows)]


def store_all(path: Path, batch: list[Item], indexed: bool) -> float:
    with Store.open(path) as store:
        if not indexed:
            with store.write():
                for name in ("items_index_insert", "items_index_update", "items_index_delete"):
                    store.execute(f"DROP TRIGGER {name}")
        feed = store.add_feed("https://bench.example/rss")
        started = time.perf_counter()
        for start in range(0, len(batch), 50):
            with store.write():
                for item in batch[start:start + 50]:
                    store.add_item(feed, item, item.published)
        seconds = time.perf_counter() - started
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return seconds


def main() -> None:
    if not DEV.is_file():
        sys.exit(f"{DEV} is absent: this benchmark needs the shared dev set")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    batch = items(rounds)
    with tempfile.TemporaryDirectory() as tmp:
        plain, indexed = Path(tmp, "plain.db"), Path(tmp, "indexed.db")
        t_plain = store_all(plain, batch, indexed=False)
        t_indexed = store_all(indexed, batch, indexed=True)
        with Store.open(indexed) as store:
            started = time.perf_counter()
            store.update_search_index()
            t_index = time.perf_counter() - started
            store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            timings = {}
            for query in QUERIES:
                runs = []
                for _ in range(5):
                    started = time.perf_counter()
                    hits = store.search_items(query, limit=50)
                    runs.append(time.perf_counter() - started)
                timings[query] = (statistics.median(runs) * 1000, len(hits))
        n = len(batch)
        print(f"{n} items")
        print(f"store, index triggers dropped: {t_plain / n * 1e6:7.0f} µs per item")
        print(f"store with the search index:   {t_indexed / n * 1e6:7.0f} µs per item "
              f"(+{(t_indexed - t_plain) / n * 1e6:.0f} µs)")
        print(f"update_search_index:           {t_index / n * 1e6:7.0f} µs per item (normalising and FTS5)")
        print(f"database size: {plain.stat().st_size / 1e6:.1f} MB without, "
              f"{indexed.stat().st_size / 1e6:.1f} MB with the index")
        for query, (ms, hits) in timings.items():
            print(f"search {query!r}: {ms:.1f} ms, {hits} hits (limit 50)")


if __name__ == "__main__":
    main()
