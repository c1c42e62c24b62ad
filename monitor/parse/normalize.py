"""Raw feed entries into clean items: plain text, canonical URL, sane date, language.

Pure except for language detection, which is deterministic (see monitor.parse.language).
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.parse.language import detect_language
from monitor.models import Item, RawEntry

MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 5000
# Dates before this are feed bugs (epoch zero, year 1), not news.
EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=timezone.utc)
# Publishers' clocks drift and some stamp items ahead; beyond this it is a bug.
FUTURE_SLACK = timedelta(days=1)

_DROPPED_OPENING = re.compile(r"<(script|style|noscript|template)\b", re.I)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr|/blockquote)\b[^>]*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")
# Control characters and the invisible bidi/format marks that spoof or break text.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|_gl|ocid|cmpid|"
    r"ito|at_medium|at_campaign|at_custom\d|rss|from|ref|ref_src|src|share|smid|partner|taid)$",
    re.I,
)


def clean_text(value: str | None) -> str:
    """Plain, single-spaced text from HTML or text, Unicode normalised (NFKC)."""
    if not value:
        return ""
    # Feeds can put megabytes in a summary; only the first MAX_TEXT_CHARS are kept, so
    # cleaning more than a margin beyond them is wasted (and markup-heavy input is slow).
    text = value[: 4 * MAX_TEXT_CHARS]
    if "<" in text:
        text = _drop_blocks(text)
        text = _BREAKS.sub("\n", text)
        text = _TAGS.sub(" ", text)
    if "&" in text:
        # Twice: feeds often double-escape (&amp;quot;).
        text = html.unescape(html.unescape(text))
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


def _drop_blocks(text: str) -> str:
    """`text` without <script>, <style>, <noscript> and <template> blocks.

    A scan with str.find rather than one lazy regex: an opening tag with no closing tag
    would make the regex rescan to the end of the text for each such tag.
    """
    lowered = text.lower()
    parts, position = [], 0
    while (match := _DROPPED_OPENING.search(text, position)) is not None:
        parts.append(text[position:match.start()])
        end = lowered.find(f"</{match.group(1).lower()}", match.end())
        if end < 0:
            return " ".join(parts)  # unclosed: the rest is script, not prose
        close = lowered.find(">", end)
        position = len(text) if close < 0 else close + 1
        parts.append(" ")
    parts.append(text[position:])
    return "".join(parts)


def canonical_url(url: str | None) -> str:
    """The URL with tracking parameters, fragments and default ports removed."""
    if not url:
        return ""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    if (scheme, port) in (("http", 80), ("https", 443)):
        port = None
    netloc = host + (f":{port}" if port else "")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING_PARAMS.match(k)]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def clamp_date(moment: datetime | None, now: datetime) -> datetime | None:
    """`moment` in UTC, or None when it is implausible; future dates become `now`."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment < EARLIEST_DATE:
        return None
    if moment > now + FUTURE_SLACK:
        return now
    return moment.replace(microsecond=0)


def content_hash(title: str, text: str) -> str:
    """Identity of an item's content, blind to case, spacing and punctuation."""
    folded = re.sub(r"[\W_]+", " ", f"{title}\n{text}".casefold()).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


NOT_DETECTED = ""


def normalize_entry(entry: RawEntry, now: datetime, detect: bool = True) -> Item:
    """Clean one entry.

    `detect=False` leaves `lang` as NOT_DETECTED: language detection costs several times
    a feed parse per item, so the poll runs it only on items that matched a topic.
    """
    title = clean_text(entry.title)[:MAX_TITLE_CHARS]
    text = clean_text(entry.summary)[:MAX_TEXT_CHARS]
    url = canonical_url(entry.link)
    digest = content_hash(title, text)
    guid = (entry.guid or "").strip() or url or digest
    lang = detect_language(f"{title}\n{text}") if detect else NOT_DETECTED
    return Item(
        guid=guid[:1000],
        url=url,
        title=title,
        text=text,
        published=clamp_date(entry.published, now),
        lang=lang,
        content_hash=digest,
        author=clean_text(entry.author)[:200] or None,
    )

