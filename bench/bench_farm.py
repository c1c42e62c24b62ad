"""The big-news-day farm: the monitor against newsboat, cold and warm, one host and 20.

A farm of 1,000 RSS feeds x 50 items of real news text (`bench/news.py`: the "wild"
streams of `../shared/eval`, seven outlets' archives in English, Arabic, Turkish, Russian
and Persian), one item in 200 on the topic and all of those reporting one event (each
outlet's copy of the dev set's reports of its most reported event): a big news day.
nginx serves the farm from files on loopback with gzip (pre-compressed, `gzip_static`)
and its own ETag / Last-Modified and 304s. Two variants: every feed on 127.0.0.1, and
the feeds spread over 20 loopback addresses (127.0.0.1-127.0.0.20).

For each variant and run: `monitor poll --all` (the command as a user runs it, a new
database) cold then warm (nothing changed), and, when `newsboat` is installed,
`newsboat -x reload` (16 reload threads, a new cache) cold, on the same farm in the same
run, with the ratio of the cold times. Wall time of the whole command; peak RSS
of the command with all its processes (the sum over the process tree, sampled every
20 ms). Several runs (`--runs`) give the spread.

    python bench/bench_farm.py [--runs 3] [--feeds 1000] [--items 50] [--variants one,many] [--json]

Needs nginx (Debian: `apt-get install nginx newsboat`); without newsboat only the
monitor's figures are printed.
"""
from __future__ import annotations

import argparse
import compileall
import gzip
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import news  # noqa: E402

TARGETS = {"cold_ratio": 0.5, "warm_s": 1.0, "peak_mb": 250.0}
ON_TOPIC_EVERY = 200
MANY_HOSTS = 20


# --- the farm ------------------------------------------------------------------------

