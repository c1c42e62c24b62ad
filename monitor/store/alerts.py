"""The alert outbox and each target's delivery record."""
from __future__ import annotations

from datetime import datetime, timedelta

from monitor.store.clock import iso


class AlertsMixin:
    def enqueue_alert(
        self, *, topic: str | None, story_id: int | None, item_id: int | None, kind: str,
        title: str, body: str, body_html: str | None, now: datetime, expires_at: datetime,
    ) -> int:
        """Queue an alert. Call inside the transaction that stores what it reports."""
        cursor = self.execute(
            "INSERT INTO alerts(topic, story_id, item_id, kind, title, body, body_html, created_at, "
            "status, next_attempt_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (topic, story_id, item_id, kind, title, body, body_html, iso(now), iso(now), iso(expires_at)),
        )
        return cursor.lastrowid

    def claim_due_alerts(self, now: datetime, lease: timedelta, limit: int = 50) -> list[dict]:
        """Alerts due for a try, leased so that a second sender leaves them alone.

        The lease ends by itself, so an alert claimed by a process that then died is
        taken up again rather than stuck.
        """
        with self.write():
            rows = self.query(
                "SELECT * FROM alerts WHERE status IN ('pending', 'failed') AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY id LIMIT ?",
                (iso(now), iso(now), limit),
            )
            for row in rows:
                self.execute(
                    "UPDATE alerts SET claimed_until = ? WHERE id = ?", (iso(now + lease), row["id"])
                )
            return rows

    def release_alert(self, alert_id: int) -> None:
        with self.write():
            self.execute("UPDATE alerts SET claimed_until = NULL WHERE id = ?", (alert_id,))

    def delivered_targets(self, alert_id: int) -> set[str]:
        rows = self.query(
            "SELECT target FROM alert_targets WHERE alert_id = ? AND status = 'sent'", (alert_id,)
        )
        return {r["target"] for r in rows}

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

    def finish_attempt(
        self, alert_id: int, *, status: str, now: datetime, next_attempt_at: datetime | None,
        error: str | None,
    ) -> None:
        with self.write():
            self.execute(
                "UPDATE alerts SET status = ?, attempts = attempts + 1, claimed_until = NULL, "
                "next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?, "
                "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                (status, iso(next_attempt_at), error, status, iso(now), alert_id),
            )
            if status == "expired":
                self.execute(
                    "UPDATE alert_targets SET status = 'expired' WHERE alert_id = ? AND status != 'sent'",
                    (alert_id,),
                )

    def get_alert(self, alert_id: int) -> dict | None:
        alert = self.query_one("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        if alert is not None:
            alert["targets"] = self.alert_targets(alert_id)
        return alert

    def alert_targets(self, alert_id: int) -> list[dict]:
        return self.query(
            "SELECT target, label, status, attempts, last_error, next_attempt_at, sent_at "
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
            f"next_attempt_at, sent_at, last_error FROM alerts {where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        for row in rows:
            row["targets"] = self.alert_targets(row["id"])
        return rows

    def retry_alerts(self, now: datetime, alert_id: int | None = None, new_expiry: datetime | None = None) -> int:
        """Make failed or expired alerts due now; returns how many."""
        with self.write():
            if alert_id is not None:
                cursor = self.execute(
                    "UPDATE alerts SET status = 'failed', next_attempt_at = ?, claimed_until = NULL, "
                    "expires_at = MAX(expires_at, ?) WHERE id = ? AND status != 'sent'",
                    (iso(now), iso(new_expiry or now), alert_id),
                )
            else:
                cursor = self.execute(
                    "UPDATE alerts SET status = 'failed', next_attempt_at = ?, claimed_until = NULL, "
                    "expires_at = MAX(expires_at, ?) WHERE status IN ('failed', 'expired')",
                    (iso(now), iso(new_expiry or now)),
                )
            return cursor.rowcount

    def alert_counts(self) -> dict:
        rows = self.query("SELECT status, COUNT(*) AS n FROM alerts GROUP BY status")
        counts = {"pending": 0, "sent": 0, "failed": 0, "expired": 0}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts

    def alerts_sent_since(self, target: str, since: datetime) -> int:
        row = self.query_one(
            "SELECT COUNT(*) AS n FROM alert_targets WHERE target = ? AND status = 'sent' AND sent_at >= ?",
            (target, iso(since)),
        )
        return row["n"]
