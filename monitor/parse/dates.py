"""A feed's date string to a UTC datetime, or None: never a date the string does not say.

feedparser's handlers are tried first (RFC 822 with its two-digit years and named zones,
W3C-DTF, asctime and the localised forms it knows), except its loose ISO 8601 reader:
that one reads `2019/7/12 10:00:00` as 1 November 2019, inventing a month and a day.
What none of them reads goes to `dateutil`, which knows the common forms publishers
write by hand (`2019/7/12 10:00:00`, `7/17/2019 3:30:00 PM`, `15 July 2019 - 09:01`),
and is accepted only when the string itself gives the year, the month and the day:
it is parsed twice with different defaults and must agree with itself. `7/12/2019`
could be either day first or month first and is left unknown, unless a 12-hour clock
(`3:30 PM`) shows the US order; `12-07-2019` likewise. A named zone that no table knows,
or one that names different zones in different places (AST: Atlantic or Arabia; IST:
India, Ireland or Israel), makes the date unknown rather than hours off, and `GMT+3`
means three hours ahead of GMT (not the POSIX reading, three behind).
Dates written in another language (`12 Temmuz 2019`, `12 июля 2019 г.`, `12 يوليو 2019`,
`Cum, 12 Tem 2019 10:00:00 +0300`) go to `dateparser`, restricted to absolute dates that
give day, month and year: `Yesterday`, `3 hours ago` or a bare time stay unknown, since
the string alone does not say which day it was.
"""
from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import feedparser.datetimes as fp_dates
from dateutil import parser as du_parser
from dateutil.tz import tzoffset

MAX_DATE_CHARS = 100  # longer strings are not dates; cut so that no parser sees megabytes

_FEEDPARSER_HANDLERS = [h for h in fp_dates._date_handlers if h.__name__ != "_parse_date_iso8601"]
# W3C-DTF that gives only a year or a year and month is a precision, not a day.
_FULL_W3DTF = re.compile(r"^\s*\d{4}-?\d{2}-?\d{2}")
_W3DTF = fp_dates._parse_date_w3dtf
_RFC822 = fp_dates._parse_date_rfc822
# Abbreviations that name several zones hours apart: no reading of them is safe.
_AMBIGUOUS_ZONES = {"ast", "ist", "sst", "gst"}
_KNOWN_ZONES = (set(fp_dates.rfc822.timezone_names) | {"utc"}) - _AMBIGUOUS_ZONES
# A zone name after a time or before a year: `10:00:00 MSK`, `10:00:00 MSK 2019`.
_ZONE_NAME = re.compile(r"(?<=:\d\d)(?:\s*[AaPp]\.?[Mm]\.?)?\s*([A-Za-z]{2,5})\b(?=\s*(?:\d{4})?\s*(?:$|\())")
# `GMT+3`, `UTC+03:00`, `GMT-0500`: an offset from GMT, hours ahead when the sign is +.
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b", re.I)
_HOUR = 3600
# Zones `dateutil` may meet after feedparser's RFC 822 reader declined the string.
_ZONES = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": _HOUR, "BST": _HOUR, "CET": _HOUR, "MET": _HOUR,
    "CEST": 2 * _HOUR, "MEST": 2 * _HOUR, "EET": 2 * _HOUR, "EEST": 3 * _HOUR, "MSK": 3 * _HOUR,
    "TRT": 3 * _HOUR, "IRST": int(3.5 * _HOUR), "EST": -5 * _HOUR,
    "EDT": -4 * _HOUR, "CST": -6 * _HOUR, "CDT": -5 * _HOUR, "MST": -7 * _HOUR, "MDT": -6 * _HOUR,
    "PST": -8 * _HOUR, "PDT": -7 * _HOUR, "ADT": -3 * _HOUR, "AZT": 4 * _HOUR, "GET": 4 * _HOUR,
    "PKT": 5 * _HOUR, "IDT": 3 * _HOUR, "EAT": 3 * _HOUR, "CAT": 2 * _HOUR, "SAST": 2 * _HOUR,
    "JST": 9 * _HOUR, "KST": 9 * _HOUR, "HKT": 8 * _HOUR, "SGT": 8 * _HOUR,
    # German names of the European zones (MEZ = CET, MESZ = CEST, OEZ = EET...).
    "MEZ": _HOUR, "MESZ": 2 * _HOUR, "OEZ": 2 * _HOUR, "OESZ": 3 * _HOUR, "WEZ": 0, "WESZ": _HOUR,
}
# Zone names in other scripts, as the names above: Moscow time, Turkey time.
_LOCAL_ZONES = re.compile(r"(?<!\w)(МСК|TSİ|TSI)(?!\w)")
_LOCAL_ZONE_NAMES = {"МСК": "MSK", "TSİ": "TRT", "TSI": "TRT"}
# RFC 9557 appends the zone's name to an offset: 2026-03-03T10:00:00+03:00[Europe/Istanbul].
_BRACKETED_ZONE = re.compile(r"(?<=[+-]\d\d:\d\d)\[[A-Za-z0-9_/+-]{1,40}\]$|(?<=Z)\[[A-Za-z0-9_/+-]{1,40}\]$")
assert not {name.lower() for name in _ZONES} & _AMBIGUOUS_ZONES
_TZINFOS = {name: tzoffset(name, seconds) for name, seconds in _ZONES.items()}
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
# 12.07.2019 is day first wherever dots are written; 7/17/2019 stays month first.
_DOTTED_DAY_FIRST = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}\b")


