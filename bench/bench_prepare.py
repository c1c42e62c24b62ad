"""CPU per item of `prepare_feed` without topics: feedparser, the byte checks, date
reading, text cleaning and identity keys (what every entry of a changed feed costs before
matching). One RSS 2.0 document of the dev-set items, best of ten, CPU time of this
process (so other work on the machine moves the figure less).

    .venv/bin/python bench/bench_prepare.py [DEV.jsonl]
"""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from monitor.parse.prepare import prepare_feed

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV
    if not path.is_file():
        print(f"{path} is absent; nothing measured")
        return 0
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    now = datetime.now(timezone.utc)
    items = "".join(
        f"<item><title>{escape(r.get('title', ''))}</title><link>https://x.example/{n}?utm_source=rss</link>"
        f"<guid>g{n}</guid><pubDate>{format_datetime(now)}</pubDate>"
        f"<description>{escape(r.get('summary', '') or r.get('text', ''))}</description></item>"
        for n, r in enumerate(rows))
    document = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    body = document.encode("utf-8")
    best = float("inf")
    for _ in range(10):
        started = time.process_time()
        prepared = prepare_feed(body, {"content-type": "application/rss+xml"}, "https://x.example/feed", [], now)
        best = min(best, time.process_time() - started)
    print(f"prepare_feed, no topics: {len(prepared.entries)} items, {best / len(prepared.entries) * 1e6:.0f} µs per item")
    return 0


if __name__ == "__main__":
    sys.exit(main())
