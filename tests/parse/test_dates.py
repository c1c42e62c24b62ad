"""Date strings as feeds write them: read right, or left unknown; never an invented date."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from monitor.parse.dates import MAX_DATE_CHARS, parse_date


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("written, moment", [
    # RFC 822 and its common slips (feedparser's reader).
    ("Tue, 03 Mar 2026 08:15:00 GMT", utc(2026, 3, 3, 8, 15)),
    ("Tue, 03 Mar 26 08:15:00 +0100", utc(2026, 3, 3, 7, 15)),  # two-digit year
    ("3 Mar 2026 08:15 EST", utc(2026, 3, 3, 13, 15)),
    ("Tue, 03 Mar 2026 08:15:00 MEST", utc(2026, 3, 3, 6, 15)),
    # W3C-DTF / ISO 8601 with a full date.
    ("2026-03-03T08:15:00+03:00", utc(2026, 3, 3, 5, 15)),
    ("2026-03-03T08:15:00Z", utc(2026, 3, 3, 8, 15)),
    ("2026-03-03", utc(2026, 3, 3)),
    # Hand-written forms.
    ("2026/3/4 10:00:00", utc(2026, 3, 4, 10)),
    ("3/17/2026 3:30:00 PM", utc(2026, 3, 17, 15, 30)),
    ("17/3/2026 15:30", utc(2026, 3, 17, 15, 30)),  # unambiguous either way round
    ("3/4/2026 3:30 PM", utc(2026, 3, 4, 15, 30)),  # 12-hour clock: US order, month first
    ("3/3/2026", utc(2026, 3, 3)),
    ("17 March 2026 - 09:01", utc(2026, 3, 17, 9, 1)),
    ("March 17, 2026 9:01 am", utc(2026, 3, 17, 9, 1)),
    ("04.03.2026 10:00", utc(2026, 3, 4, 10)),  # dotted: day first
    ("2026-03-04 10:00:00 CEST", utc(2026, 3, 4, 8)),  # a zone feedparser's table lacks
    ("4 Mar 2026 10:00 MSK", utc(2026, 3, 4, 7)),
])
def test_readable_dates(written, moment):
    assert parse_date(written) == moment


@pytest.mark.parametrize("written", [
    "2026", "2026-03", "March 2026", "Spring 2026",  # no day: a precision, not a date
    "Tue, 03 Mar 2026 08:15:00 XYZT",  # a zone no table knows: hours off, so unknown
    "yesterday", "", "   ", "n/a", "0", "1772525700",
    "2026-13-45", "31/31/2026",
    "3/4/2026 15:30", "3/4/2026",  # 3 April or 4 March: not guessed
    "x" * 10_000 + " 2026-03-03",  # beyond MAX_DATE_CHARS: not a date string
])
def test_unreadable_dates_are_unknown_not_invented(written):
    assert parse_date(written) is None


def test_not_a_string_is_unknown():
    assert parse_date(None) is None and parse_date(20260303) is None
    assert MAX_DATE_CHARS < 200


def test_feedparser_loose_iso_reader_is_not_used():
    # feedparser's ISO 8601 fallback reads this as 1 November 2019.
    assert parse_date("2019/7/12 10:00:00") == utc(2019, 7, 12, 10)
    assert parse_date("2019/7") is None
