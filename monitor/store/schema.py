"""The schema, as numbered migrations recorded in the database itself.

A new column or table is a new function here; an applied migration is never edited.
"""
from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from monitor.store.search import create_index as create_search_index, note_changes

migrations = Migrations("feed-monitor")


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            name TEXT,
            origin TEXT NOT NULL DEFAULT 'config',   -- config | cli | opml
            enabled INTEGER NOT NULL DEFAULT 1,
            poll_interval_s INTEGER,                 -- NULL: the configured default
            added_at TEXT NOT NULL,
            title TEXT,
            etag TEXT,
            last_modified TEXT,
            last_checked_at TEXT,
            last_success_at TEXT,
            first_success_at TEXT,
            last_status INTEGER,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            next_check_at TEXT,
            ttl_s INTEGER,
            gone INTEGER NOT NULL DEFAULT 0,
            moved_from TEXT,
            items_seen INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id),
            guid TEXT NOT NULL,
            url TEXT,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            author TEXT,
            published TEXT,
            fetched_at TEXT NOT NULL,
            lang TEXT NOT NULL,
            content_hash TEXT NOT NULL
        );
        CREATE UNIQUE INDEX items_content_hash ON items(content_hash);
        CREATE INDEX items_url ON items(url);
        CREATE INDEX items_fetched ON items(fetched_at);
        -- Every (feed, guid) ever seen, so that an unchanged entry is skipped before
        -- any normalisation or matching work, and one item carried by several feeds
        -- stays one item.
        CREATE TABLE item_sources (
            feed_id INTEGER NOT NULL REFERENCES feeds(id),
            guid TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id),
            seen_at TEXT NOT NULL,
            PRIMARY KEY (feed_id, guid)
        ) WITHOUT ROWID;
        CREATE INDEX item_sources_item ON item_sources(item_id);
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            title TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            item_count INTEGER NOT NULL DEFAULT 1,
            langs TEXT NOT NULL DEFAULT '[]',
            outlets TEXT NOT NULL DEFAULT '[]',
            state TEXT NOT NULL DEFAULT '{}',
            related_to INTEGER REFERENCES stories(id),
            breaking INTEGER NOT NULL DEFAULT 0,
            alerted_at TEXT,
            alert_snapshot TEXT                      -- counts at the last alert
        );
        CREATE INDEX stories_topic_seen ON stories(topic, last_seen);
        CREATE TABLE matches (
            item_id INTEGER NOT NULL REFERENCES items(id),
            topic TEXT NOT NULL,
            matched INTEGER NOT NULL,
            score REAL NOT NULL,
            threshold REAL NOT NULL,
            concepts TEXT NOT NULL,
            hits TEXT NOT NULL,
            reasons TEXT NOT NULL,
            story_id INTEGER REFERENCES stories(id),
            relation TEXT,
            relation_reason TEXT,
            alerted INTEGER NOT NULL DEFAULT 0,
            quiet_reason TEXT,                       -- why a match raised no alert
            created_at TEXT NOT NULL,
            PRIMARY KEY (item_id, topic)
        );
        CREATE INDEX matches_story ON matches(story_id);
        CREATE INDEX matches_created ON matches(matched, created_at);
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            topic TEXT,
            story_id INTEGER REFERENCES stories(id),
            item_id INTEGER REFERENCES items(id),
            kind TEXT NOT NULL,                      -- new | update | digest | test
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            body_html TEXT,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed | expired
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            claimed_until TEXT,
            sent_at TEXT,
            last_error TEXT
        );
        CREATE INDEX alerts_due ON alerts(status, next_attempt_at);
        CREATE INDEX alerts_story ON alerts(story_id);
        -- One row per (alert, target): a target that succeeded is never sent the same
        -- alert again while another target is retried.
        CREATE TABLE alert_targets (
            alert_id INTEGER NOT NULL REFERENCES alerts(id),
            target TEXT NOT NULL,                    -- stable id: a hash of the URL
            label TEXT NOT NULL,                     -- the URL with secrets masked
            status TEXT NOT NULL,                    -- sent | failed | expired
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT,
            sent_at TEXT,
            PRIMARY KEY (alert_id, target)
        ) WITHOUT ROWID;
        CREATE TABLE reviews (
            item_id INTEGER NOT NULL REFERENCES items(id),
            topic TEXT NOT NULL,
            verdict TEXT NOT NULL,                   -- relevant | irrelevant
            reviewed_at TEXT NOT NULL,
            PRIMARY KEY (item_id, topic)
        );
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        """
    )


@migrations(name="0002_alert_delivery")
def alert_delivery(db: Database) -> None:
    db.executescript(
        """
        -- NULL: the alert goes to every target; else only to this one (a target's digest).
        ALTER TABLE alerts ADD COLUMN target TEXT;
        -- Who holds the lease (host:pid), so a restarted daemon can take back at once
        -- what its killed predecessor had claimed instead of waiting for the lease to end.
        ALTER TABLE alerts ADD COLUMN claimed_by TEXT;
        -- A target over its hourly cap holds the alert (status 'held') until a digest
        -- for that target carries it (status 'digested', digest_id = the digest alert).
        ALTER TABLE alert_targets ADD COLUMN digest_id INTEGER;
        ALTER TABLE alert_targets ADD COLUMN held_at TEXT;
        CREATE INDEX alert_targets_target ON alert_targets(target, status, sent_at);
        """
    )


@migrations(name="0003_feed_body_hash")
def feed_body_hash(db: Database) -> None:
    # A server that ignores conditional GET sends the same bytes again; their hash lets
    # the poll skip parsing them.
    db.execute("ALTER TABLE feeds ADD COLUMN body_hash TEXT")


@migrations(name="0004_item_search")
def item_search(db: Database) -> None:
    # Full-text search over every item, in the matcher's normal form (store/search.py).
    create_search_index(db)


@migrations(name="0005_item_search_off_poll_path")
def item_search_off_poll_path(db: Database) -> None:
    # Databases indexed by the first 0004 normalised inside each insert; now inserts only
    # note the item and the index catches up later (store/search.py).
    note_changes(db)
    db.execute("INSERT INTO items_search_fts(items_search_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)')")
