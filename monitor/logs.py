"""Logging for the daemon and commands: one format, and secrets masked on the way out.

Alert URLs carry tokens and passwords. Every fragment of them that could be a secret
is registered here, and a filter on the root handler masks it in any record, whatever
library wrote it, so no log line can leak one.
"""
from __future__ import annotations

import logging
import sys

_secrets: set[str] = set()
_longest_first: tuple[str, ...] = ()  # _secrets, sorted once per registration


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: leave it to the handler's own error path
                return True
            record.msg, record.args = mask(message), None
            if record.exc_info and not record.exc_text:
                # A traceback can quote a URL too; the formatter uses exc_text when set.
                record.exc_text = mask(_FORMATTER.formatException(record.exc_info))
            elif record.exc_text:
                record.exc_text = mask(record.exc_text)
        return True


_FORMATTER = logging.Formatter()


def mask(text: str) -> str:
    """`text` with every registered secret replaced by ****."""
    for secret in _longest_first:
        text = text.replace(secret, "****")
    return text


def register_secrets(fragments) -> None:
    global _longest_first
    _secrets.update(f for f in fragments if f and len(f) >= 4)
    # Longest first, so that a secret containing another is masked whole.
    _longest_first = tuple(sorted(_secrets, key=len, reverse=True))


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter at INFO would drown the feed lines.
    for noisy in ("httpx", "httpcore", "apscheduler.executors"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Its WARNING for a tick skipped because the job still runs comes every tick of a
    # long run; the daemon counts those itself (job_busy in `monitor status`).
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    # Apprise's warnings are how a send learns why it failed (its per-service result
    # collects them only at WARNING and above); monitor.alert.sender logs them, masked, in one
    # line per failed target, so they do not go to the handler a second time.
    apprise_log = logging.getLogger("apprise")
    apprise_log.setLevel(logging.WARNING)
    apprise_log.propagate = False
