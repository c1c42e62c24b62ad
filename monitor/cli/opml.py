"""OPML import and export of feed lists."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr


class OpmlError(Exception):
    pass


def read_opml(data: bytes) -> list[tuple[str, str | None]]:
    """(url, title) for every outline with an xmlUrl, in document order."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not valid OPML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"not OPML: the root element is <{root.tag}>")
    feeds = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            feeds.append((url, outline.get("title") or outline.get("text")))
    return feeds


def write_opml(feeds: list[dict], title: str = "feed-monitor feeds") -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             f"  <head><title>{title}</title></head>", "  <body>"]
    for feed in feeds:
        name = feed.get("name") or feed.get("title") or feed["url"]
        lines.append(f'    <outline type="rss" text={quoteattr(name)} title={quoteattr(name)} '
                     f'xmlUrl={quoteattr(feed["url"])}/>')
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
