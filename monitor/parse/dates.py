"""A feed's date string to a UTC datetime, or None: never a date the string does not say.

feedparser's handlers are tried first (RFC 822 with its two-digit years and named zones,
W3C-DTF, asctime and the localised forms it knows), except its loose ISO 8601 reader:
that one reads `2019/7/12 10:00:00` as 1 November 2019, inventing a month and a day.
What none of them reads goes to `dateutil`, which knows the common forms publishers
write by hand (`2019/7/12 10:00:00`, `7/17/2019 3:30:00 PM`, `15 July 2019 - 09:01`),
and is accepted only when the string itself gives the year, the month and the day:
it is parsed twice with different defaults and must agree with itself. `7/12/2019`
could be either day first or month first and is left unknown, unless a 12-hour clock
(`3:30 PM`) shows the US order. A named zone
that no table knows makes the date unknown rather than hours off.
"""
from __future__ import annotations

import re
import warnings
from datetime import datetime, timezone

import feedparser.datetimes as fp_dates
from dateutil import parser as du_parser
from dateutil.tz import tzoffset

MAX_DATE_CHARS = 100  # longer strings are not dates; cut so that no parser sees megabytes

_FEEDPARSER_HANDLERS = [h for h in fp_dates._date_handlers if h.__name__ != "_parse_date_iso8601"]
# W3C-DTF that gives only a year or a year and month is a precision, not a day.
_FULL_W3DTF = re.compile(r"^\s*\d{4}-?\d{2}-?\d{2}")
_W3DTF = fp_dates._parse_date_w3dtf
_RFC822 = fp_dates._parse_date_rfc822
_KNOWN_ZONES = set(fp_dates.rfc822.timezone_names) | {"utc"}
_TRAILING_NAME = re.compile(r"([A-Za-z]{2,5})\s*$")
_HOUR = 3600
# Zones `dateutil` may meet after feedparser's RFC 822 reader declined the string.
_ZONES = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": _HOUR, "BST": _HOUR, "CET": _HOUR, "MET": _HOUR,
    "CEST": 2 * _HOUR, "MEST": 2 * _HOUR, "EET": 2 * _HOUR, "EEST": 3 * _HOUR, "MSK": 3 * _HOUR,
    "TRT": 3 * _HOUR, "IRST": int(3.5 * _HOUR), "IST": int(5.5 * _HOUR), "EST": -5 * _HOUR,
    "EDT": -4 * _HOUR, "CST": -6 * _HOUR, "CDT": -5 * _HOUR, "MST": -7 * _HOUR, "MDT": -6 * _HOUR,
    "PST": -8 * _HOUR, "PDT": -7 * _HOUR, "AST": -4 * _HOUR, "ADT": -3 * _HOUR,
    "JST": 9 * _HOUR, "KST": 9 * _HOUR,
}
_TZINFOS = {name: tzoffset(name, seconds) for name, seconds in _ZONES.items()}
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
# 12.07.2019 is day first wherever dots are written; 7/17/2019 stays month first.
_DOTTED_DAY_FIRST = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}\b")


# N/N/YYYY with both numbers 12 or less reads either way round. A 12-hour clock
# (AM/PM) marks the US order, month first; without one the date is left unknown.
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{2,4}\b")
_TWELVE_HOUR = re.compile(r"\d\s*[AaPp]\.?[Mm]\b\.?")


def _ambiguous(match: re.Match) -> bool:
    first, second = int(match.group(1)), int(match.group(2))
    return first != second and first <= 12 and second <= 12


def parse_date(value: object) -> datetime | None:
    """`value` (a feed's date string) as an aware UTC datetime, or None if it cannot be read.

    None also when the string lacks a day (`2019`, `July 2019`) or names an unknown zone.
    """
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())[:MAX_DATE_CHARS]
    if not text or not any(ch.isdigit() for ch in text):
        return None
    for handler in _FEEDPARSER_HANDLERS:
        if handler is _W3DTF and not _FULL_W3DTF.match(text):
            continue
        if handler is _RFC822 and _unknown_zone(text):
            continue
        try:
            parsed = handler(text)
        except (ValueError, OverflowError, IndexError, KeyError, TypeError):
            parsed = None
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=timezone.utc)
            except (TypeError, ValueError, OverflowError):
                return None
    return _dateutil(text)


def _unknown_zone(text: str) -> bool:
    """A zone name after the time that feedparser's RFC 822 reader would take for UTC."""
    match = _TRAILING_NAME.search(text)
    return bool(match) and any(c.isdigit() for c in text[: match.start()][-3:]) and (
        match.group(1).lower() not in _KNOWN_ZONES)


def _dateutil(text: str) -> datetime | None:
    slashed = _SLASHED.match(text)
    if slashed and _ambiguous(slashed) and not _TWELVE_HOUR.search(text):
        return None  # 7/12/2019: 7 December or 12 July; guessing would be inventing
    results = []
    with warnings.catch_warnings():
        # An unknown zone name is a warning there and a naive (so wrong) time here.
        warnings.simplefilter("error", du_parser.UnknownTimezoneWarning)
        for default in _DEFAULTS:
            try:
                results.append(du_parser.parse(text, default=default, tzinfos=_TZINFOS,
                                               dayfirst=bool(_DOTTED_DAY_FIRST.match(text))))
            except (ValueError, OverflowError, TypeError, du_parser.UnknownTimezoneWarning):
                return None
    first, second = results
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # the string left part of the date to the default
    if first.tzinfo is None:
        return first.replace(tzinfo=timezone.utc)  # no zone: UTC, as feeds mostly mean
    try:
        return first.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


__all__ = ["parse_date", "MAX_DATE_CHARS"]
