"""Parsing in worker processes: same results, hard memory and time limits, recovery."""
from __future__ import annotations

import time

import pytest

from monitor.parse.parser import ParseError, ParseLimits, parse_feed
from monitor.parse.pool import ParserPool

HEADERS = {"Content-Type": "application/rss+xml"}
URL = "https://example.org/feed.xml"
FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    + "".join(
        f'<item><guid isPermaLink="false">g{i}</guid><title>Başlık {i} — С-400</title><link>/a/{i}</link>'
        f"<pubDate>Mon, 01 Jan 2024 00:{i:02d}:00 GMT</pubDate><description>&lt;p&gt;body {i}&lt;/p&gt;</description></item>"
        for i in range(20)
    )
    + "</channel></rss>"
).encode()
# A namespace sends it to feedparser, whose copies of a 9 MB text outgrow the cap (the
# plain-RSS reader would read it within it).
HUGE_TEXT = (
    '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
    '<title>x</title><item><guid>1</guid><description>'
    + "D" * (9 * 1024 * 1024)
    + "</description></item></channel></rss>"
).encode()


@pytest.fixture(scope="module")
def pool():
    with ParserPool(workers=1, memory_limit=100 * 1024 * 1024) as p:
        yield p


def test_same_result_as_in_process(pool):
    assert pool.parse(FEED, HEADERS, URL) == parse_feed(FEED, HEADERS, URL)


def test_not_a_feed_is_a_parse_error(pool):
    with pytest.raises(ParseError, match="not a feed"):
        pool.parse(b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"}, URL)
    with pytest.raises(ParseError, match="empty"):
        pool.parse(b"", HEADERS, URL)


def test_memory_cap_fails_one_feed_not_the_pool(pool):
    with pytest.raises(ParseError, match="memory"):
        pool.parse(HUGE_TEXT, HEADERS, URL)
    assert len(pool.parse(FEED, HEADERS, URL).entries) == 20


def test_stuck_worker_is_killed_and_replaced():
    stuck = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>t</title><description>'
        + "<div>" * 300_000
        + "</description></item></channel></rss>"
    ).encode()
    limits = ParseLimits(max_parse_cpu_seconds=60, max_parse_wall_seconds=60)
    with ParserPool(workers=1, limits=limits, hard_timeout=0.5) as p:
        started = time.monotonic()
        with pytest.raises(ParseError, match="stuck"):
            p.parse(stuck, HEADERS, URL)
        assert time.monotonic() - started < 5
        assert len(p.parse(FEED, HEADERS, URL).entries) == 20


def test_prepare_in_a_worker_uses_the_feeds_implied_parties_and_the_language():
    """The pre-test in a worker: where a party the language might imply would make a rule
    hold, the entry goes on to the exact match (the worker detects no language); a feed
    that implies Turkey makes both headlines match without any language."""
    from datetime import datetime, timezone
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = ("s400-f35", root / "config" / "topics" / "s400-f35.toml", sorted((root / "seeds").glob("*.txt")), None)
    titles = ["S-400 bataryaları başkentin yakınına yerleştirilecek",
              "Second S-400 battery to be stationed near the capital"]
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            + "".join(f"<item><guid>g{i}</guid><title>{t}</title></item>" for i, t in enumerate(titles))
            + "</channel></rss>").encode()
    now = datetime(2024, 1, 2, tzinfo=timezone.utc)
    with ParserPool(workers=1, topic_specs=[spec]) as pool:
        plain = pool.prepare(feed, HEADERS, URL, now)
        implied = pool.prepare(feed, HEADERS, URL, now, ("turkey",))
    # Both go on: each time a party the language might imply would make a rule hold. No
    # language was detected in the worker (langdetect's profiles stay out of it).
    assert [e.topics for e in plain.entries] == [["s400-f35"], ["s400-f35"]]
    assert [e.item.lang for e in plain.entries] == ["", ""]
    # The exact match, as the main process makes it with the detected language, decides.
    from monitor.parse.language import detect_language
    from monitor.topic.context import MatchContext
    from monitor.topic.match import load_topic, match_item

    topic = load_topic(*spec[:3])
    final = [match_item(topic, e.item.title, e.item.text, detect_language(e.item.title), MatchContext(feed=URL)).matched
             for e in plain.entries]
    assert final == [True, False]
    assert [e.topics for e in implied.entries] == [["s400-f35"], ["s400-f35"]]
    # The feed implies the party, which is looked at first: no language was needed.
    assert [e.item.lang for e in implied.entries] == ["", ""]
