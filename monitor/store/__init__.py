"""SQLite storage: the only place that writes SQL.

One connection per Store; writers take `BEGIN IMMEDIATE` so that two processes (the
daemon and a CLI command) queue on the busy timeout instead of failing with "database is
locked" when a read transaction tries to upgrade. WAL lets readers run beside a writer.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlite_utils import Database

from monitor.store.alerts import AlertsMixin
from monitor.store.clock import iso, parse_iso, utcnow
from monitor.store.desk import DeskMixin
from monitor.store.feeds import FeedsMixin
from monitor.store.items import ItemsMixin
from monitor.store.schema import migrations
from monitor.store.search import SearchMixin
from monitor.store.stories import StoriesMixin

__all__ = ["Store", "StoreError", "iso", "parse_iso", "utcnow"]

BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """A storage problem worded for the user (missing database, unknown ID...)."""


class Store(FeedsMixin, ItemsMixin, StoriesMixin, AlertsMixin, SearchMixin, DeskMixin):
    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.db = Database(conn)
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> "Store":
        path = Path(path)
        if not create and not path.exists():
            raise StoreError(f"database {path} does not exist yet (run `monitor poll` first)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable in WAL mode except for the last commits on power loss,
            # which the outbox tolerates (at-least-once, never twice from a crash).
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from None
        store = cls(conn, path)
        with store.write():
            migrations.apply(store.db)
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """A short write transaction; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]:
        with self._lock:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: tuple | list | dict = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple] | list[dict]) -> None:
        """One statement for many rows (one call into SQLite, not one per row)."""
        if rows:
            with self._lock:
                self.conn.executemany(sql, rows)

    # --- small key/value facts: last poll, daemon heartbeat, job error counts --------

    def set_meta(self, key: str, value: str | None) -> None:
        with self.write():
            self.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def get_meta(self, key: str) -> str | None:
        row = self.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    def bump_meta(self, key: str) -> None:
        with self.write():
            self.execute(
                "INSERT INTO meta(key, value) VALUES (?, '1') ON CONFLICT(key) "
                "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
                (key,),
            )
