"""Full-text search over every stored item: SQLite FTS5 through sqlite-utils.

The index holds each item's title and text in the matcher's normal form
(`monitor.topic.textnorm`), every word followed by the readings the matcher would try
(Arabic without attached و ب ل ال, Russian without its case ending), so a query typed
any common way finds the item: `اس 400` finds `إس-400`, `Турция` finds `Турции`,
`turkiye` finds `Türkiye'nin`.

Normalising costs about as much as matching, so it stays off the poll's path: triggers on
`items` only note which items are new or changed (`items_search_pending`, a few
microseconds), whichever method stores them, and a pruned item leaves the index at once.
`update_search_index()` normalises the noted items in short batches; the daemon runs it
after every poll tick and `search_items()` runs it before searching, so a search never
misses an item.

    items --trigger--> items_search_pending(item_id)
          --update_search_index()--> items_search(item_id, title, text)   normalised text
          --sqlite-utils triggers--> items_search_fts                     FTS5, content=items_search
"""
from __future__ import annotations

import re
from datetime import datetime

from monitor.store.clock import iso
from monitor.topic.textnorm import normalize, token_variants, tokens

INDEX_BATCH = 200  # items per write transaction: ~30 ms of normalising
_PREFIX_WORD = re.compile(r"(\S+\*)")


def search_text(text: str | None) -> str:
    """The indexed form of `text`: normalised words, each followed by its other readings."""
    if not text:
        return ""
    return " ".join(v for token in tokens(normalize(text)) for v in token_variants(token))


def fts_query(query: str) -> str:
    """An FTS5 expression for what the analyst typed: every word must occur, in any of
    its readings; a trailing * keeps its meaning (prefix). Raises ValueError when the
    query holds no word at all."""
    clauses = []
    # Normalised as a whole, not word by word: "اس 400" is one designation (s400).
    for segment in _PREFIX_WORD.split(query):
        prefix = segment.endswith("*")
        words = tokens(normalize(segment.rstrip("*")))
        for number, word in enumerate(words):
            star = "*" if prefix and number == len(words) - 1 else ""
            readings = [f'"{v}"{star}' for v in token_variants(word)]
            clauses.append(readings[0] if len(readings) == 1 else "(" + " OR ".join(readings) + ")")
    if not clauses:
        raise ValueError(f"{query!r} holds no word to search for")
    return " AND ".join(clauses)


def create_index(db) -> None:
    """The migration's body: the table, its FTS5 index (sqlite-utils), the triggers that
    note new, changed and pruned items, and every item stored so far noted as new."""
    db.execute("CREATE TABLE items_search (item_id INTEGER PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL)")
    db["items_search"].enable_fts(["title", "text"], fts_version="FTS5", create_triggers=True)
    # A word in the headline says more about an item than one in its body, which is many
    # times longer: five times, so a headline hit outranks one in a short body.
    db.execute("INSERT INTO items_search_fts(items_search_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)')")
    note_changes(db)


# Plain SQL, no Python function: any connection may store or prune items.
_TRIGGERS = """
    CREATE TABLE IF NOT EXISTS items_search_pending (item_id INTEGER PRIMARY KEY);
    DROP TRIGGER IF EXISTS items_index_insert;
    DROP TRIGGER IF EXISTS items_index_update;
    DROP TRIGGER IF EXISTS items_index_delete;
    CREATE TRIGGER items_index_insert AFTER INSERT ON items BEGIN
        INSERT OR IGNORE INTO items_search_pending(item_id) VALUES (new.id);
    END;
    CREATE TRIGGER items_index_update AFTER UPDATE OF title, text ON items BEGIN
        INSERT OR IGNORE INTO items_search_pending(item_id) VALUES (new.id);
    END;
    CREATE TRIGGER items_index_delete AFTER DELETE ON items BEGIN
        DELETE FROM items_search WHERE item_id = old.id;
        DELETE FROM items_search_pending WHERE item_id = old.id;
    END;
    INSERT OR IGNORE INTO items_search_pending(item_id)
        SELECT id FROM items WHERE id NOT IN (SELECT item_id FROM items_search);
"""


def note_changes(db) -> None:
    """The triggers that note new, changed and pruned items, and every item not yet in the
    index noted. Idempotent."""
    db.executescript(_TRIGGERS)


