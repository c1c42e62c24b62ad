"""Durations as people write them: `30s`, `10m`, `1h`, `2d`, `1h30m`."""
from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_WHOLE = re.compile(r"^(?:\s*\d+(?:\.\d+)?\s*[smhdw])+\s*$")


def parse_duration(text: str | int | float) -> timedelta:
    """Parse `text` ("30s", "10m", "1h30m"...) into a timedelta.

    A bare number (`7`, `"15"`) is refused rather than read as seconds: `backfill = 7`
    is far more likely to mean days than seconds. Raises ValueError with a one-line
    message that shows the accepted forms.
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration (use 30s, 10m, 1h, 2d)")
    value = str(text).strip().lower()
    if re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        number = value.lstrip("-")
        raise ValueError(f"{text!r} has no unit: write a duration like 15m, 1h or 2d "
                         f"({number}s if seconds are meant)")
    if not _WHOLE.match(value):
        raise ValueError(f"{text!r} is not a duration (use 30s, 10m, 1h, 2d)")
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value))
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest readable form: 90 s -> "1m30s", 2 days -> "2d"."""
    seconds = int(round(delta.total_seconds()))
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts[:2])
