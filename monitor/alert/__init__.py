"""Alerts: message formats within each service's limits (format), Apprise targets (targets),
digests of held alerts (digest) and at-least-once delivery from the outbox (sender)."""
