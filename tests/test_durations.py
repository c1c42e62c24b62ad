from datetime import timedelta

import pytest

from monitor.durations import format_duration, parse_duration


@pytest.mark.parametrize("text,seconds", [
    ("30s", 30), ("10m", 600), ("1h", 3600), ("2d", 172800), ("1h30m", 5400), ("1w", 604800),
    (" 15M ", 900), ("1.5s", 1.5),
])
def test_parses_the_forms_people_write(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15x", "m", "-5m", "1h 2", True, -3])
def test_rejects_anything_else_with_the_accepted_forms(text):
    with pytest.raises(ValueError, match="duration|negative"):
        parse_duration(text)


@pytest.mark.parametrize("value", [7, "15", 1.5, " 45 ", 0])
def test_a_bare_number_is_refused_with_the_forms_to_write(value):
    with pytest.raises(ValueError, match=r"has no unit: write a duration like 15m, 1h or 2d \(.*s if seconds are meant\)"):
        parse_duration(value)


@pytest.mark.parametrize("seconds,text", [(0, "0s"), (90, "1m30s"), (172800, "2d"), (3660, "1h1m"), (-60, "-1m")])
def test_formats_shortest_readable(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text
