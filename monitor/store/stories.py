"""Stories: the events that matched items are folded into."""
from __future__ import annotations

import json
from datetime import datetime

from monitor.store.clock import iso


class StoriesMixin:
    def candidate_stories(self, topic: str, since: datetime, limit: int = 2000) -> list[dict]:
        """Stories of `topic` seen since `since`, newest first, with their JSON state
        (`state` folds the first `state_seq` members; see `story_members_after`)."""
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

    def add_story_member(self, story_id: int, seq: int, item_id: int | None, seen_at: str,
                         outlet: str, features: str) -> None:
        """Record one member joining a story: a row of constant size, whatever the story's.

        `seq` is the member's number in the story (1 for the first), `seen_at` ISO-8601
        text, `features` the member's `StoryFeatures` as JSON. The story is marked pending
        until `checkpoint_stories` folds its members into the stored state.
        """
        self.execute(
            "INSERT INTO story_members(story_id, seq, item_id, seen_at, outlet, features) "
            "VALUES (?, ?, ?, ?, ?, ?)", (story_id, seq, item_id, seen_at, outlet, features))
        self.execute("INSERT OR IGNORE INTO stories_pending(story_id) VALUES (?)", (story_id,))

    def story_members_after(self, story_ids: list[int]) -> dict[int, list[dict]]:
        """Members not yet folded into each story's stored state, in joining order."""
        out: dict[int, list[dict]] = {sid: [] for sid in story_ids}
        for start in range(0, len(story_ids), 500):
            chunk = story_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(
                "SELECT m.story_id, m.seq, m.seen_at, m.outlet, m.features FROM story_members m "
                f"JOIN stories s ON s.id = m.story_id WHERE m.story_id IN ({marks}) "
                "AND m.seq > s.state_seq ORDER BY m.story_id, m.seq", chunk):
                out[row["story_id"]].append(row)
        return out

    def pending_stories(self) -> list[dict]:
        """Stories with members not folded into their stored state (a poll that stopped
        before its checkpoint), with their rows as `candidate_stories` gives them."""
        return self.query(
            "SELECT s.* FROM stories s JOIN stories_pending p ON p.story_id = s.id ORDER BY s.id")

    def checkpoint_stories(self, rows: list[dict]) -> None:
        """Write back whole story states, one statement for all of them.

        Each row: id, last_seen (datetime), item_count, langs and outlets (lists), state
        (JSON text of the first `state_seq` members folded together), state_seq, breaking.
        """
        if not rows:
            return
        params = [
            (iso(r["last_seen"]), r["item_count"], json.dumps(r["langs"]),
             json.dumps(r["outlets"], ensure_ascii=False), r["state"], r["state_seq"],
             int(r["breaking"]), r["id"])
            for r in rows
        ]
        with self.write():
            # Never backwards: another process may have written a later state meanwhile.
            self.executemany(
                "UPDATE stories SET last_seen = MAX(last_seen, ?), item_count = ?, langs = ?, "
                "outlets = ?, state = ?, state_seq = ?, breaking = MAX(breaking, ?) "
                "WHERE id = ? AND state_seq <= ?",
                [(*p, p[5]) for p in params])
            # Still pending if members beyond the written state exist (another process's).
            self.executemany(
                "DELETE FROM stories_pending WHERE story_id = ? AND NOT EXISTS (SELECT 1 FROM "
                "story_members m JOIN stories s ON s.id = m.story_id WHERE m.story_id = ? "
                "AND m.seq > s.state_seq)", [(r["id"], r["id"]) for r in rows])

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
