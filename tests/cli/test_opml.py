import pytest

from monitor.cli.opml import OpmlError, read_opml, write_opml


def test_round_trip_keeps_urls_and_names():
    text = write_opml([{"url": "https://a.example/rss?x=1&y=2", "name": "A & B"}, {"url": "https://b.example/feed"}])
    assert read_opml(text.encode()) == [("https://a.example/rss?x=1&y=2", "A & B"),
                                        ("https://b.example/feed", "https://b.example/feed")]


def test_nested_outlines_are_found():
    data = b'<opml><body><outline text="News"><outline text="X" xmlUrl="https://x/rss"/></outline></body></opml>'
    assert read_opml(data) == [("https://x/rss", "X")]


@pytest.mark.parametrize("data,message", [(b"<html></html>", "root element is <html>"), (b"<opml", "not valid OPML")])
def test_bad_files_are_one_line_errors(data, message):
    with pytest.raises(OpmlError, match=message):
        read_opml(data)
