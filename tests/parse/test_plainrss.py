"""The plain-RSS reader gives what feedparser gives, or steps aside."""
from __future__ import annotations

import json

import pytest

from conftest import SHARED, rss
from monitor.parse import parser
from monitor.parse.plainrss import read_plain_rss

CORPUS = SHARED / "corpora" / "feedparser-6.0.14"
HEADERS = {"content-type": "application/rss+xml"}


def both(content: bytes, headers: dict = HEADERS, url: str = "http://feeds.test/feed.xml"):
    """parse_feed's result with the plain reader and with feedparser alone."""
    fast = parser.parse_feed(content, headers, url)
    real = parser.read_plain_rss
    parser.read_plain_rss = lambda *args: None
    try:
        slow = parser.parse_feed(content, headers, url)
    finally:
        parser.read_plain_rss = real
    return fast, slow


def plain(content: bytes, headers: dict = HEADERS):
    return read_plain_rss(content, dict(headers, **{"content-location": "http://feeds.test/feed.xml"}))


def doc(items: str, channel: str = "<title>T</title><link>http://feeds.test/</link>", head: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{head}<rss version="2.0"><channel>{channel}'
            f"{items}</channel></rss>").encode("utf-8")


CASES = {
    "whitespace and entities": "<item><title>  A &amp; B &lt;b&gt;  </title><link> http://a.test/1 </link>"
                               "<guid>g1</guid><description>\n x &#233; &lt;p&gt;y</description></item>",
    "cdata html": "<item><title><![CDATA[Tom & Jerry <i>now</i>]]></title><link>http://a.test/2</link>"
                  "<description><![CDATA[<p>Para</p><script>x()</script>]]></description><guid>g2</guid></item>",
    "permalink guid is the link": "<item><title>t</title><guid>http://a.test/3</guid></item>",
    "guid before link": "<item><guid>http://a.test/guid</guid><title>t</title><link>http://a.test/4</link></item>",
    "guid not a permalink": "<item><guid isPermaLink='false'>x-5</guid><link>http://a.test/5</link></item>",
    "empty description and title": "<item><title></title><description/><link>http://a.test/6</link><guid>g6</guid></item>",
    "categories and comments": "<item><title>t</title><category domain='x'>c</category><comments>http://a.test/c"
                               "</comments><link>http://a.test/7</link><guid>g7</guid></item>",
    "rfc 822 dates": "".join(
        f"<item><title>t{i}</title><link>http://a.test/d{i}</link><guid>d{i}</guid><pubDate>{d}</pubDate></item>"
        for i, d in enumerate(["Sat, 21 Nov 2026 11:00:00 GMT", "21 Nov 2026 11:00:00 +0300",
                               "Sat, 21 Nov 26 11:00:00 EST", "Sat, 21 Nov 2026 11:00 PST",
                               "Sat,21 Nov 2026 11:00:00 Z", "2026-11-21T11:00:00+02:00", "", "soon"])),
    "links the join changes or keeps": "".join(
        f"<item><title>l{i}</title><link>{link}</link><guid>{link}</guid></item>"
        for i, link in enumerate(["http://a.test/x/../y", "http://a.test/b?", "http://a.test/b#", "http://a.test/p;x",
                                  "http://a.test//d//e", "https://a.test:8443/q?x=1&amp;y=2#f", "http://a.test/%20x",
                                  "http://a.test/\u00e7", "http://a.test:bad/x"])),
    "utf-8 read as latin-1, and latin-1 that is not": "<item><title>Juan Santamar\u00c3\u00ada</title>"
        "<link>http://a.test/m</link><guid>m</guid><description>caf\u00e9 cr\u00c3\u00a8me \u00c3\u00a9t\u00c3\u00a9"
        "</description></item><item><title>caf\u00e9</title><link>http://a.test/n</link><guid>n</guid></item>",
    "ampersands in links": "<item><title>t</title><link>http://a.test/q?a=1&amp;amp;b=2&amp;c;=3</link>"
                           "<guid isPermaLink='false'>amp</guid></item>",
    "relative permalink guid": "<item><title>t</title><link>http://a.test/r</link><guid>r/1</guid></item>",
    "several items": "".join(f"<item><title>n{i}</title><link>http://a.test/n{i}</link><guid>n{i}</guid>"
                             f"<description>body {i}</description></item>" for i in range(30)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plain_documents_read_as_feedparser_reads_them(name):
    content = doc(CASES[name], "<title> Chan &amp; nel </title><link>http://feeds.test/?a=1&amp;b;=2</link><ttl>30</ttl>"
                               "<description>d</description><language>en</language>")
    assert plain(content) is not None, "the plain reader should take this document"
    fast, slow = both(content)
    assert fast == slow


REFUSED = {
    "a namespace": doc("<item><title>t</title><link>http://a.test/1</link><guid>g</guid>"
                       "<dc:creator xmlns:dc='http://purl.org/dc/elements/1.1/'>me</dc:creator></item>"),
    "an author": doc("<item><title>t</title><link>http://a.test/1</link><guid>g</guid><author>a@b (A)</author></item>"),
    "an enclosure": doc("<item><link>http://a.test/1</link><guid>g</guid><enclosure url='http://a.test/x.mp3'/></item>"),
    "markup in a title": doc("<item><title>a <b>bold</b></title><link>http://a.test/1</link><guid>g</guid></item>"),
    "a relative link": doc("<item><title>t</title><link>/1</link><guid>g</guid></item>"),
    "no link": doc("<item><title>t</title><guid isPermaLink='false'>g</guid></item>"),
    "two titles": doc("<item><title>t</title><title>u</title><link>http://a.test/1</link><guid>g</guid></item>"),
    "C1 characters": doc("<item><title>smart \u0093quotes\u0094</title><link>http://a.test/1</link><guid>g</guid></item>"),
    "a doctype": doc("", head='<!DOCTYPE rss [<!ENTITY e "x">]>'),
    "RSS 0.91": doc("").replace(b'version="2.0"', b'version="0.91"'),
    "Latin-1": doc("<item><title>caf\u00e9</title><link>http://a.test/1</link><guid>g</guid></item>")
    .decode().replace("utf-8", "iso-8859-1").encode("latin-1"),
    "ill-formed": doc("<item><title>t</title><link>http://a.test/1</link><guid>g</guid>"),
    "an image": doc("", "<title>T</title><image><url>http://a.test/i.png</url></image>"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_anything_else_goes_to_feedparser(name):
    assert plain(REFUSED[name]) is None
    assert plain(CASES["several items"].encode() and doc(CASES["several items"]), {}) is None  # no Content-Type


def test_feeds_of_real_text_read_the_same():
    rows = [json.loads(line) for line in (SHARED / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    items = [{"title": r["title"], "summary": r["summary"], "guid": r["id"]} for r in rows]
    content = rss(items)
    assert plain(content) is not None
    fast, slow = both(content)
    assert fast == slow and len(fast.entries) == len(rows)


def test_real_news_streams_read_the_same():
    """Real text with its faults (mojibake, stray markup, entities) from every stream."""
    import lzma

    wild = SHARED / "eval" / "wild"
    if not wild.is_dir():
        pytest.skip(f"streams not found at {wild}")
    taken = 0
    for path in sorted(wild.glob("*.jsonl.xz")):
        rows = []
        with lzma.open(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh):
                # The first rows, and every row with the marks of UTF-8 read as Latin-1.
                if number < 1000 or "\\u00c3" in line or "\u00c3" in line:
                    rows.append(json.loads(line))
        for start in range(0, len(rows), 10):
            content = rss([{"title": r.get("title") or "", "summary": r.get("summary") or "", "guid": r["id"]}
                           for r in rows[start:start + 10]])
            if plain(content) is None:
                continue  # C1 characters: feedparser's
            taken += 1
            fast, slow = both(content)
            assert fast == slow, (path.name, start)
    assert taken > 100


def test_every_corpus_feed_it_takes_reads_the_same():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    taken = 0
    for path in sorted(p for p in CORPUS.rglob("*.xml") if p.is_file()):
        content = path.read_bytes()
        for headers in (HEADERS, {"content-type": "text/xml; charset=utf-8"}):
            if plain(content, headers) is None:
                continue
            taken += 1
            fast, slow = both(content, headers)
            assert fast == slow, path
    assert taken > 80  # the plain reader is exercised, not merely skipped