def write_farm(directory: Path, feeds: int, items: int) -> dict:
    """Feed files (plain and .gz) under directory/feeds; returns counts."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    texts = news.off_topic(feeds * items)
    out = directory / "feeds"
    out.mkdir(parents=True)
    on_topic = 0
    for i in range(feeds):
        outlet = f"Outlet {i}"
        parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                 f"<title>{outlet}</title><link>http://outlet-{i}.example/</link>"
                 f"<description>News from {outlet}</description>"]
        for j in range(items):
            g = i * items + j
            if g % ON_TOPIC_EVERY == ON_TOPIC_EVERY // 2:
                text = news.event_copy(g // ON_TOPIC_EVERY, outlet)
                published = now - timedelta(minutes=g // ON_TOPIC_EVERY)
                on_topic += 1
            else:
                text = texts[g]
                published = now - timedelta(minutes=(g * 7) % 1400)
            parts.append(
                f"<item><title>{escape(text['title'])}</title>"
                f"<link>http://outlet-{i}.example/news/{j}</link>"
                f"<description>{escape(text['summary'])}</description>"
                f'<guid isPermaLink="false">outlet-{i}-{j}</guid>'
                f"<pubDate>{format_datetime(published)}</pubDate></item>")
        parts.append("</channel></rss>\n")
        body = "".join(parts).encode("utf-8")
        (out / f"{i}.xml").write_bytes(body)
        (out / f"{i}.xml.gz").write_bytes(gzip.compress(body, 6, mtime=0))
    return {"feeds": feeds, "items": feeds * items, "on_topic": on_topic}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Nginx:
    """nginx serving `root` on loopback (every 127.x address) from its own prefix."""

    def __init__(self, root: Path, work: Path):
        self.root, self.work, self.port = root, work, _free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Nginx":
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise SystemExit("nginx is not installed (Debian: apt-get install nginx)")
        for sub in ("logs", "tmp"):
            (self.work / sub).mkdir(parents=True, exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""  # root: workers may read the temp dir
        conf = self.work / "nginx.conf"
        conf.write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {self.work}/nginx.pid;
error_log {self.work}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ application/rss+xml xml; }}
    client_body_temp_path {self.work}/tmp/body;
    proxy_temp_path {self.work}/tmp/proxy;
    fastcgi_temp_path {self.work}/tmp/fastcgi;
    uwsgi_temp_path {self.work}/tmp/uwsgi;
    scgi_temp_path {self.work}/tmp/scgi;
    keepalive_requests 10000;
    server {{
        listen {self.port};
        root {self.root};
        gzip_static on;
        gzip_vary on;
    }}
}}
""")
        self.proc = subprocess.Popen([nginx, "-p", str(self.work), "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"nginx failed: {self.proc.stderr.read().decode()[-500:]}")
                time.sleep(0.05)
        raise SystemExit("nginx did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()  # SIGTERM: fast shutdown of master and workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def urls(self, feeds: int, hosts: int) -> list[str]:
        return [f"http://127.0.0.{1 + i % hosts}:{self.port}/feeds/{i}.xml" for i in range(feeds)]


# --- measuring a command -------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found.extend(int(p) for p in fh.read().split())
    except OSError:
        pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kb(current)
        todo.extend(_children(current))
    return total / 1024


def settle() -> None:
    """Before each measured command: what the previous one wrote (a 50 MB database, its
    WAL, newsboat's cache) flushed to disk, so that the kernel's write-back does not run
    inside the next measurement, and a moment for the previous processes to be gone."""
    os.sync()
    time.sleep(1.0)


def run_measured(command: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Run a command; wall seconds, peak RSS of its process tree (MB), stdout, exit code."""
    settle()
    peak = [0.0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the command and of every process it waited for (the parse workers): the
    # figure that other work on the machine does not stretch.
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_mb": peak[0], "stdout": stdout.decode("utf-8", "replace"),
            "stderr": stderr.decode("utf-8", "replace"), "rc": proc.returncode}


# --- the two clients -----------------------------------------------------------------

def monitor_config(directory: Path, urls: list[str]) -> Path:
    lines = ["[monitor]", f'database = "{directory / "monitor.db"}"', 'poll_interval = "15m"',
             "allow_private_networks = true", ""]
    for url in urls:
        lines += ["[[feed]]", f'url = "{url}"', ""]
    lines += ["[[topic]]", 'name = "s400-f35"', f'seeds = ["{ROOT / "seeds"}/*.txt"]',
              f'lexicon = "{ROOT / "config" / "topics" / "s400-f35.toml"}"', ""]
    path = directory / "monitor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_monitor(directory: Path, urls: list[str]) -> dict:
    directory.mkdir(parents=True)
    config = monitor_config(directory, urls)
    command = [sys.executable, "-m", "monitor", "--config", str(config), "poll", "--all", "--no-send", "--json"]
    figures = {}
    for name in ("cold", "warm"):
        result = run_measured(command, ROOT)
        if result["rc"] != 0:
            raise SystemExit(f"monitor poll failed ({result['rc']}):\n{result['stderr'][-2000:]}")
        summary = json.loads(result["stdout"].strip().splitlines()[-1])
        figures[name] = {"wall": result["wall"], "cpu": result["cpu"], "peak_mb": result["peak_mb"], **summary}
    return figures


NEWSBOAT_CONF = """reload-threads 16
download-timeout 30
max-items 0
show-read-feeds yes
"""


def run_newsboat(directory: Path, urls: list[str]) -> dict | None:
    newsboat = shutil.which("newsboat")
    if newsboat is None:
        return None
    directory.mkdir(parents=True)
    (directory / "urls").write_text("\n".join(urls) + "\n")
    (directory / "config").write_text(NEWSBOAT_CONF)
    env = dict(os.environ, HOME=str(directory), XDG_CONFIG_HOME=str(directory / "xdg-config"),
               XDG_DATA_HOME=str(directory / "xdg-data"))
    command = [newsboat, "-x", "reload", "-u", str(directory / "urls"), "-c", str(directory / "cache.db"),
               "-C", str(directory / "config")]
    figures = {}
    # Cold only: newsboat's warm reload (conditional GETs, then its cache of 50,000 items
    # checked) takes longer than its cold one here, 40-60 s, and is not a target.
    for name in ("cold",):
        result = run_measured(command, directory, env)
        if result["rc"] != 0:
            raise SystemExit(f"newsboat failed ({result['rc']}):\n{result['stderr'][-2000:]}")
        figures[name] = {"wall": result["wall"], "cpu": result["cpu"], "peak_mb": result["peak_mb"]}
    import sqlite3

    with sqlite3.connect(directory / "cache.db") as conn:
        figures["items"] = conn.execute("SELECT COUNT(*) FROM rss_item").fetchone()[0]
    return figures


# --- orchestration -------------------------------------------------------------------

def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return (f"{fmt.format(statistics.median(values))} (" + fmt.format(min(values)) + "–"
            + fmt.format(max(values)) + ")")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--variants", default="one,many", help="one (127.0.0.1), many (20 addresses)")
    parser.add_argument("--no-newsboat", action="store_true", help="measure the monitor alone")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        print("bench_farm: nginx is not installed (Debian: apt-get install nginx newsboat); skipped")
        return 0
    # The package byte-compiled, as an installed one is: each of the poll's three processes
    # otherwise compiles every module it imports where bytecode is not written
    # (PYTHONDONTWRITEBYTECODE), 60 ms a start. Stale bytecode is never used.
    compileall.compile_dir(str(ROOT / "monitor"), quiet=1)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    results: dict[str, list[dict]] = {v: [] for v in variants}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-farm-") as tmp:
        work = Path(tmp)
        farm = write_farm(work / "site", args.feeds, args.items)
        with Nginx(work / "site", work / "nginx") as server:
            for run in range(args.runs):
                for variant in variants:
                    urls = server.urls(args.feeds, 1 if variant == "one" else MANY_HOSTS)
                    base = work / f"run{run}-{variant}"
                    monitor = run_monitor(base / "monitor", urls)
                    boat = None if args.no_newsboat else run_newsboat(base / "newsboat", urls)
                    results[variant].append({"monitor": monitor, "newsboat": boat})
                    line = (f"run {run + 1} {variant:4s}: monitor cold {monitor['cold']['wall']:.2f} s "
                            f"warm {monitor['warm']['wall']:.2f} s peak {monitor['cold']['peak_mb']:.0f} MB")
                    if boat:
                        line += (f"; newsboat cold {boat['cold']['wall']:.2f} s; "
                                 f"ratio {monitor['cold']['wall'] / boat['cold']['wall']:.2f}")
                    print(line, file=sys.stderr, flush=True)
                    shutil.rmtree(base)
    load_after = os.getloadavg()
    print(f"farm: {farm['feeds']} feeds x {args.items} items of real news text ({farm['items']} items, "
          f"{farm['on_topic']} on the topic, one event), nginx on loopback (gzip, ETag/Last-Modified); "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"median (min–max) of {args.runs} runs")
    for variant in variants:
        runs = results[variant]
        hosts = 1 if variant == "one" else MANY_HOSTS
        cold = [r["monitor"]["cold"] for r in runs]
        warm = [r["monitor"]["warm"] for r in runs]
        print(f"\n{args.feeds} feeds on {hosts} host{'s' if hosts > 1 else ''}")
        print(f"  monitor cold   {spread([c['wall'] for c in cold])} s wall, {spread([c['cpu'] for c in cold])} s CPU   "
              f"{cold[0]['new_items']} new items, "
              f"{cold[0]['matched']} matched, {cold[0]['alerts_queued']} alerts, {cold[0]['failed']} failed; "
              f"peak RSS {spread([c['peak_mb'] for c in cold], '{:.0f}')} MB (all processes)   target <= "
              f"{TARGETS['peak_mb']:g} MB: {'ok' if max(c['peak_mb'] for c in cold) <= TARGETS['peak_mb'] else 'OVER'}")
        print(f"  monitor warm   {spread([w['wall'] for w in warm])} s wall, {spread([w['cpu'] for w in warm])} s CPU, "
              f"poll alone {spread([w['seconds'] for w in warm])} s   {warm[0]['not_modified']} unchanged   "
              f"target <= {TARGETS['warm_s']:g} s: {'ok' if max(w['wall'] for w in warm) <= TARGETS['warm_s'] else 'OVER'}")
        if runs[0]["newsboat"]:
            boats = [r["newsboat"] for r in runs]
            ratios = [r["monitor"]["cold"]["wall"] / r["newsboat"]["cold"]["wall"] for r in runs]
            print(f"  newsboat cold  {spread([b['cold']['wall'] for b in boats])} s wall, "
                  f"{spread([b['cold']['cpu'] for b in boats])} s CPU   {boats[0]['items']} items; "
                  f"peak RSS {spread([b['cold']['peak_mb'] for b in boats], '{:.0f}')} MB")
            cpu_ratios = [r["monitor"]["cold"]["cpu"] / r["newsboat"]["cold"]["cpu"] for r in runs]
            print(f"  cold CPU ratio monitor / newsboat  {spread(cpu_ratios)}")
            print(f"  cold ratio monitor / newsboat (same run)  {spread(ratios)}   target <= "
                  f"{TARGETS['cold_ratio']:g}: {'ok' if max(ratios) <= TARGETS['cold_ratio'] else 'OVER'}")
    if args.json:
        print(json.dumps({"farm": farm, "results": results, "load": [load_before, load_after]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
