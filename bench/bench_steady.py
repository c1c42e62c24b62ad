"""Steady state at scale: the CPU one poll of 10,000 unchanged feeds costs.

Starts `bench/feed_farm.py` in its own process (so its serving CPU is not counted), polls
every feed once to fill a new database (cold), then polls again with nothing changed
(warm: conditional GETs answered 304) and reports the warm poll's CPU as a share of one
core over the polling interval.

    .venv/bin/python bench/bench_steady.py                 # 10,000 feeds x 2 items, 15 min
    .venv/bin/python bench/bench_steady.py --feeds 2000 --items 50
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_poll import _urls, _write_config  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=2)
    parser.add_argument("--interval", type=float, default=900, help="polling interval in seconds")
    args = parser.parse_args(argv)

    from monitor.config import load_config
    from monitor.pipeline import build_runtime, poll_once
    from monitor.store import Store

    farm_proc = subprocess.Popen(
        [sys.executable, str(HERE / "feed_farm.py"), "--feeds", str(args.feeds), "--items", str(args.items)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        farm = json.loads(farm_proc.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="bench-steady-") as tmp:
            config = load_config(_write_config(Path(tmp), _urls(farm)), environ={})
            store = Store.open(config.database)
            store.sync_feeds(config.feeds)
            runtime = build_runtime(config)
            figures = {}
            for name in ("cold", "warm"):
                wall, cpu = time.perf_counter(), _cpu()
                report = poll_once(store, runtime, everything=True)
                figures[name] = (time.perf_counter() - wall, _cpu() - cpu, report)
            runtime.close()
            store.close()
    finally:
        farm_proc.stdin.close()
        farm_proc.wait(timeout=30)
    for name, (wall, cpu, report) in figures.items():
        print(f"{name:5} {report.feeds} feeds: {wall:6.2f} s wall, {cpu:6.2f} s CPU (main process), "
              f"{report.not_modified} unchanged, {report.new_items} new items, {report.failed} failed")
    warm_cpu = figures["warm"][1]
    print(f"steady state: {warm_cpu:.2f} s CPU every {args.interval:g} s = {warm_cpu / args.interval:.3f} core "
          f"(target < 0.25)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
