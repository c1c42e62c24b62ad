"""Items, where each was seen, how each matched, and the analyst's reviews."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from monitor.models import Item, MatchResult
from monitor.store.clock import iso


class ItemsMixin:
    def known_guids(self, feed_id: int, guids: Iterable[str]) -> set[str]:
        """The GUIDs of `guids` this feed has delivered before."""
        guids = list(guids)
        known: set[str] = set()
        # Chunks keep under SQLite's host-parameter limit.
        for start in range(0, len(guids), 500):
            chunk = guids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                f"SELECT guid FROM item_sources WHERE feed_id = ? AND guid IN ({marks})",
                [feed_id, *chunk],
            )
            known.update(r["guid"] for r in rows)
        return known

    def find_same_item(self, url: str | None, content_hash: str) -> int | None:
        """An item already stored under this canonical URL or content."""
        row = self.query_one("SELECT id FROM items WHERE content_hash = ?", (content_hash,))
        if row is None and url:
            row = self.query_one("SELECT id FROM items WHERE url = ? LIMIT 1", (url,))
        return row["id"] if row else None

    def same_items(self, hashes: list[str], urls: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """Stored items with any of these content hashes or canonical URLs, in two queries
        per 500 keys: ({content_hash: item id}, {url: lowest item id with that URL})."""
        by_hash: dict[str, int] = {}
        by_url: dict[str, int] = {}
        for column, keys, found in (("content_hash", hashes, by_hash), ("url", urls, by_url)):
            keys = sorted(set(keys))
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for row in self.query(f"SELECT {column} AS k, MIN(id) AS id FROM items "
                                      f"WHERE {column} IN ({marks}) GROUP BY {column}", chunk):
                    found[row["k"]] = row["id"]
        return by_hash, by_url

    def next_item_id(self) -> int:
        """The id the next stored item gets (what SQLite itself would give it). Taken
        inside a write transaction, it stays free until that transaction ends."""
        return self.query_one("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM items")["id"]

    def add_items(self, feed_id: int, items: list[tuple[int, Item]], fetched_at: datetime) -> None:
        """Store new items of one feed, (id, item) pairs with ids from `next_item_id`,
        in one statement. Must run inside the write transaction that took the ids."""
        stamp = iso(fetched_at)
        self.executemany(
            "INSERT INTO items(id, feed_id, guid, url, link, title, text, author, published, "
            "fetched_at, lang, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(item_id, feed_id, item.guid, item.url, item.link, item.title, item.text, item.author,
              iso(item.published), stamp, item.lang, item.content_hash) for item_id, item in items])

    def add_sources(self, rows: list[tuple[int, str, int, datetime]]) -> None:
        """Record (feed_id, guid, item_id, seen_at) sightings in one statement."""
        stamps: dict[datetime, str | None] = {}  # a feed's sightings share one time
        self.executemany(
            "INSERT OR IGNORE INTO item_sources(feed_id, guid, item_id, seen_at) VALUES (?, ?, ?, ?)",
            [(feed_id, guid, item_id, stamps.get(seen_at) or stamps.setdefault(seen_at, iso(seen_at)))
             for feed_id, guid, item_id, seen_at in rows])

    def add_item(self, feed_id: int, item: Item, fetched_at: datetime) -> int:
        cursor = self.execute(
            "INSERT INTO items(feed_id, guid, url, link, title, text, author, published, "
            "fetched_at, lang, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (feed_id, item.guid, item.url, item.link, item.title, item.text, item.author,
             iso(item.published), iso(fetched_at), item.lang, item.content_hash),
        )
        item_id = cursor.lastrowid
        self.add_source(feed_id, item.guid, item_id, fetched_at)
        return item_id

    def add_source(self, feed_id: int, guid: str, item_id: int, seen_at: datetime) -> None:
        self.execute(
            "INSERT OR IGNORE INTO item_sources(feed_id, guid, item_id, seen_at) VALUES (?, ?, ?, ?)",
            (feed_id, guid, item_id, iso(seen_at)),
        )

    def save_match(
        self,
        item_id: int,
        result: MatchResult,
        created_at: datetime,
        *,
        story_id: int | None = None,
        relation: str | None = None,
        relation_reason: str | None = None,
        alerted: bool = False,
        quiet_reason: str | None = None,
    ) -> None:
        self.execute(
            "INSERT OR REPLACE INTO matches(item_id, topic, matched, score, threshold, concepts, "
            "hits, reasons, story_id, relation, relation_reason, alerted, quiet_reason, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item_id, result.topic, int(result.matched), round(result.score, 4),
                result.threshold, json.dumps(result.concepts, ensure_ascii=False),
                json.dumps([h.__dict__ for h in result.hits], ensure_ascii=False),
                json.dumps(result.reasons, ensure_ascii=False), story_id, relation,
                relation_reason, int(alerted), quiet_reason, iso(created_at),
            ),
        )

    def list_matches(
        self, *, topic: str | None = None, limit: int = 50, since: datetime | None = None,
        story_id: int | None = None, include_unmatched: bool = False,
    ) -> list[dict]:
        clauses, params = [], []
        if not include_unmatched:
            clauses.append("m.matched = 1")
        if topic:
            clauses.append("m.topic = ?")
            params.append(topic)
        if since:
            clauses.append("m.created_at >= ?")
            params.append(iso(since))
        if story_id is not None:
            clauses.append("m.story_id = ?")
            params.append(story_id)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self.query(
            "SELECT i.id, i.title, COALESCE(i.link, i.url) AS url, COALESCE(f.name, f.title, f.url) AS feed, i.lang, "
            "m.topic, m.score, m.threshold, m.story_id AS story, i.published, i.fetched_at, "
            "m.relation, m.alerted, m.quiet_reason, m.concepts, r.verdict AS review "
            "FROM matches m JOIN items i ON i.id = m.item_id JOIN feeds f ON f.id = i.feed_id "
            "LEFT JOIN reviews r ON r.item_id = m.item_id AND r.topic = m.topic "
            f"{where} ORDER BY COALESCE(i.published, i.fetched_at) DESC, i.id DESC LIMIT ?",
            [*params, limit],
        )

    def get_item(self, item_id: int) -> dict | None:
        item = self.query_one(
            "SELECT i.*, COALESCE(f.name, f.title, f.url) AS feed FROM items i "
            "JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?",
            (item_id,),
        )
        if item is None:
            return None
        # `url` is what the analyst clicks: the link as published; the identity stays
        # available as `canonical_url`.
        item["canonical_url"] = item["url"]
        item["url"] = item["link"] or item["url"]
        item["matches"] = self.query(
            "SELECT m.*, r.verdict AS review FROM matches m LEFT JOIN reviews r "
            "ON r.item_id = m.item_id AND r.topic = m.topic WHERE m.item_id = ?",
            (item_id,),
        )
        for match in item["matches"]:
            for key in ("concepts", "hits", "reasons"):
                match[key] = json.loads(match[key])
        item["sources"] = self.query(
            "SELECT s.feed_id, COALESCE(f.name, f.title, f.url) AS feed, s.guid, s.seen_at "
            "FROM item_sources s JOIN feeds f ON f.id = s.feed_id WHERE s.item_id = ? ORDER BY s.seen_at",
            (item_id,),
        )
        return item

    def save_review(self, item_id: int, topic: str, verdict: str, at: datetime) -> None:
        with self.write():
            self.execute(
                "INSERT OR REPLACE INTO reviews(item_id, topic, verdict, reviewed_at) VALUES (?, ?, ?, ?)",
                (item_id, topic, verdict, iso(at)),
            )

    def reviewed_items(self, topic: str | None = None) -> list[dict]:
        """Reviewed items as labelled rows, the shape `monitor topic eval` reads."""
        params: list = []
        where = ""
        if topic:
            where = "WHERE r.topic = ?"
            params.append(topic)
        rows = self.query(
            "SELECT i.id, i.lang, i.title, i.text AS summary, COALESCE(i.link, i.url) AS url, i.published, r.topic, "
            "r.verdict FROM reviews r JOIN items i ON i.id = r.item_id " + where + " ORDER BY i.id",
            params,
        )
        for row in rows:
            row["label"] = "relevant" if row.pop("verdict") == "relevant" else "negative"
        return rows

    def prune_items(self, before: datetime, batch: int = 5000) -> int:
        """Forget unmatched, unreviewed items fetched before `before`; returns how many.

        Matched items stay for good (they are the analyst's record, and their identity is
        what keeps a reprint from alerting again). A pruned item that a feed still carries
        is simply matched again, with the same result. Short batches keep the write lock
        brief for the daemon and the CLI.
        """
        total = 0
        while True:
            with self.write():
                ids = [r["id"] for r in self.query(
                    "SELECT id FROM items i WHERE fetched_at < ? "
                    "AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.item_id = i.id) "
                    "AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.item_id = i.id) "
                    "AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.item_id = i.id) LIMIT ?",
                    (iso(before), batch))]
                if not ids:
                    return total
                marks = ",".join("?" * len(ids))
                self.execute(f"DELETE FROM item_sources WHERE item_id IN ({marks})", ids)
                self.execute(f"DELETE FROM items WHERE id IN ({marks})", ids)
            total += len(ids)

    def item_counts(self) -> dict:
        row = self.query_one(
            "SELECT (SELECT COUNT(*) FROM items) AS items, "
            "(SELECT COUNT(*) FROM matches WHERE matched = 1) AS matches, "
            "(SELECT COUNT(*) FROM stories) AS stories"
        )
        return dict(row)
