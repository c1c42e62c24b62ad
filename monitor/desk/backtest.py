"""What the current lexicon would have matched: stored items scored again.

`backtest()` reads every item stored since a time (matched or not: unmatched items are
kept for `[monitor] retention`), scores it with the topics as they are now, and compares
with the matches stored when the item arrived:

    new       matches now, did not then (a form or rule was added, a weight raised)
    dropped   matched then, not now (a look-alike or a stricter rule excludes it)

each with the reasons the matcher gives now. `apply_new()` records the new matches and
files them into stories exactly as a poll would (same grouping, same window), but queues
no alert: the past is not news. Dropped matches are listed, never deleted: they are the
record of what was alerted.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from monitor.config import Config
from monitor.parse.language import detect_language
from monitor.store import Store, iso, parse_iso, utcnow
from monitor.story.book import StoryBook, file_quietly
from monitor.topic.match import Topic, match_item

BATCH = 500
APPLIED = "backtest: recorded by `monitor topic backtest --apply`; the past raises no alert"


@dataclass
class Change:
    item_id: int
    topic: str
    change: str  # "new" or "dropped"
    title: str
    feed: str
    lang: str
    fetched_at: str
    score_then: float | None  # None: not matched then
    score_now: float
    threshold: float
    reasons: list[str]  # the matcher's reasons now
    url: str | None = None
    story: int | None = None  # set by apply_new


@dataclass
class BacktestReport:
    since: str
    items: int = 0  # items scored
    still_matched: int = 0
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict:
        return {"since": self.since, "items": self.items, "still_matched": self.still_matched,
                "new": sum(c.change == "new" for c in self.changes),
                "dropped": sum(c.change == "dropped" for c in self.changes)}


def backtest(store: Store, topics: list[Topic], since: datetime) -> BacktestReport:
    """Score every item fetched since `since` with `topics`; list what changed, oldest first."""
    report = BacktestReport(since=iso(since))
    last_id = 0
    while True:
        rows = store.items_fetched_since(since, last_id, BATCH)
        if not rows:
            break
        last_id = rows[-1]["id"]
        then = store.stored_matches([r["id"] for r in rows])
        for row in rows:
            report.items += 1
            for topic in topics:
                result = match_item(topic, row["title"], row["text"], row["lang"])
                before = then.get((row["id"], topic.name))
                was = bool(before and before["matched"])
                if was and result.matched:
                    report.still_matched += 1
                    continue
                if was == result.matched:
                    continue
                report.changes.append(Change(
                    item_id=row["id"], topic=topic.name, change="new" if result.matched else "dropped",
                    title=row["title"], feed=row["feed"], lang=row["lang"], fetched_at=row["fetched_at"],
                    score_then=before["score"] if was else None, score_now=result.score,
                    threshold=result.threshold, reasons=result.reasons, url=row["url"]))
    report.changes.sort(key=lambda c: (c.fetched_at, c.item_id))
    return report


def apply_new(store: Store, config: Config, topics: list[Topic], report: BacktestReport) -> int:
    """Record the report's new matches and their stories, in arrival order, without alerts.

    Returns how many were recorded. One transaction: all or nothing.
    """
    by_name = {t.name: t for t in topics}
    book = StoryBook(store, config.story_window)
    recorded = 0
    with store.write():
        for change in report.changes:
            if change.change != "new":
                continue
            topic = by_name[change.topic]
            item = store.item_row(change.item_id)
            if item is None:  # pruned meanwhile
                continue
            lang = item["lang"]
            if not lang or lang == "und":
                lang = detect_language(f"{item['title']}\n{item['text']}")
                store.set_item_language(item["id"], lang)
            result = match_item(topic, item["title"], item["text"], lang)
            arrived = parse_iso(item["fetched_at"]) or utcnow()
            story_id, decision = file_quietly(
                store, config, topic, book, item["id"], item["title"], item["text"], lang,
                parse_iso(item["published"]), result, arrived, change.feed)
            store.save_match(item["id"], result, arrived, story_id=story_id, relation=decision.relation,
                             relation_reason=decision.reason, alerted=False, quiet_reason=APPLIED)
            change.story = story_id
            recorded += 1
        book.checkpoint()
    return recorded


def change_json(change: Change) -> dict:
    return asdict(change)
