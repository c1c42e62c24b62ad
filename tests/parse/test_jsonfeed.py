"""JSON Feed 1.0 and 1.1 through `parse_feed`, with the RSS/Atom path's guarantees."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from monitor.parse.jsonfeed import read_json_feed
from monitor.parse.parser import ParseError, ParseLimits, parse_feed

JSON = {"Content-Type": "application/feed+json"}


def feed(items: list[dict], version: str = "https://jsonfeed.org/version/1.1", **extra) -> bytes:
    return json.dumps({"version": version, "title": "Desk", "items": items, **extra}).encode()


def test_version_1_0_with_its_author_and_relative_urls():
    body = feed([{"id": "a", "url": "/2026/s400", "title": "India inducts S-400", "content_text": "Squadron two.",
                  "date_published": "2026-03-03T10:00:00+05:30", "author": {"name": "Desk A"}}],
                version="https://jsonfeed.org/version/1", home_page_url="https://wire.example/")
    parsed = parse_feed(body, {"Content-Type": "application/json"}, "https://wire.example/feed.json")
    [entry] = parsed.entries
    assert (parsed.version, parsed.title, parsed.link) == ("json1", "Desk", "https://wire.example/")
    assert (entry.guid, entry.link, entry.title, entry.summary, entry.author) == (
        "a", "https://wire.example/2026/s400", "India inducts S-400", "Squadron two.", "Desk A")
    assert entry.published == datetime(2026, 3, 3, 4, 30, tzinfo=timezone.utc)


def test_html_wins_over_text_numeric_ids_and_odd_date_keys():
    body = feed([{"id": 7, "content_text": "plain", "content_html": "<p>rich</p>", "date_updated": "2026-03-03"},
                 {"id": 8.0, "summary": "only a summary", "date_modified": "2026/3/4 10:00:00"},
                 {"id": True, "external_url": "https://other.example/x", "date_published": "sometime"}])
    entries = parse_feed(body, JSON, "https://wire.example/feed.json").entries
    assert [(e.guid, e.summary) for e in entries] == [("7", "<p>rich</p>"), ("8", "only a summary"),
                                                      ("https://other.example/x", "")]
    # date_updated (a common misspelling of date_modified) is read as the update date.
    assert [e.published for e in entries] == [datetime(2026, 3, 3, tzinfo=timezone.utc),
                                              datetime(2026, 3, 4, 10, tzinfo=timezone.utc), None]


def test_sniffed_when_the_server_labels_it_wrong():
    body = b"\xef\xbb\xbf  " + feed([{"id": "1", "title": "t", "content_text": "x"}])
    assert len(parse_feed(body, {"Content-Type": "text/plain"}, "https://w.example/f").entries) == 1


@pytest.mark.parametrize("body, message", [
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON"),
    (b'{"title": "an API answer", "items": []}', "without a JSON Feed version"),
    (b'[1, 2, 3]', "not an object"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}', "without a JSON Feed version"),
])
def test_json_that_is_not_a_feed_is_a_clear_one_line_error(body, message):
    with pytest.raises(ParseError, match=message) as error:
        parse_feed(body, JSON, "https://w.example/f")
    assert "\n" not in str(error.value) and str(error.value).startswith("not a feed")


def test_caps_on_entries_fields_and_nesting():
    limits = ParseLimits(max_entries=5, max_title_chars=50, max_summary_chars=100, max_url_chars=60)
    items = [{"id": str(n), "title": "S-400 " * 100, "content_html": "x" * 10_000, "url": "https://w.example/" + "p" * 500,
              "date_published": f"2026-03-{n + 1:02d}T00:00:00Z"} for n in range(20)]
    parsed = parse_feed(feed(items), JSON, "https://w.example/f", limits)
    assert [e.guid for e in parsed.entries] == ["15", "16", "17", "18", "19"]  # the newest five
    assert all(len(e.title) <= 50 and len(e.summary) <= 100 and len(e.link) <= 60 for e in parsed.entries)
    assert "20 entries" in parsed.warning
    deep = b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_feed(deep, JSON, "https://w.example/f")


def test_body_size_cap_applies_before_reading():
    with pytest.raises(ParseError, match="exceeds"):
        parse_feed(feed([{"id": "1", "content_text": "x" * 5000}]), JSON, "https://w.example/f", ParseLimits(max_bytes=1000))


def test_rss_labelled_json_is_still_read_as_rss():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            b'<item><guid>1</guid><title>One</title></item></channel></rss>')
    assert [e.title for e in parse_feed(body, JSON, "https://w.example/f").entries] == ["One"]


def test_a_utf16_json_feed_is_read():
    document = {"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "Турция и С-400"}]}
    for codec in ("utf-16", "utf-16-le", "utf-32"):
        feed, entries = read_json_feed(json.dumps(document, ensure_ascii=False).encode(codec), "https://j.test/")
        assert [e["title"] for e in entries] == ["Турция и С-400"], codec
