from datetime import datetime, timedelta, timezone

import pytest

from monitor.store.clock import iso, parse_iso


@pytest.mark.parametrize("moment,text", [
    (datetime(2026, 11, 29, 23, 5, 11, tzinfo=timezone.utc), "2026-11-29T23:05:11Z"),
    (datetime(2026, 11, 29, 23, 5, 11, 999999, tzinfo=timezone.utc), "2026-11-29T23:05:11Z"),
    (datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=3))), "2025-12-31T22:30:00Z"),
    (datetime(2026, 3, 3, 10, 0), "2026-03-03T10:00:00Z"),  # naive is UTC
    (datetime(999, 5, 6, 7, 8, 9, tzinfo=timezone.utc), "999-05-06T07:08:09Z"),  # as strftime writes it
    (None, None),
])
def test_iso_is_utc_to_the_second(moment, text):
    assert iso(moment) == text


def test_iso_reads_back():
    moment = datetime(2026, 11, 29, 23, 5, 11, tzinfo=timezone.utc)
    assert parse_iso(iso(moment)) == moment
