"""Feeds and their fetch state: validators, health, schedule."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from monitor.store.clock import iso, utcnow

if TYPE_CHECKING:
    from monitor.config import FeedConfig


# One definition of a feed's state for every query, list and count (feeds, status,
# metrics, the daemon, the poll). A feed `monitor feeds remove`d is kept for its items
# with origin 'removed' and is neither listed nor polled, even while the configuration
# file still names it, until `monitor feeds add URL` brings it back.
LISTED = "origin != 'removed'"
ENABLED = "enabled = 1 AND origin != 'removed'"
POLLED = ENABLED + " AND gone = 0"


class FeedsMixin:
    def sync_feeds(self, feeds: Iterable["FeedConfig"]) -> None:
        """Make the feeds table follow the configuration.

        Feeds added with `monitor feeds add` or OPML import are kept; a feed dropped from
        the configuration is disabled, not deleted, so its items and history survive. A
        configured feed removed with `monitor feeds remove` stays removed (see LISTED).
        """
        now = iso(utcnow())
        wanted = {f.url: f for f in feeds}
        with self.write():
            existing = {}
            for row in self.query("SELECT id, url, moved_from, origin FROM feeds"):
                existing[row["url"]] = row
                if row["moved_from"]:
                    # A feed that answered 301 moved: its configured (old) URL is this row.
                    existing.setdefault(row["moved_from"], row)
            for url, feed in wanted.items():
                interval = int(feed.poll_interval.total_seconds()) if feed.poll_interval else None
                if url in existing:
                    self.execute(
                        "UPDATE feeds SET name = ?, poll_interval_s = ?, "
                        "enabled = CASE WHEN origin = 'removed' THEN 0 ELSE ? END WHERE id = ?",
                        (feed.name, interval, int(feed.enabled), existing[url]["id"]),
                    )
                else:
                    self.execute(
                        "INSERT INTO feeds(url, name, origin, enabled, poll_interval_s, added_at) "
                        "VALUES (?, ?, 'config', ?, ?, ?)",
                        (url, feed.name, int(feed.enabled), interval, now),
                    )
            kept = {existing[url]["id"] for url in wanted if url in existing}
            for url, row in existing.items():
                if row["origin"] == "config" and row["id"] not in kept:
                    self.execute("UPDATE feeds SET enabled = 0 WHERE id = ?", (row["id"],))

    def add_feed(self, url: str, name: str | None = None, origin: str = "cli") -> int:
        with self.write():
            row = self.query_one("SELECT id, enabled FROM feeds WHERE url = ?", (url,))
            if row:
                # Added again: whatever stopped it (removed, 410 Gone) is forgiven.
                self.execute(
                    "UPDATE feeds SET enabled = 1, gone = 0, name = COALESCE(?, name), next_check_at = NULL, "
                    "origin = CASE WHEN origin = 'removed' THEN ? ELSE origin END WHERE id = ?",
                    (name, origin, row["id"]))
                return row["id"]
            cursor = self.execute(
                "INSERT INTO feeds(url, name, origin, added_at) VALUES (?, ?, ?, ?)",
                (url, name, origin, iso(utcnow())),
            )
            return cursor.lastrowid

    def remove_feed(self, feed_id: int) -> bool:
        """Forget a feed. One whose items are stored is disabled instead, keeping them."""
        with self.write():
            if not self.query_one("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)):
                return False
            if self.query_one("SELECT 1 FROM item_sources WHERE feed_id = ? LIMIT 1", (feed_id,)):
                self.execute("UPDATE feeds SET enabled = 0, origin = 'removed' WHERE id = ?", (feed_id,))
            else:
                self.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
            return True

    def get_feed(self, feed_id: int) -> dict | None:
        return self.query_one("SELECT * FROM feeds WHERE id = ?", (feed_id,))

    def find_feed(self, key: str) -> dict | None:
        """A feed by numeric ID or by exact URL."""
        if key.isdigit():
            return self.get_feed(int(key))
        return self.query_one("SELECT * FROM feeds WHERE url = ?", (key,))

    def list_feeds(self, include_removed: bool = False) -> list[dict]:
        """Every feed row (see LISTED), by ID; removed ones too with `include_removed`."""
        where = "" if include_removed else f"WHERE {LISTED}"
        return self.query(f"SELECT * FROM feeds {where} ORDER BY id")

    def due_feeds(self, now: datetime, everything: bool = False) -> list[dict]:
        """Enabled feeds whose next check has come (all enabled ones with `everything`)."""
        if everything:
            return self.query(f"SELECT * FROM feeds WHERE {POLLED} ORDER BY id")
        return self.query(
            f"SELECT * FROM feeds WHERE {POLLED} "
            "AND (next_check_at IS NULL OR next_check_at <= ?) ORDER BY next_check_at, id",
            (iso(now),),
        )

    def record_fetch(
        self,
        feed_id: int,
        *,
        now: datetime,
        next_check: datetime,
        status: int,
        error: str | None,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str | None = None,
        ttl_s: int | None = None,
        new_url: str | None = None,
        gone: bool = False,
        items_seen: int = 0,
        body_hash: str | None = None,
    ) -> None:
        """Record one fetch: success (error None) resets the error count."""
        stamp = iso(now)
        with self.write():
            if error is None:
                self.execute(
                    "UPDATE feeds SET last_checked_at = ?, last_success_at = ?, "
                    "first_success_at = COALESCE(first_success_at, ?), last_status = ?, "
                    "last_error = NULL, error_count = 0, next_check_at = ?, "
                    # Validators exactly as the last answer gave them (fetch keeps the
                    # sent ones on a 304): a stale ETag would be echoed for ever.
                    "etag = ?, last_modified = ?, "
                    "title = COALESCE(?, title), ttl_s = COALESCE(?, ttl_s), "
                    "body_hash = COALESCE(?, body_hash), items_seen = items_seen + ? WHERE id = ?",
                    (stamp, stamp, stamp, status, iso(next_check), etag, last_modified,
                     title, ttl_s, body_hash, items_seen, feed_id),
                )
            else:
                self.execute(
                    "UPDATE feeds SET last_checked_at = ?, last_status = ?, last_error = ?, "
                    "error_count = error_count + 1, next_check_at = ?, gone = ? WHERE id = ?",
                    (stamp, status, error, iso(next_check), int(gone), feed_id),
                )
            if new_url:
                self._move_feed(feed_id, new_url)

    def record_unchanged(self, rows: list[tuple[int, datetime, datetime, int, str | None, str | None]]) -> None:
        """Record many successful fetches that brought nothing new, in one transaction.

        Each row: (feed_id, now, next_check, status, etag, last_modified): what
        `record_fetch` with error None, no title, TTL, move or items would write.
        """
        if not rows:
            return
        params = [(iso(now), iso(now), iso(now), status, iso(next_check), etag, last_modified, feed_id)
                  for feed_id, now, next_check, status, etag, last_modified in rows]
        with self.write():
            self.executemany(
                "UPDATE feeds SET last_checked_at = ?, last_success_at = ?, "
                "first_success_at = COALESCE(first_success_at, ?), last_status = ?, "
                "last_error = NULL, error_count = 0, next_check_at = ?, "
                "etag = ?, last_modified = ? WHERE id = ?", params)

    def _move_feed(self, feed_id: int, new_url: str) -> None:
        # A permanent redirect moves the feed, unless the new URL is already a feed.
        if self.query_one("SELECT 1 FROM feeds WHERE url = ?", (new_url,)):
            return
        self.execute(
            "UPDATE feeds SET moved_from = url, url = ? WHERE id = ?", (new_url, feed_id)
        )

    def feed_health(self) -> dict:
        """Counts: feeds (listed), enabled, failing (enabled, last fetch failed), gone
        (410), removed (kept for their items, not polled); see LISTED."""
        row = self.query_one(
            f"SELECT SUM({LISTED}) AS feeds, SUM({ENABLED}) AS enabled, "
            f"SUM({ENABLED} AND error_count > 0) AS failing, SUM({LISTED} AND gone = 1) AS gone, "
            "SUM(origin = 'removed') AS removed FROM feeds"
        )
        return {k: row[k] or 0 for k in row}

    def failing_feeds(self, limit: int = 10) -> list[dict]:
        """Enabled feeds whose last fetch failed, most errors first: id, feed (name, title
        or URL), error_count, last_error, next_check_at."""
        return self.query(
            "SELECT id, COALESCE(name, title, url) AS feed, error_count, last_error, next_check_at "
            f"FROM feeds WHERE {ENABLED} AND error_count > 0 ORDER BY error_count DESC LIMIT ?", (limit,))

    def removed_feeds(self) -> list[dict]:
        """Feeds `monitor feeds remove`d (kept for their items, not polled): id, url,
        moved_from."""
        return self.query("SELECT id, url, moved_from FROM feeds WHERE origin = 'removed' ORDER BY id")
