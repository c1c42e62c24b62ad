"""The dev set served as real feeds on loopback: the relevant news alerts, nothing repeats."""
from __future__ import annotations

from collections import defaultdict

from conftest import load_dev_set, rss
from monitor.config import load_config
from monitor.demo.loopback import FeedServer, Route
from monitor.pipeline import build_runtime, poll_once
from monitor.store import Store


def dev_feeds(rows: list[dict]) -> dict[str, Route]:
    """One feed per language and label group, so every feed mixes on- and off-topic news."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for number, row in enumerate(rows):
        groups[f"/{row['lang']}-{number % 4}.xml"].append(
            {"title": row["title"], "summary": row["summary"], "url": row["url"], "guid": row["id"]})
    return {path: Route(rss(items, path)) for path, items in groups.items()}


def test_poll_over_the_dev_set_alerts_relevant_news_once(monitor_setup):
    rows = [r for r in load_dev_set() if r["label"] != "borderline"]
    relevant = {r["id"] for r in rows if r["label"] == "relevant"}
    with FeedServer(dev_feeds(rows)) as server:
        setup = monitor_setup([server.url(p) for p in server.routes])
        config = load_config(setup.config_path, environ={})
        store = Store.open(config.database)
        store.sync_feeds(config.feeds)
        runtime = build_runtime(config)
        try:
            first = poll_once(store, runtime, everything=True)
            second = poll_once(store, runtime, everything=True)
        finally:
            runtime.close()
    print(f"\ndev set as {first.feeds} feeds: {first.entries} items polled in {first.seconds:.2f}s, "
          f"{first.matched} matched, {first.alerts} alerts")
    matched = {r["guid"] for r in store.query(
        "SELECT s.guid FROM matches m JOIN item_sources s ON s.item_id = m.item_id WHERE m.matched = 1")}
    assert first.failed == 0 and first.entries == len(rows)
    recall = len(matched & relevant) / len(relevant)
    precision = len(matched & relevant) / max(len(matched), 1)
    assert recall >= 0.9 and precision >= 0.9, (precision, recall)
    # Languages beyond English are found too.
    langs = {r["lang"] for r in rows if r["id"] in matched}
    assert {"en", "ar", "tr", "ru"} <= langs
    # Stories fold reports of one event: fewer alerts than matched items, but at least one.
    assert 0 < first.alerts < first.matched
    # Nothing changed: every feed answers 304 and nothing new is stored or alerted.
    assert (second.not_modified, second.new_items, second.alerts) == (first.feeds, 0, 0)
    store.close()
