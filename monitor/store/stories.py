"""Stories: the events that matched items are folded into."""
from __future__ import annotations

import json
from datetime import datetime

from monitor.store.clock import iso


class StoriesMixin:
    def candidate_stories(self, topic: str, since: datetime, limit: int = 2000) -> list[dict]:
        """Stories of `topic` seen since `since`, newest first, with their JSON state."""
        return self.query(
            "SELECT * FROM stories WHERE topic = ? AND last_seen >= ? ORDER BY last_seen DESC LIMIT ?",
            (topic, iso(since), limit),
        )

    def create_story(
        self, topic: str, title: str, seen_at: datetime, state: str, langs: list[str],
        outlets: list[str], related_to: int | None = None,
    ) -> int:
        cursor = self.execute(
            "INSERT INTO stories(topic, title, first_seen, last_seen, item_count, langs, outlets, "
            "state, related_to) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (topic, title, iso(seen_at), iso(seen_at), json.dumps(langs),
             json.dumps(outlets, ensure_ascii=False), state, related_to),
        )
        return cursor.lastrowid

    def update_story(
        self, story_id: int, *, seen_at: datetime, item_count: int, langs: list[str],
        outlets: list[str], state: str, breaking: bool,
    ) -> None:
        self.execute(
            "UPDATE stories SET last_seen = MAX(last_seen, ?), item_count = ?, langs = ?, "
            "outlets = ?, state = ?, breaking = MAX(breaking, ?) WHERE id = ?",
            (iso(seen_at), item_count, json.dumps(langs), json.dumps(outlets, ensure_ascii=False),
             state, int(breaking), story_id),
        )

    def mark_story_alerted(self, story_id: int, at: datetime, snapshot: dict) -> None:
        self.execute(
            "UPDATE stories SET alerted_at = ?, alert_snapshot = ? WHERE id = ?",
            (iso(at), json.dumps(snapshot, ensure_ascii=False), story_id),
        )

    def get_story(self, story_id: int) -> dict | None:
        story = self.query_one("SELECT * FROM stories WHERE id = ?", (story_id,))
        if story is None:
            return None
        for key in ("langs", "outlets"):
            story[key] = json.loads(story[key])
        story.pop("state", None)
        story["items"] = self.list_matches(story_id=story_id, limit=1000)
        return story

    def list_stories(self, topic: str | None = None, limit: int = 50) -> list[dict]:
        params: list = []
        where = ""
        if topic:
            where = "WHERE topic = ?"
            params.append(topic)
        rows = self.query(
            "SELECT id, topic, title, first_seen, last_seen, item_count, langs, outlets, breaking, "
            f"related_to, alerted_at FROM stories {where} ORDER BY last_seen DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        for row in rows:
            row["langs"] = json.loads(row["langs"])
            row["outlets"] = json.loads(row["outlets"])
        return rows