# N/N/YYYY with both numbers 12 or less reads either way round. A 12-hour clock
# (AM/PM) marks the US order, month first; without one the date is left unknown.
_SLASHED = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2\d{2,4}\b")
_TWELVE_HOUR = re.compile(r"\d\s*[AaPp]\.?[Mm]\b\.?")


def _ambiguous(match: re.Match) -> bool:
    first, second = int(match.group(1)), int(match.group(3))
    return first != second and first <= 12 and second <= 12


# The RFC 822 date nearly every RSS feed writes ("Sun, 29 Nov 2026 23:05:11 +0000"), read
# directly: the general path below reads it the same way, at five times the cost.
_PLAIN_RFC822 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def _plain_rfc822(text: str) -> datetime | None:
    m = _PLAIN_RFC822.fullmatch(text)
    if m is None or int(m.group(8)) > 14 or int(m.group(9)) > 59:
        return None
    try:
        moment = datetime(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)), int(m.group(4)),
                          int(m.group(5)), int(m.group(6)), tzinfo=timezone.utc)
    except ValueError:
        return None  # 31 Feb, 24:00, a leap second: the general path decides
    offset = timedelta(hours=int(m.group(8)), minutes=int(m.group(9)))
    return moment - offset if m.group(7) == "+" else moment + offset


def parse_date(value: object) -> datetime | None:
    """`value` (a feed's date string) as an aware UTC datetime, or None if it cannot be read.

    None also when the string lacks a day (`2019`, `July 2019`) or names an unknown zone.
    """
    if not isinstance(value, str):
        return None
    plain = _plain_rfc822(value)
    if plain is not None:
        return plain
    text = " ".join(value.split())[:MAX_DATE_CHARS]
    if not text or not any(ch.isdigit() for ch in text):
        return None
    text = _GMT_OFFSET.sub(_offset, text)
    text = _LOCAL_ZONES.sub(lambda m: _LOCAL_ZONE_NAMES[m.group(1)], _BRACKETED_ZONE.sub("", text))
    if not text.isascii():
        return _foreign(text)
    unknown_zone = _unknown_zone(text)
    for handler in _FEEDPARSER_HANDLERS:
        if unknown_zone:
            break  # the ISO and asctime readers would drop the zone: hours off
        if handler is _W3DTF and not _FULL_W3DTF.match(text):
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
    return _dateutil(text) or _foreign(text)


def _offset(match: re.Match) -> str:
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    return f"{match.group(1)}{hours:02d}{minutes:02d}" if hours <= 14 and minutes < 60 else match.group(0)


def _numeric(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    return f"{sign}{abs(seconds) // _HOUR:02d}{abs(seconds) % _HOUR // 60:02d}"


def _unknown_zone(text: str) -> bool:
    """A zone name that feedparser's readers would take for UTC, drop, or misread."""
    return any(name.lower() not in _KNOWN_ZONES for name in _ZONE_NAME.findall(text)
               if name.lower() not in ("t", "z"))


# Levantine and Iraqi month names (تموز for July), which dateparser's Arabic lacks,
# as the Egyptian ones it knows. Two-word names first.
_LEVANTINE_MONTHS = (
    ("كانون الثاني", "يناير"), ("تشرين الأول", "أكتوبر"), ("تشرين الثاني", "نوفمبر"),
    ("كانون الأول", "ديسمبر"), ("شباط", "فبراير"), ("آذار", "مارس"), ("نيسان", "أبريل"),
    ("أيار", "مايو"), ("حزيران", "يونيو"), ("تموز", "يوليو"), ("آب", "أغسطس"), ("أيلول", "سبتمبر"),
)
_DATEPARSER_SETTINGS = {
    # Absolute dates only: relative words ("yesterday") and bare times need a "today"
    # that the string does not give. STRICT_PARSING needs day, month and year.
    "PARSERS": ["absolute-time"], "STRICT_PARSING": True, "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC",
}
_FOREIGN_LANGUAGES = ["tr", "ru", "uk", "ar", "fa", "fr", "de", "es", "it", "pt", "en"]
_foreign_parser = None
FOREIGN_MAX_CHARS = 60  # longer strings are sentences, not dates in another language


# Cached: a feed writes its dates one way, and dateparser costs a millisecond or two
# a string (it tries each language in turn) where feedparser costs microseconds.
@lru_cache(maxsize=4096)
def _foreign(text: str) -> datetime | None:
    """A date with month or day names in another language, read by dateparser."""
    global _foreign_parser
    if len(text) > FOREIGN_MAX_CHARS or not re.search(r"[^\W\d_]{3}", text):
        return None  # no month or day name to read
    if any(name.upper() not in _ZONES for name in _ZONE_NAME.findall(text)):
        return None
    if _SLASHED.match(text) and _ambiguous(_SLASHED.match(text)):
        return None
    # Our table of zone names, not dateparser's, says what a name means.
    text = _ZONE_NAME.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + _numeric(_ZONES[m.group(1).upper()]), text)
    for name, standard in _LEVANTINE_MONTHS:
        text = text.replace(name, standard)
    if _foreign_parser is None:
        # Imported on first use: a fifth of a second that most runs never need.
        from dateparser.date import DateDataParser

        _foreign_parser = DateDataParser(languages=_FOREIGN_LANGUAGES, settings=_DATEPARSER_SETTINGS)
    try:
        moment = _foreign_parser.get_date_data(text).date_obj
    except (ValueError, OverflowError, TypeError, KeyError, IndexError, AttributeError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


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
