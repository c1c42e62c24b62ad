"""Poll benchmark: a farm of feeds on loopback, fetched, parsed and (if built) stored.

Starts `feed_farm.py` in its own process (1,000 feeds x 50 items on 50 loopback
addresses by default), then measures, each part in a fresh child process so that its
peak memory is its own:

  fetch+parse  `Fetcher.fetch_many` over every feed without parsing (the fetch layer
               alone), then with `parse_feed` run as each fetch completes: a cold pass (200s, full bodies), a warm pass
               (conditional GETs, all 304), the cold pass again with parsing on two
               worker processes (`ParserPool`); and, on the same bodies,
               feedparser.parse alone and parse_feed alone, single-threaded, CPU per item.
  pipeline     `monitor.pipeline.poll_once` on a new SQLite database, if the module
               exists: cold poll (empty database), warm poll (nothing changed), then a
               changed poll after one new item in 100 feeds; then, on another new
               database, the cold poll again with parsing moved to a `ParserPool`
               from the fetch threads (patched in from outside the pipeline).

Figures: wall time, CPU time of the process (all threads), peak RSS, and the whole
per-item cost (cold poll CPU / items) against feedparser's own parse CPU per item. The
steady-state load of 10,000 feeds every 15 minutes is extrapolated from the warm poll.

    python bench/bench_poll.py [--feeds 1000] [--items 50] [--hosts 50] [--json]
"""
from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

TARGETS = {"cold_s": 15.0, "warm_s": 2.0, "per_item_ratio": 2.0, "peak_mb": 250.0, "steady_core": 0.25}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Timer:
    def __enter__(self) -> "_Timer":
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = _cpu() - self.cpu


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of another process (Linux), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _urls(farm: dict) -> list[str]:
    hosts, port = farm["hosts"], farm["port"]
    return [f"http://{hosts[i % len(hosts)]}:{port}/feeds/{i}.xml" for i in range(farm["feeds"])]


# --- phase: fetch + parse only -----------------------------------------------------


def phase_fetch_parse(farm: dict) -> dict:
    import feedparser

    from monitor.fetch.fetcher import Fetcher, FetchRequest, FetchSettings
    from monitor.parse.parser import parse_feed

    urls = _urls(farm)
    fetcher = Fetcher(FetchSettings(allow_private_networks=True))
    entries = 0
    errors: list[str] = []

    lock = threading.Lock()

    def on_result(request, result) -> None:
        nonlocal entries
        if result.error:
            errors.append(result.error)
        elif not result.not_modified:
            count = len(parse_feed(result.content, result.headers, result.final_url).entries)
            with lock:
                entries += count

    with _Timer() as fetch_only:
        fetched = fetcher.fetch_many([FetchRequest(u) for u in urls])
    fetch_errors = sum(r.error is not None for r in fetched)
    del fetched
    with _Timer() as cold:
        results = fetcher.fetch_many([FetchRequest(u) for u in urls], on_result)
    warm_requests = [FetchRequest(r.url, r.etag, r.last_modified) for r in results]
    with _Timer() as warm:
        warm_results = fetcher.fetch_many(warm_requests, on_result)
    fetcher.close()
    bodies = [(r.content, r.headers, r.final_url) for r in results if r.content]

    # The same cold pass with parsing on two worker processes (monitor.parse.pool).
    from monitor.parse.pool import ParserPool

    pool = ParserPool(workers=2)
    pool.parse(bodies[0][0], bodies[0][1], bodies[0][2])  # start the workers outside the timing
    pooled_entries = 0

    def on_pooled(request, result) -> None:
        nonlocal pooled_entries
        if result.content:
            count = len(pool.parse(result.content, result.headers, result.final_url).entries)
            with lock:
                pooled_entries += count

    fetcher = Fetcher(FetchSettings(allow_private_networks=True))
    with _Timer() as pooled:
        fetcher.fetch_many([FetchRequest(u) for u in urls], on_pooled)
    fetcher.close()
    pool.close()

    with _Timer() as fp:
        fp_items = sum(
            len(feedparser.parse(io.BytesIO(body), response_headers=headers).entries) for body, headers, _ in bodies
        )
    with _Timer() as ours:
        for body, headers, url in bodies:
            parse_feed(body, headers, url)
    return {
        "feeds": len(urls),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "entries": entries,
        "fetch_only_wall": fetch_only.wall,
        "fetch_only_cpu": fetch_only.cpu,
        "fetch_only_errors": fetch_errors,
        "cold_wall": cold.wall,
        "cold_cpu": cold.cpu,
        "warm_wall": warm.wall,
        "warm_cpu": warm.cpu,
        "warm_304": sum(r.not_modified for r in warm_results),
        "pooled_wall": pooled.wall,
        "pooled_cpu": pooled.cpu,
        "pooled_entries": pooled_entries,
        "feedparser_cpu_per_item_ms": 1000 * fp.cpu / max(fp_items, 1),
        "parse_feed_cpu_per_item_ms": 1000 * ours.cpu / max(fp_items, 1),
        "peak_mb": _peak_mb(),
    }


