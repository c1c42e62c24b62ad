"""SQLite storage: the only place that writes SQL.

One connection per Store; writers take `BEGIN IMMEDIATE` so that two processes (the
daemon and a CLI command) queue on the busy timeout instead of failing with "database is
locked" when a read transaction tries to upgrade. WAL lets readers run beside a writer.
"""
from __future__ import annotations

import sqlite3
import threading
import time
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
        self._batch_seconds: float | None = None  # inside batch(): commit interval
        self._batch_began: float | None = None  # monotonic time the batch's transaction began

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
            # Each feed's writes are a savepoint inside a longer transaction (batch()); the
            # savepoint's journal of original pages goes to a temporary file unless told
            # otherwise, a write system call per page touched (700,000 on a cold poll of
            # 1,000 feeds). In memory it is the same journal at no cost: it lives for one
            # feed's statements, a few hundred KB.
            conn.execute("PRAGMA temp_store = MEMORY")
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
        """A short write transaction; nested calls join the outer one.

        Inside `batch()` it is a savepoint of the batch's transaction instead: it rolls
        back alone on an error, and commits with its neighbours.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            if self._batch_seconds is not None:
                yield from self._savepoint()
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

    def _savepoint(self) -> Iterator[Database]:
        if self._batch_began is None:
            self.conn.execute("BEGIN IMMEDIATE")
            self._batch_began = time.monotonic()
        self.conn.execute("SAVEPOINT one_write")
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self.conn.execute("ROLLBACK TO one_write")
            self.conn.execute("RELEASE one_write")
            raise
        else:
            self.conn.execute("RELEASE one_write")
            if time.monotonic() - self._batch_began >= self._batch_seconds:
                self.commit_batch()
        finally:
            self._depth = 0

    @contextmanager
    def batch(self, seconds: float = 1.0) -> Iterator[None]:
        """Many short writes (a poll's feeds, one `write()` each) in a few transactions.

        Each `write()` inside is all or nothing as before, but what it wrote commits with
        the writes around it: when `seconds` have passed since the transaction began (at
        the end of a write), at `commit_batch()` (call it before waiting for anything) and
        at the end of the batch. A commit costs far more than a feed's few statements.
        Holds this store's lock throughout (other threads of this process wait) and the
        database's write lock while a transaction is open (other processes wait on the
        busy timeout).
        """
        with self._lock:
            self._batch_seconds, self._batch_began = seconds, None
            try:
                yield
            finally:
                # Only released savepoints are in the transaction: whole writes.
                self.commit_batch()
                self._batch_seconds = None

    def batch_due_in(self) -> float | None:
        """Seconds until the open batch transaction is due to commit; None if none is open."""
        if self._batch_began is None or self._batch_seconds is None:
            return None
        return max(0.0, self._batch_seconds - (time.monotonic() - self._batch_began))

    def commit_batch(self) -> None:
        """Commit the writes of the batch so far (nothing to do outside a batch)."""
        with self._lock:
            if self._batch_began is not None and not self._depth:
                self.conn.execute("COMMIT")
                self._batch_began = None

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
