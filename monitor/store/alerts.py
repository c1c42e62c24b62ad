"""The alert outbox and each target's delivery record.

An alert row is written in the transaction that stores what it reports. Each target's
outcome is a row of `alert_targets`, committed straight after that target's send:

    (no row) --send ok--> sent
             --send failed--> failed (next_attempt_at: that target's own back-off)
             --over the hourly cap--> held --carried by a digest--> digested
    failed/held rows of an alert that expires become expired.

An alert is `sent` when every target it is for has it (sent, or held/digested: the
digest then carries it), `failed` while some target still has to retry, `expired` when
it outlived `expires_at`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from monitor.store.clock import iso

DONE_FOR_TARGET = ("sent", "held", "digested")


class AlertsMixin:
    def enqueue_alert(
        self, *, topic: str | None, story_id: int | None, item_id: int | None, kind: str,
        title: str, body: str, body_html: str | None, now: datetime, expires_at: datetime,
        target: str | None = None,
    ) -> int:
        """Queue an alert. Call inside the transaction that stores what it reports.

        `target` addresses one target only (digests); None means every target.
        """
        with self.write():
            cursor = self.execute(
                "INSERT INTO alerts(topic, story_id, item_id, kind, title, body, body_html, created_at, "
                "status, next_attempt_at, expires_at, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                (topic, story_id, item_id, kind, title, body, body_html, iso(now), iso(now), iso(expires_at),
                 target),
            )
            return cursor.lastrowid

    # --- claiming -------------------------------------------------------------------

    def claim_due_alerts(
        self, now: datetime, lease: timedelta, limit: int = 50, owner: str | None = None,
    ) -> list[dict]:
        """Alerts due for a try, leased so that a second sender leaves them alone.

        The lease ends by itself, so an alert claimed by a process that then died is
        taken up again rather than stuck (sooner: see `release_claims`).
        """
        with self.write():
            rows = self.query(
                "SELECT * FROM alerts WHERE status IN ('pending', 'failed') AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY next_attempt_at, id LIMIT ?",
                (iso(now), iso(now), limit),
            )
            for row in rows:
                self.execute(
                    "UPDATE alerts SET claimed_until = ?, claimed_by = ? WHERE id = ?",
                    (iso(now + lease), owner, row["id"]),
                )
            return rows

    def renew_claim(self, alert_id: int, owner: str, until: datetime) -> bool:
        """Extend `owner`'s lease on one alert; False when it no longer holds it (the
        lease ran out during a long batch and another sender took the alert)."""
        with self.write():
            return self.execute(
                "UPDATE alerts SET claimed_until = ? WHERE id = ? AND claimed_by = ? "
                "AND status IN ('pending', 'failed')", (iso(until), alert_id, owner),
            ).rowcount == 1

    def release_alert(self, alert_id: int) -> None:
        with self.write():
            self.execute("UPDATE alerts SET claimed_until = NULL, claimed_by = NULL WHERE id = ?", (alert_id,))

    def claim_owners(self) -> set[str]:
        """Owners of the leases currently held."""
        rows = self.query("SELECT DISTINCT claimed_by FROM alerts WHERE claimed_until IS NOT NULL "
                          "AND claimed_by IS NOT NULL")
        return {r["claimed_by"] for r in rows}

    def release_claims(self, owner: str) -> int:
        """Hand back every lease `owner` holds (it exited or was killed)."""
        with self.write():
            return self.execute(
                "UPDATE alerts SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = ?", (owner,)
            ).rowcount

    # --- per-target results ---------------------------------------------------------

    def target_states(self, alert_id: int) -> dict[str, dict]:
        """Each target's row for this alert, by target id."""
        rows = self.query("SELECT * FROM alert_targets WHERE alert_id = ?", (alert_id,))
        return {r["target"]: r for r in rows}

    def record_target_result(
        self, alert_id: int, target: str, label: str, *, ok: bool, error: str | None,
        now: datetime, next_attempt_at: datetime | None,
    ) -> None:
        """One target's outcome, committed at once so a crash cannot resend it."""
        with self.write():
            self.execute(
                "INSERT INTO alert_targets(alert_id, target, label, status, attempts, last_error, "
                "next_attempt_at, sent_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?) "
                "ON CONFLICT(alert_id, target) DO UPDATE SET label = excluded.label, "
                "status = excluded.status, attempts = attempts + 1, last_error = excluded.last_error, "
                "next_attempt_at = excluded.next_attempt_at, sent_at = excluded.sent_at",
                (alert_id, target, label, "sent" if ok else "failed", error,
                 iso(next_attempt_at), iso(now) if ok else None),
            )

    def hold_for_digest(self, alert_id: int, target: str, label: str, now: datetime) -> None:
        """The target is over its cap: keep the alert for that target's next digest."""
        with self.write():
            self.execute(
                "INSERT INTO alert_targets(alert_id, target, label, status, attempts, held_at) "
                "VALUES (?, ?, ?, 'held', 0, ?) ON CONFLICT(alert_id, target) DO UPDATE SET "
                "status = 'held', label = excluded.label, held_at = excluded.held_at, "
                "next_attempt_at = NULL",
                (alert_id, target, label, iso(now)),
            )

    def finish_attempt(
        self, alert_id: int, *, status: str, now: datetime, next_attempt_at: datetime | None,
        error: str | None,
    ) -> None:
        with self.write():
            self.execute(
                "UPDATE alerts SET status = ?, attempts = attempts + 1, claimed_until = NULL, claimed_by = NULL, "
                "next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?, "
                "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                (status, iso(next_attempt_at), error, status, iso(now), alert_id),
            )
            if status == "expired":
                self.execute(
                    "UPDATE alert_targets SET status = 'expired', next_attempt_at = NULL "
                    "WHERE alert_id = ? AND status IN ('failed', 'held')",
                    (alert_id,),
                )

    # --- flood control and digests --------------------------------------------------

    def alerts_sent_since(self, target: str, since: datetime) -> int:
        """Messages (alerts and digests) this target received since `since`."""
        row = self.query_one(
            "SELECT COUNT(*) AS n FROM alert_targets WHERE target = ? AND status = 'sent' AND sent_at >= ?",
            (target, iso(since)),
        )
        return row["n"]

    def held_alerts(self, target: str) -> list[dict]:
        """Alerts held for `target` and not yet carried by a digest, oldest first."""
        return self.query(
            "SELECT a.id, a.topic, a.story_id, a.kind, a.title, a.created_at, t.held_at, "
            "(SELECT COALESCE(i.link, i.url) FROM items i WHERE i.id = a.item_id) AS url "
            "FROM alert_targets t JOIN alerts a ON a.id = t.alert_id "
            "WHERE t.target = ? AND t.status = 'held' ORDER BY a.id",
            (target,),
        )

    def pending_digest(self, target: str) -> int | None:
        """A digest for `target` still waiting to be delivered, if any."""
        row = self.query_one(
            "SELECT id FROM alerts WHERE target = ? AND kind = 'digest' AND status IN ('pending', 'failed') "
            "ORDER BY id LIMIT 1",
            (target,),
        )
        return row["id"] if row else None

    def enqueue_digest(
        self, *, target: str, title: str, body: str, body_html: str | None, carries: list[int],
        now: datetime, expires_at: datetime, meta: tuple[str, str] | None = None,
    ) -> int:
        """Queue a digest for one target, marking the held alerts it carries, atomically.

        `meta` (key, value) is recorded in the same transaction, so a periodic digest
        is queued once per period even across a crash.
        """
        with self.write():
            digest_id = self.enqueue_alert(
                topic=None, story_id=None, item_id=None, kind="digest", title=title, body=body,
                body_html=body_html, now=now, expires_at=expires_at, target=target,
            )
            for alert_id in carries:
                self.execute(
                    "UPDATE alert_targets SET status = 'digested', digest_id = ? "
                    "WHERE alert_id = ? AND target = ? AND status = 'held'",
                    (digest_id, alert_id, target),
                )
            if meta:
                self.set_meta(*meta)
            return digest_id

    def stories_seen_between(self, start: datetime, end: datetime, limit: int = 200) -> list[dict]:
        """Stories with news in [start, end), busiest first, with one link each."""
        return self.query(
            "SELECT s.id, s.topic, s.title, s.first_seen, s.last_seen, s.item_count, s.langs, s.outlets, "
            "s.breaking, (SELECT COALESCE(i.link, i.url) FROM matches m JOIN items i ON i.id = m.item_id "
            "WHERE m.story_id = s.id ORDER BY i.id LIMIT 1) AS url "
            "FROM stories s WHERE s.last_seen >= ? AND s.last_seen < ? "
            "ORDER BY s.item_count DESC, s.last_seen DESC LIMIT ?",
            (iso(start), iso(end), limit),
        )

    # --- reading --------------------------------------------------------------------

    def get_alert(self, alert_id: int) -> dict | None:
        alert = self.query_one("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        if alert is not None:
            alert["targets"] = self.alert_targets(alert_id)
        return alert

    def alert_targets(self, alert_id: int) -> list[dict]:
        return self.query(
            "SELECT target, label, status, attempts, last_error, next_attempt_at, sent_at, digest_id "
            "FROM alert_targets WHERE alert_id = ? ORDER BY label",
            (alert_id,),
        )

    def list_alerts(self, status: str | None = None, limit: int = 50) -> list[dict]:
        params: list = []
        where = ""
        if status:
            where = "WHERE status = ?"
            params.append(status)
        rows = self.query(
            "SELECT id, topic, story_id AS story, item_id, kind, title, created_at, status, attempts, "
            f"next_attempt_at, expires_at, sent_at, last_error, target FROM alerts {where} "
            "ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        for row in rows:
            row["targets"] = self.alert_targets(row["id"])
        return rows

    def retry_alerts(self, now: datetime, alert_id: int | None = None, new_expiry: datetime | None = None) -> int:
        """Make failed or expired alerts due now, every unsent target with them; returns how many."""
        with self.write():
            if alert_id is not None:
                ids = [r["id"] for r in self.query(
                    "SELECT id FROM alerts WHERE id = ? AND status != 'sent'", (alert_id,))]
            else:
                # Pending alerts waiting on a resting target are held back by a failure too.
                ids = [r["id"] for r in self.query(
                    "SELECT id FROM alerts WHERE status IN ('failed', 'expired') "
                    "OR (status = 'pending' AND next_attempt_at > ?)", (iso(now),))]
            for one in ids:
                self.execute(
                    "UPDATE alerts SET status = CASE WHEN status = 'pending' THEN 'pending' ELSE 'failed' END, "
                    "next_attempt_at = ?, claimed_until = NULL, "
                    "claimed_by = NULL, expires_at = MAX(expires_at, ?) WHERE id = ?",
                    (iso(now), iso(new_expiry or now), one),
                )
                # An expired target is tried again; a sent one never is.
                self.execute(
                    "UPDATE alert_targets SET status = 'failed', next_attempt_at = ? "
                    "WHERE alert_id = ? AND status IN ('failed', 'expired')",
                    (iso(now), one),
                )
            # Tells a running daemon to stop letting failed targets rest: try them now.
            self.set_meta("alerts_retried_at", f"{iso(now)} {len(ids)}")
            return len(ids)

    def alert_counts(self) -> dict:
        rows = self.query("SELECT status, COUNT(*) AS n FROM alerts GROUP BY status")
        counts = {"pending": 0, "sent": 0, "failed": 0, "expired": 0}
        counts.update({r["status"]: r["n"] for r in rows})
        held = self.query_one("SELECT COUNT(*) AS n FROM alert_targets WHERE status = 'held'")
        counts["held"] = held["n"] if held else 0
        return counts

    def alert_problems(self, limit: int = 10) -> list[dict]:
        """Failed and expired alerts, newest first, for `monitor status`."""
        return self.query(
            "SELECT id, kind, status, attempts, next_attempt_at, last_error, title FROM alerts "
            "WHERE status IN ('failed', 'expired') ORDER BY id DESC LIMIT ?",
            (limit,),
        )