class SearchMixin:
    def update_search_index(self, batch: int = INDEX_BATCH, limit: int | None = None) -> int:
        """Normalise and index the items noted since the last call, `batch` per short
        write transaction; at most `limit` items (None: all). Returns how many."""
        done = 0
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            with self.write():
                rows = self.query(
                    "SELECT p.item_id, i.title, i.text FROM items_search_pending p "
                    "LEFT JOIN items i ON i.id = p.item_id ORDER BY p.item_id LIMIT ?", (size,))
                if not rows:
                    return done
                for row in rows:
                    if row["title"] is not None:  # else pruned meanwhile
                        self.execute(
                            "INSERT OR REPLACE INTO items_search(item_id, title, text) VALUES (?, ?, ?)",
                            (row["item_id"], search_text(row["title"]), search_text(row["text"])))
                marks = ",".join("?" * len(rows))
                self.execute(f"DELETE FROM items_search_pending WHERE item_id IN ({marks})",
                             [r["item_id"] for r in rows])
            done += len(rows)
        return done

    def search_backlog(self) -> int:
        """Items stored but not yet in the search index."""
        return self.query_one("SELECT COUNT(*) AS n FROM items_search_pending")["n"]

    def search_items(
        self, query: str, *, topic: str | None = None, since: datetime | None = None,
        matched: bool = False, limit: int = 50,
    ) -> list[dict]:
        """Items whose title or text holds every word of `query`, best first: items with
        every word in the headline, then FTS5 rank, then newest.

        `since` bounds the fetch time; `topic` keeps items matched to that topic, `matched`
        items matched to any. Each row: id, title, url, feed, lang, published, fetched_at,
        topic, score, story, matched (0/1), review, text (its first 300 characters), headline
        (1 when every word is in the headline), rank (FTS5's bm25: lower is better; near 0
        for a word in most items).
        Raises ValueError for a query with no word. Indexes what is pending first.
        """
        expression = fts_query(query)
        self.update_search_index()
        clauses, args = [], {}
        if since is not None:
            clauses.append("item_id IN (SELECT id FROM items WHERE fetched_at >= :since)")
            args["since"] = iso(since)
        if topic or matched:
            sub = "SELECT item_id FROM matches WHERE matched = 1" + (" AND topic = :topic" if topic else "")
            clauses.append(f"item_id IN ({sub})")
            if topic:
                args["topic"] = topic
        where = " AND ".join(clauses)
        # bm25 weighs a word by its rarity: one in more than half the items (the topic's
        # own name, in a topic's database) gets next to no weight, and the headline weight
        # set in create_index() with it. So a headline hit is ranked first outright, then
        # bm25, then the newest item.
        sql = (
            "SELECT s.item_id, f.rank AS rank, "
            "s.item_id IN (SELECT rowid FROM items_search_fts WHERE items_search_fts MATCH :headline) AS headline "
            "FROM items_search s JOIN items_search_fts f ON f.rowid = s.rowid "
            "WHERE items_search_fts MATCH :query" + (f" AND {where}" if where else "") +
            " ORDER BY headline DESC, f.rank, s.item_id DESC LIMIT :limit")
        args.update(query=expression, headline=f"title : ({expression})", limit=limit)
        with self._lock:
            hits = [dict(r) for r in self.db.query(sql, args)]
        if not hits:
            return []
        rank = {h["item_id"]: h["rank"] for h in hits}
        headline = {h["item_id"]: h["headline"] for h in hits}
        marks = ",".join("?" * len(rank))
        rows = self.query(
            "SELECT i.id, i.title, COALESCE(i.link, i.url) AS url, COALESCE(f.name, f.title, f.url) AS feed, i.lang, i.published, "
            "i.fetched_at, m.topic, m.score, m.story_id AS story, COALESCE(m.matched, 0) AS matched, "
            "r.verdict AS review, substr(i.text, 1, 300) AS text "
            "FROM items i JOIN feeds f ON f.id = i.feed_id "
            "LEFT JOIN matches m ON m.item_id = i.id AND m.matched = 1 "
            "LEFT JOIN reviews r ON r.item_id = i.id AND r.topic = m.topic "
            f"WHERE i.id IN ({marks})", list(rank))
        unique: dict[int, dict] = {}
        for row in rows:  # an item matched to two topics is one result
            row["rank"] = round(rank[row["id"]], 4)
            row["headline"] = headline[row["id"]]
            unique.setdefault(row["id"], row)
        return sorted(unique.values(), key=lambda r: (-r["headline"], r["rank"], -r["id"]))