# --- phase: the whole poll pipeline ------------------------------------------------


def _write_config(directory: Path, urls: list[str]) -> Path:
    lines = [
        "[monitor]",
        f'database = "{directory / "bench.db"}"',
        'poll_interval = "15m"',
        "allow_private_networks = true",
        "",
    ]
    for url in urls:
        lines += ["[[feed]]", f'url = "{url}"', ""]
    lines += [
        "[[topic]]",
        'name = "s400-f35"',
        f'seeds = ["{ROOT / "seeds"}/*.txt"]',
        f'lexicon = "{ROOT / "config" / "topics" / "s400-f35.toml"}"',
        "",
    ]
    path = directory / "monitor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def phase_pipeline(farm: dict) -> dict:
    from monitor.config import load_config
    from monitor.pipeline import build_runtime, poll_once
    from monitor.store import Store

    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        config = load_config(_write_config(Path(tmp), _urls(farm)), environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        figures: dict = {"setup_peak_mb": _peak_mb()}
        for name in ("cold", "warm", "changed"):
            if name == "changed":
                bump = f"http://{farm['hosts'][0]}:{farm['port']}/_bump?feeds=100"
                urllib.request.urlopen(bump, timeout=30).read()
            with _Timer() as timer:
                report = poll_once(store, runtime, everything=True)
            figures[name] = {
                "wall": timer.wall,
                "cpu": timer.cpu,
                "feeds": report.feeds,
                "failed": report.failed,
                "not_modified": report.not_modified,
                "entries": report.entries,
                "new_items": report.new_items,
                "matched": report.matched,
                "alerts": report.alerts,
            }
        # Large polls parse, clean and match in the runtime's worker processes.
        pool = runtime._pool
        figures["workers"] = len(pool.worker_pids()) if pool else 0
        figures["worker_peak_mb"] = max((_vm_hwm_mb(pid) for pid in pool.worker_pids()), default=0.0) if pool else 0.0
        runtime.close()
        store.close()
    figures["peak_mb"] = _peak_mb()
    # Worker processes have exited by now: their CPU time is ours to read.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["worker_cpu"] = children.ru_utime + children.ru_stime
    return figures


# --- orchestration -----------------------------------------------------------------


def _child(phase: str, farm: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--farm", json.dumps(farm)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _verdict(value: float, target: float) -> str:
    return "ok" if value < target else "OVER"


def report(farm: dict, fp: dict, pipe: dict | None) -> str:
    items = farm["feeds"] * farm["items"]
    lines = [
        f"farm: {farm['feeds']} feeds x {farm['items']} items on {len(farm['hosts'])} loopback hosts; "
        f"{os.cpu_count()} CPUs",
        "",
        "fetch+parse (Fetcher.fetch_many, parse_feed in the fetch threads)",
        f"  fetch only, cold  {fp['fetch_only_wall']:6.2f} s wall  {fp['fetch_only_cpu']:6.2f} s CPU   "
        f"{fp['fetch_only_errors']} errors",
        f"  cold  {fp['cold_wall']:6.2f} s wall  {fp['cold_cpu']:6.2f} s CPU   {fp['entries']} entries, {fp['errors']} errors",
        f"  warm  {fp['warm_wall']:6.2f} s wall  {fp['warm_cpu']:6.2f} s CPU   {fp['warm_304']} x 304",
        f"  cold, parsing on 2 worker processes (ParserPool)  {fp['pooled_wall']:6.2f} s wall  "
        f"{fp['pooled_cpu']:6.2f} s CPU in this process   {fp['pooled_entries']} entries",
        f"  per item, CPU, single thread: feedparser.parse {fp['feedparser_cpu_per_item_ms']:.3f} ms, "
        f"parse_feed {fp['parse_feed_cpu_per_item_ms']:.3f} ms",
        f"  peak RSS {fp['peak_mb']:.0f} MB",
    ]
    if fp["first_error"]:
        lines.append(f"  first error: {fp['first_error']}")
    if pipe is None:
        lines += ["", "pipeline: monitor.pipeline.poll_once not available; measured fetch+parse only"]
        return "\n".join(lines)
    cold, warm, changed = pipe["cold"], pipe["warm"], pipe["changed"]
    # All CPU of the poll: this process plus the worker processes (whose time also holds
    # the warm and changed polls' few parses, so this slightly overstates the cold cost).
    per_item_ms = 1000 * (cold["cpu"] + pipe["worker_cpu"]) / max(cold["entries"], 1)
    ratio = per_item_ms / fp["feedparser_cpu_per_item_ms"]
    steady = warm["cpu"] * (10_000 / max(warm["feeds"], 1)) / 900
    lines += [
        "",
        "pipeline (monitor.pipeline.poll_once, new SQLite database)",
        f"  cold     {cold['wall']:6.2f} s wall  {cold['cpu']:6.2f} s CPU   {cold['new_items']} new items, "
        f"{cold['matched']} matched, {cold['alerts']} alerts, {cold['failed']} failed"
        f"   target < {TARGETS['cold_s']:g} s: {_verdict(cold['wall'], TARGETS['cold_s'])}",
        f"  warm     {warm['wall']:6.2f} s wall  {warm['cpu']:6.2f} s CPU   {warm['not_modified']} unchanged, "
        f"{warm['new_items']} new   target < {TARGETS['warm_s']:g} s: {_verdict(warm['wall'], TARGETS['warm_s'])}",
        f"  changed  {changed['wall']:6.2f} s wall  {changed['cpu']:6.2f} s CPU   {changed['new_items']} new items "
        f"(one new item in 100 feeds)",
        f"  workers  {pipe['workers']} processes: {pipe['worker_cpu']:.2f} s CPU, peak RSS {pipe['worker_peak_mb']:.0f} MB each",
        f"  per item ((cold CPU + worker CPU) / {cold['entries']} entries): {per_item_ms:.3f} ms = {ratio:.2f} x feedparser"
        f"   target < {TARGETS['per_item_ratio']:g} x: {_verdict(ratio, TARGETS['per_item_ratio'])}",
        f"  peak RSS {pipe['peak_mb']:.0f} MB main process   target < {TARGETS['peak_mb']:g} MB: "
        f"{_verdict(pipe['peak_mb'], TARGETS['peak_mb'])}",
        f"  steady state, 10,000 feeds / 15 min, nothing changed (warm CPU x {10_000 // max(warm['feeds'], 1)} / 900 s): "
        f"{steady:.3f} core   target < {TARGETS['steady_core']:g}: {_verdict(steady, TARGETS['steady_core'])}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--phase", choices=["fetch-parse", "pipeline"], help=argparse.SUPPRESS)
    parser.add_argument("--farm", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:
        farm = json.loads(args.farm)
        if args.phase == "fetch-parse":
            result = phase_fetch_parse(farm)
        else:
            result = phase_pipeline(farm)
        print(json.dumps(result))
        return 0

    farm_proc = subprocess.Popen(
        [sys.executable, str(HERE / "feed_farm.py"), "--feeds", str(args.feeds), "--items", str(args.items),
         "--hosts", str(args.hosts)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        farm = json.loads(farm_proc.stdout.readline())
        fp = _child("fetch-parse", farm)
        try:
            pipeline = importlib.import_module("monitor.pipeline")
            has_pipeline = hasattr(pipeline, "poll_once") and hasattr(pipeline, "build_runtime")
        except ImportError:
            has_pipeline = False
        pipe = _child("pipeline", farm) if has_pipeline else None
    finally:
        farm_proc.stdin.close()
        try:
            farm_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            farm_proc.kill()
    print(report(farm, fp, pipe))
    if args.json:
        print(json.dumps({"farm": farm, "fetch_parse": fp, "pipeline": pipe}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
