"""CPU per date string of `parse_date`, by kind of string: RFC 822 (feedparser's
handlers), hand-written forms (python-dateutil), dates in other languages (dateparser,
first call and cached), and strings that are no date at all (every reader tries and
fails: the worst case a hostile feed can ask for). Best of five, CPU time of this process.

    .venv/bin/python bench/bench_dates.py
"""
from __future__ import annotations

import time

from monitor.parse import dates

KINDS = {
    "rfc822": [f"Tue, {d:02d} Mar 2026 10:{m:02d}:00 GMT" for d in range(1, 29) for m in range(0, 60, 5)],
    "hand-written": [f"3/{d}/2026 {h}:30:00 PM" for d in range(13, 29) for h in range(1, 12)],
    "other language": [f"{d} {month} 2026 10:{m:02d}" for d in range(1, 29) for m in (0, 30)
                       for month in ("Temmuz", "июля", "يوليو")],
    "no date": [f"Spring issue {n} of 2026, volume {n % 7}" for n in range(300)],
}


def per_string(strings: list[str], cached: bool) -> float:
    best = float("inf")
    for _ in range(5):
        if not cached:
            dates._foreign.cache_clear()
        start = time.process_time()
        for text in strings:
            dates.parse_date(text)
        best = min(best, time.process_time() - start)
    return best / len(strings)


def main() -> int:
    dates.parse_date("12 Temmuz 2019")  # load dateparser's data once, outside the timing
    for kind, strings in KINDS.items():
        cold = per_string(strings, cached=False)
        warm = per_string(strings, cached=True)
        print(f"{kind:15s} {len(strings):5d} strings  {cold * 1e6:8.1f} µs each (uncached)  {warm * 1e6:8.1f} µs (cached)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
