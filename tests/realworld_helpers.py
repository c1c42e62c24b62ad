"""A monitor on loopback for real-world feed cases: the exact bytes and headers from a
FeedServer, the same calls the daemon makes (poll_once, then send_due_alerts), a real
SQLite file, and alerts posted by Apprise to a real webhook receiver."""
from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape
from pathlib import Path
from typing import Callable

from conftest import SHARED, write_config
from monitor.alert.sender import send_due_alerts
from monitor.alert.targets import build_targets
from monitor.config import load_config
from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.pipeline import build_runtime, poll_once
from monitor.store import Store

REALWORLD = SHARED / "fixtures" / "realworld"


def fixture(name: str) -> bytes:
    return (REALWORLD / name).read_bytes()


def sequence(*routes: Route) -> Callable[[], Route]:
    """A route that answers the K-th request with the K-th route (the last one after that)."""
    served = {"n": 0}

    def next_route() -> Route:
        route = routes[min(served["n"], len(routes) - 1)]
        served["n"] += 1
        return route

    return next_route


def plain(text: str | None) -> str:
    """How the cases compare text: NFC, runs of whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


class Monitor:
    """Feeds served by `routes`, polled and delivered like the daemon does it."""

    def __init__(self, directory: Path, routes: dict, feeds: list[str], alert_urls: list[str] = (),
                 extra: str = ""):
        self.directory = directory
        self.server = FeedServer(routes)
        self.webhook = WebhookReceiver()
        self.feed_paths = feeds
        self.alert_urls = list(alert_urls)
        self.extra = extra
        self.reports = []

    def __enter__(self) -> "Monitor":
        self.server.__enter__()
        self.webhook.__enter__()
        path = write_config(self.directory, [self.server.url(p) for p in self.feed_paths],
                            [self.webhook.apprise_url(), *self.alert_urls], self.extra)
        self.config = load_config(path, environ={})
        self.store = Store.open(self.config.database)
        self.store.sync_feeds(self.config.feeds)
        self.runtime = build_runtime(self.config)
        self.targets = build_targets(self.config.alerts)
        return self

    def __exit__(self, *exc) -> None:
        self.runtime.close()
        self.store.close()
        self.webhook.__exit__(*exc)
        self.server.__exit__(*exc)

    def poll(self):
        """One poll of every feed, then one delivery round; the poll's report."""
        report = poll_once(self.store, self.runtime, everything=True)
        send_due_alerts(self.store, self.targets, self.config.alerts)
        self.reports.append(report)
        return report

    def items(self) -> list[dict]:
        return self.store.query("SELECT * FROM items ORDER BY id")

    def by_guid(self) -> dict[str, dict]:
        return {row["guid"]: row for row in self.items()}

    def alerts(self) -> list[dict]:
        """What the webhook received: Apprise's JSON posts (title, message)."""
        return list(self.webhook.received)

    def feed_row(self) -> dict:
        return self.store.list_feeds()[0]


def hand_rss(items: list[dict], encoding: str = "utf-8", declare: bool = True, namespaces: str = "",
             channel: tuple[str, str] = ("Desk", "https://desk.example/"), escape_description: bool = True) -> str:
    """An RSS 2.0 document written by hand, as faulty feeds are: each item a dict of
    title/link/guid/pubDate (escaped), `raw` (inserted as given) and `description`
    (escaped, or as given with escape_description=False: escaped markup stays escaped).
    Items are dated unless they say otherwise, so that a first poll alerts them."""
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    parts = [f'{head}<rss version="2.0" {namespaces}><channel><title>{channel[0]}</title><link>{channel[1]}</link>']
    for item in items:
        item = {"pubDate": "Tue, 03 Mar 2026 10:00:00 GMT", **item}
        parts.append("<item>")
        for tag in ("title", "link", "guid", "pubDate"):
            if item.get(tag) is not None:
                parts.append(f"<{tag}>{escape(item[tag])}</{tag}>")
        parts.append(item.get("raw", ""))
        if item.get("description") is not None:
            description = item["description"]
            parts.append(f"<description>{escape(description) if escape_description else description}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts)
