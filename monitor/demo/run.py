"""`monitor demo`: the whole path on bundled sample feeds, without internet.

Serves the sample feeds of monitor/demo/feeds on loopback, points a throw-away
configuration at them with a local webhook as the alert target, polls, and shows what
matched and what was delivered; then polls again to show that nothing repeats. The
feeds are fetched one at a time in file order, so every run tells the same story; each
run starts from an empty database (its triage verdicts too).
"""
from __future__ import annotations

from email.utils import format_datetime
from pathlib import Path
from typing import Callable

from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.store import utcnow

DEMO_FEEDS = Path(__file__).with_name("feeds")
PROJECT = Path(__file__).resolve().parents[2]


def _routes() -> dict[str, Route]:
    stamp = format_datetime(utcnow())
    return {
        f"/{path.name}": Route(path.read_text(encoding="utf-8").replace("{NOW}", stamp).encode("utf-8"))
        for path in sorted(DEMO_FEEDS.glob("*.xml"))
    }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def write_demo_config(workdir: Path, feeds: FeedServer, webhook: WebhookReceiver) -> Path:
    lexicon = PROJECT / "config" / "topics" / "s400-f35.toml"
    seeds = PROJECT / "seeds"
    if not lexicon.is_file() or not seeds.is_dir():
        raise FileNotFoundError(f"the demo runs from a source checkout ({lexicon} is missing)")
    lines = [
        "[monitor]",
        f'database = "{workdir / "demo.db"}"',
        "allow_private_networks = true   # the demo feeds are on loopback",
        'backfill = "7d"',
        # One fetch at a time, in the order below: a story's first report (and so the
        # first alert's text) is the same on every run, not whichever feed answered first.
        "max_workers = 1",
        "per_host_concurrency = 1",
        "",
    ]
    for path in sorted(DEMO_FEEDS.glob("*.xml")):
        lines += ["[[feed]]", f'url = "{feeds.url("/" + path.name)}"', f'name = "demo {path.stem}"', ""]
    lines += [
        "[[topic]]", 'name = "s400-f35"', f'seeds = ["{seeds}/*.txt"]', f'lexicon = "{lexicon}"', "",
        "[alerts]", f'urls = ["{webhook.apprise_url()}"]', "",
    ]
    path = workdir / "monitor.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_demo(workdir: Path, echo: Callable[[str], None]) -> int:
    from monitor.alert.sender import send_due_alerts
    from monitor.alert.targets import build_targets
    from monitor.config import load_config
    from monitor.pipeline import build_runtime, poll_once
    from monitor.store import Store

    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("demo.db*"):
        stale.unlink()
    with FeedServer(_routes()) as feeds, WebhookReceiver() as webhook:
        config = load_config(write_demo_config(workdir, feeds, webhook))
        echo(f"Serving {len(config.feeds)} sample feeds on {feeds.base_url}; alerts go to a webhook on port {webhook.port}.")
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        targets = build_targets(config.alerts)
        try:
            report = poll_once(store, runtime, everything=True)
            sent = send_due_alerts(store, targets, config.alerts)
            echo(f"\nFirst poll: {_n(report.feeds, 'feed')}, {_n(report.new_items, 'new item')}, "
                 f"{report.matched} matched, {_n(report.alerts, 'alert')} queued, {sent.sent} delivered.\n")
            echo("Matched items (monitor matches):")
            for row in store.list_matches(limit=20):
                echo(f"  #{row['id']} [{row['lang']}] score {row['score']:.1f} story s{row['story']}: {row['title']}")
            echo("\nAlerts the webhook received:")
            for message in webhook.received:
                echo(f"  {message.get('title')}")
            report2 = poll_once(store, runtime, everything=True)
            sent2 = send_due_alerts(store, targets, config.alerts)
            echo(f"\nSecond poll: {report2.not_modified} of {report2.feeds} feeds not modified, "
                 f"{_n(report2.new_items, 'new item')}, {_n(sent2.sent, 'alert')}: nothing repeats.")
        finally:
            runtime.close()
            store.close()
    echo(f"\nThe demo database is {config.database}; look around with:\n"
         f"  monitor --config {workdir / 'monitor.toml'} matches\n"
         f"  monitor --config {workdir / 'monitor.toml'} show 1\n"
         f"  monitor --config {workdir / 'monitor.toml'} stories\n"
         f"  monitor --config {workdir / 'monitor.toml'} alerts\n"
         f"  monitor --config {workdir / 'monitor.toml'} triage        # review with single keys\n"
         f"  monitor --config {workdir / 'monitor.toml'} search 'اس 400'\n"
         f"  monitor --config {workdir / 'monitor.toml'} web           # http://127.0.0.1:8001/monitor")
    return 0
