"""When a story alerts, and what an update says: pure policy over a `StoryState`.

`should_alert` decides "new" (a story's first alert) or "update" (grown enough since the
last alert, at most every `update_interval`); `is_breaking` flags unusually fast growth;
`update_summary` writes the update's line: the counts, then the new reports' headlines,
languages and outlets. The caller (`monitor.story.book`) keeps when a story last alerted
and a snapshot of its counts then. States come from `monitor.story.grouping`; this module
reads their fields only, so grouping can re-export these names without an import cycle.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from monitor.story.features import utc as _utc


@dataclass(frozen=True)
class StoryAlertPolicy:
    min_items: int = 1  # items a story needs before its first alert
    update_interval: timedelta = timedelta(hours=6)
    min_new_outlets: int = 3  # outlets new since the last alert that justify an update
    breaking_items: int = 5  # this many items ...
    breaking_outlets: int = 3  # ... from this many outlets ...
    breaking_window: timedelta = timedelta(minutes=60)  # ... within this time: breaking


def should_alert(state: Any, last_alert_at: datetime | None, now: datetime,
                 policy: StoryAlertPolicy) -> str | None:
    """"new" for a story's first alert, "update" when it grew enough since, else None.

    `state` is a `monitor.story.grouping.StoryState`; times are UTC (naive ones are taken
    as UTC); `last_alert_at` is None before the story's first alert.
    """
    now = _utc(now)
    if last_alert_at is None:
        return "new" if state.item_count >= policy.min_items else None
    last_alert_at = _utc(last_alert_at)
    if now - last_alert_at < policy.update_interval:
        return None
    grown = sum(1 for seen in state.outlets.values() if seen > last_alert_at)
    new_langs = sum(1 for seen in state.langs.values() if seen > last_alert_at)
    if grown >= policy.min_new_outlets or (new_langs and grown):
        return "update"
    return None


def is_breaking(state: Any, now: datetime, policy: StoryAlertPolicy) -> bool:
    """Unusually fast growth: many items from several outlets in a short time.

    `state` is a `monitor.story.grouping.StoryState`; its `recent` arrivals within
    `policy.breaking_window` before `now` are counted.
    """
    since = _utc(now) - policy.breaking_window
    recent = [(t, o) for t, o in state.recent if t >= since]
    return (len(recent) >= policy.breaking_items
            and len({o for _, o in recent}) >= policy.breaking_outlets)


_LANGUAGE_NAMES = {"en": "English", "ar": "Arabic", "tr": "Turkish", "ru": "Russian",
                   "fa": "Persian", "fr": "French", "de": "German", "it": "Italian",
                   "pt": "Portuguese", "es": "Spanish", "el": "Greek", "sr": "Serbian",
                   "zh": "Chinese", "ur": "Urdu", "he": "Hebrew", "uk": "Ukrainian"}


def update_summary(state: Any, since: "Any | Mapping[str, Any] | datetime",
                   shown: int = 3) -> str:
    """What is new in a story since its last alert, in one line: the counts, then the new
    reports' headlines with their language and outlet, e.g.
    '+2 outlets, now also in Arabic: new reports “Turkey tests S-400 off Sinop” (English,
    a.example); “تركيا تختبر…” (Arabic, b.example)'.

    `since` is the story as it was at the last alert, a mapping of its counts
    (`item_count`, `outlets`, `langs`) or the time of the last alert. At most `shown`
    headlines are named, newest last, and the rest counted; right-to-left headlines are
    isolated so that they do not reorder the line around them.
    """
    if isinstance(since, datetime):
        cut = _utc(since)
        old_outlets = {o for o, t in state.outlets.items() if t <= cut}
        old_langs = {lang for lang, t in state.langs.items() if t <= cut}
        old_items = None
        fresh = [h for h in state.headlines if h[0] > cut]
    else:
        if not isinstance(since, Mapping):  # a StoryState
            old_outlets, old_langs, old_items = set(since.outlets), set(since.langs), since.item_count
        else:
            old_outlets = set(since.get("outlets", ()))
            old_langs = set(since.get("langs", ()))
            old_items = since.get("item_count")
        more = state.item_count - old_items if old_items is not None else 0
        fresh = state.headlines[-more:] if more > 0 else []
    parts = []
    new_outlets = len(set(state.outlets) - old_outlets)
    if new_outlets:
        parts.append(f"+{new_outlets} outlet{'s' if new_outlets != 1 else ''}")
    if old_items is not None and state.item_count > old_items:
        more = state.item_count - old_items
        parts.append(f"+{more} item{'s' if more != 1 else ''}")
    langs = sorted(set(state.langs) - old_langs - {"und"})
    if langs:
        parts.append(f"now also in {_listed([_language(lang) for lang in langs])}")
    line = ", ".join(parts) or "no new outlets or languages"
    if not fresh:
        return line
    named = [f"“{_isolated(_clipped(title, 100))}” ({_language(lang)}, {outlet})"
             for _, lang, outlet, title in fresh[-shown:]]
    # The state keeps the latest headlines only; the item count knows how many are new.
    total = max(len(fresh), state.item_count - old_items) if old_items is not None else len(fresh)
    rest = total - len(named)
    return (f"{line}: new report{'s' if total != 1 else ''} " + "; ".join(named)
            + (f"; and {rest} more" if rest > 0 else ""))


def _language(code: str) -> str:
    return _LANGUAGE_NAMES.get(code, code)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _clipped(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _isolated(text: str) -> str:
    """Right-to-left text between Unicode isolates (FSI ... PDI)."""
    return f"\u2068{text}\u2069" if any("\u0590" <= ch <= "\u08ff" for ch in text) else text
