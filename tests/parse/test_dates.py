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


@pytest.mark.parametrize("written, moment", [
    ("12 Temmuz 2019 10:00", utc(2019, 7, 12, 10)),
    ("Cum, 12 Tem 2019 10:00:00 +0300", utc(2019, 7, 12, 7)),
    ("12 июля 2019 г. 10:00", utc(2019, 7, 12, 10)),
    ("Вт, 3 мар 2026 10:00:00 +0300", utc(2026, 3, 3, 7)),
    ("12 يوليو 2019", utc(2019, 7, 12)),
    ("12 تموز 2019", utc(2019, 7, 12)),  # Levantine month name
    ("١٢ يوليو ٢٠١٩", utc(2019, 7, 12)),  # Arabic-Indic digits
    ("12 juillet 2019 à 10h00 CEST", utc(2019, 7, 12, 8)),
    ("12 июля 2019, 10:00 МСК", utc(2019, 7, 12, 7)),
    ("12 Temmuz 2019 - 10:00 TSİ", utc(2019, 7, 12, 7)),
    ("Fri Jul 12 10:00:00 MSK 2019", utc(2019, 7, 12, 7)),  # asctime: the zone used to be dropped
    ("2019-07-12 10:00:00 TRT", utc(2019, 7, 12, 7)),  # ISO: likewise
    ("12 Jul 2019 10:00:00 GMT+3", utc(2019, 7, 12, 7)),  # three hours ahead of GMT
    ("2026-03-03T10:00:00+03:00[Europe/Istanbul]", utc(2026, 3, 3, 7)),
])
def test_dates_in_other_languages_and_zone_spellings(written, moment):
    assert parse_date(written) == moment


@pytest.mark.parametrize("written", [
    "Fri, 12 Jul 2019 10:00:00 AST",  # Atlantic (-4) or Arabia (+3)
    "2019-07-12T10:00:00 IST",  # India, Ireland or Israel
    "12-07-2019", "07-12-2019",  # either way round
    "Yesterday 10:00", "Вчера, 10:00", "Dün 10:00", "3 hours ago", "10:00", "12 июля", "Temmuz 2019",
    "12 Temmuz 2019 10:00 XYZ", "2019-W28-5",
])
def test_vague_or_ambiguous_dates_in_any_language_are_unknown(written):
    assert parse_date(written) is None


def test_the_plain_rfc822_shortcut_reads_as_the_general_path(monkeypatch):
    # Most feeds write "Sun, 29 Nov 2026 23:05:11 +0000"; parse_date reads that form
    # directly. Whatever the day, hour or offset (impossible ones included), the answer
    # must be the general path's.
    import random

    from monitor.parse import dates

    rng = random.Random(822)
    days, months = "Mon Tue Wed Thu Fri Sat Sun".split(), "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    samples = [f"{rng.choice(days)}, {rng.randint(0, 32):02d} {rng.choice(months)} {rng.randint(1990, 2030)} "
               f"{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d} "
               f"{rng.choice('+-')}{rng.randint(0, 16):02d}{rng.choice([0, 30, 45, 59, 60]):02d}" for _ in range(3000)]
    fast = [dates.parse_date(s) for s in samples]
    assert sum(dates._plain_rfc822(s) is not None for s in samples) > 1000
    monkeypatch.setattr(dates, "_plain_rfc822", lambda text: None)
    assert fast == [dates.parse_date(s) for s in samples]
