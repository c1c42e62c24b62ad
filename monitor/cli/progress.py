"""Progress of a poll on stderr, without a write per feed.

On a terminal one line is rewritten in place (at most ten times a second); otherwise (a
log file, a pipe, systemd's journal) a line is written once a second at most. Each failing
feed still gets a line of its own, naming the feed and its error, since that is what the
user must act on.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class PollProgress:
    """The `progress` callback of `pipeline.poll_once`: call it as (outcome, done, total);
    `close()` ends the line. `interval` (seconds) overrides the pace."""

    def __init__(self, stream: TextIO | None = None, *, interval: float | None = None,
                 clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.1 if self.tty else 1.0)
        self.clock = clock
        self._last = clock()
        self._open = False  # a line is on the terminal without its newline
        self.new_items = self.matched = self.failed = self.unchanged = 0

    def __call__(self, outcome, done: int, total: int) -> None:
        self.new_items += outcome.new_items
        self.matched += outcome.matched
        self.unchanged += outcome.unchanged
        if outcome.error:
            self.failed += 1
            self._write(f"{outcome.url}: {outcome.error}", end=True)
        now = self.clock()
        if done == total or now - self._last >= self.interval:
            self._last = now
            self._write(self.line(done, total), end=not self.tty)

    def line(self, done: int, total: int) -> str:
        return (f"[{done}/{total}] feeds: {self.unchanged} unchanged, {self.new_items} new items, "
                f"{self.matched} matched, {self.failed} failed")

    def close(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def _write(self, text: str, *, end: bool) -> None:
        if self.tty:
            text = "\r\x1b[K" + text  # back to the start of the line and clear it
        elif self._open:
            text = "\n" + text
        self.stream.write(text + ("\n" if end else ""))
        self.stream.flush()
        self._open = not end
