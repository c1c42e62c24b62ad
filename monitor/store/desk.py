"""Reads for the analyst's desk (monitor/desk): the triage queue, backtest batches."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from monitor.store.clock import iso


def probe_write(path: str | Path, timeout: float, now: datetime) -> str | None:
    """For the health check: one real write (`health_checked_at`) on its own connection,
    waiting at most `timeout` seconds for the lock, and the last poll time read with it.

    Not a Store: opening one runs migrations and waits out the 30 s busy timeout, longer
    than a health check may take. Raises sqlite3.Error when the database takes no write
    (locked, read-only, disk full, missing).
    """
    if not Path(path).is_file():
        raise sqlite3.OperationalError(f"{path} does not exist")
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'last_poll_at'").fetchone()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO meta(key, value) VALUES ('health_checked_at', ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = excluded.value", (iso(now),))
        conn.execute("COMMIT")
        return row[0] if row else None
    finally:
        conn.close()


class DeskMixin:
    def triage_queue(self, topic: str | None = None, limit: int = 500) -> list[dict]:
        """Matched items nobody has reviewed, newest story first, newest report first within
        a story. Each row: id, title, url, feed, lang, published, fetched_at, text, topic,
        score, threshold, reasons (list), concepts (dict), story, story_title,
        story_last_seen, story_items, story_langs (list)."""
        params: list = []
        where = "m.matched = 1 AND r.item_id IS NULL"
        if topic:
            where += " AND m.topic = ?"
            params.append(topic)
        rows = self.query(
            "SELECT i.id, i.title, COALESCE(i.link, i.url) AS url, COALESCE(f.name, f.title, f.url) AS feed, i.lang, i.published, "
            "i.fetched_at, i.text, m.topic, m.score, m.threshold, m.reasons, m.concepts, m.story_id AS story, "
            "s.title AS story_title, s.last_seen AS story_last_seen, s.item_count AS story_items, "
            "s.langs AS story_langs FROM matches m JOIN items i ON i.id = m.item_id "
            "JOIN feeds f ON f.id = i.feed_id LEFT JOIN stories s ON s.id = m.story_id "
            "LEFT JOIN reviews r ON r.item_id = m.item_id AND r.topic = m.topic "
            f"WHERE {where} ORDER BY COALESCE(s.last_seen, m.created_at) DESC, m.story_id DESC, "
            "COALESCE(i.published, i.fetched_at) DESC, i.id DESC LIMIT ?", [*params, limit])
        for row in rows:
            row["reasons"] = json.loads(row["reasons"])
            row["concepts"] = json.loads(row["concepts"])
            row["story_langs"] = json.loads(row["story_langs"] or "[]")
        return rows

    def story_reports(self, story_id: int, limit: int = 50) -> list[dict]:
        """A story's items, oldest first: id, title, feed, lang, published, review."""
        return self.query(
            "SELECT i.id, i.title, COALESCE(f.name, f.title, f.url) AS feed, i.lang, i.published, "
            "r.verdict AS review FROM matches m JOIN items i ON i.id = m.item_id "
            "JOIN feeds f ON f.id = i.feed_id LEFT JOIN reviews r ON r.item_id = m.item_id AND r.topic = m.topic "
            "WHERE m.story_id = ? ORDER BY COALESCE(i.published, i.fetched_at), i.id LIMIT ?",
            (story_id, limit))

    def items_fetched_since(self, since: datetime, after_id: int = 0, limit: int = 500) -> list[dict]:
        """A batch of items fetched since `since` with id > after_id, by id: id, title,
        text, lang, url, published, fetched_at, feed."""
        return self.query(
            "SELECT i.id, i.title, i.text, i.lang, COALESCE(i.link, i.url) AS url, i.published, i.fetched_at, "
            "COALESCE(f.name, f.title, f.url) AS feed FROM items i JOIN feeds f ON f.id = i.feed_id "
            "WHERE i.fetched_at >= ? AND i.id > ? ORDER BY i.id LIMIT ?", (iso(since), after_id, limit))

    def stored_matches(self, item_ids: list[int]) -> dict[tuple[int, str], dict]:
        """(item_id, topic) -> {matched, score} for these items."""
        if not item_ids:
            return {}
        marks = ",".join("?" * len(item_ids))
        rows = self.query(f"SELECT item_id, topic, matched, score FROM matches WHERE item_id IN ({marks})",
                          list(item_ids))
        return {(r["item_id"], r["topic"]): r for r in rows}

    def item_row(self, item_id: int) -> dict | None:
        return self.query_one("SELECT * FROM items WHERE id = ?", (item_id,))

    def set_item_language(self, item_id: int, lang: str) -> None:
        with self.write():
            self.execute("UPDATE items SET lang = ? WHERE id = ?", (lang, item_id))

    # --- metrics (monitor/desk/metrics.py) ------------------------------------------

    def all_meta(self) -> dict[str, str | None]:
        return {r["key"]: r["value"] for r in self.query("SELECT key, value FROM meta")}

    def feed_states(self) -> list[dict]:
        """Every feed that is not removed: enabled, gone, error_count, last_error,
        last_status, last_success_at."""
        return self.query("SELECT enabled, gone, error_count, last_error, last_status, last_success_at "
                          "FROM feeds WHERE origin != 'removed'")

    def counts_by_topic(self) -> dict[str, dict[str, int]]:
        """{"matches": {topic: n}, "stories": {topic: n}}."""
        return {
            "matches": {r["topic"]: r["n"] for r in self.query(
                "SELECT topic, COUNT(*) AS n FROM matches WHERE matched = 1 GROUP BY topic")},
            "stories": {r["topic"]: r["n"] for r in self.query(
                "SELECT topic, COUNT(*) AS n FROM stories GROUP BY topic")},
        }

    def item_total(self) -> int:
        return self.query_one("SELECT COUNT(*) AS n FROM items")["n"]

    def last_fetch_success(self) -> str | None:
        return self.query_one("SELECT MAX(last_success_at) AS t FROM feeds")["t"]

    def send_latencies(self) -> list[float]:
        """Seconds from queueing to delivery of every sent alert (test messages aside)."""
        # julianday difference: the store keeps ISO times in UTC.
        rows = self.query(
            "SELECT (julianday(sent_at) - julianday(created_at)) * 86400.0 AS s FROM alerts "
            "WHERE status = 'sent' AND sent_at IS NOT NULL AND kind != 'test'")
        return [max(r["s"] or 0.0, 0.0) for r in rows]
