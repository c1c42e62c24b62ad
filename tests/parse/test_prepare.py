import dataclasses
import pickle
from datetime import datetime, timezone

from monitor.models import Item
from monitor.parse.prepare import PreparedEntry, PreparedFeed, prepare_feed


def _every_field_set(n: int) -> Item:
    values = {}
    for f in dataclasses.fields(Item):
        values[f.name] = datetime(2026, 11, 29, 12, n, tzinfo=timezone.utc) if f.name == "published" else f"{f.name}-{n}"
    return Item(**values)


def test_a_prepared_feed_crosses_processes_whole():
    # Prepared feeds travel from the parse workers as rows of plain values; every field
    # of every item (whatever fields Item has) and the topics must arrive as they left.
    feed = PreparedFeed("Outlet", 900, "a warning",
                        [PreparedEntry(_every_field_set(n), ["s400-f35"] if n % 2 else []) for n in range(3)])
    assert pickle.loads(pickle.dumps(feed, protocol=pickle.HIGHEST_PROTOCOL)) == feed
    assert pickle.loads(pickle.dumps(PreparedFeed("", None, None, []))) == PreparedFeed("", None, None, [])


def test_prepare_feed_cleans_and_pretests():
    body = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            b"<item><title>Turkey receives S-400 batteries from Russia</title>"
            b"<description>Ankara took delivery of the Russian S-400 air defence system despite US CAATSA "
            b"sanctions warnings over the F-35 programme.</description><guid>a</guid></item>"
            b"<item><title>Football results</title><description>Scores of the day.</description>"
            b"<guid>b</guid></item></channel></rss>")
    from pathlib import Path

    from monitor.topic.match import load_topic

    root = Path(__file__).resolve().parents[2]
    topic = load_topic("s400-f35", root / "config/topics/s400-f35.toml", sorted((root / "seeds").glob("*.txt")))
    feed = prepare_feed(body, {"content-type": "application/rss+xml"}, "http://example.org/feed",
                        [topic], datetime(2026, 11, 29, tzinfo=timezone.utc))
    assert [e.topics for e in feed.entries] == [["s400-f35"], []]
    assert feed.entries[0].item.lang == ""  # detected later, in the main process, if at all
