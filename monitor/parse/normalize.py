"""Raw feed entries into clean items: plain text, canonical URL, sane date, language.

Pure except for language detection, which is deterministic (see monitor.parse.language).
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from monitor.parse.language import detect_language
from monitor.models import Item, RawEntry

MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 5000
# Dates before this are feed bugs (epoch zero, year 1), not news.
EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=timezone.utc)
# Publishers' clocks drift and some stamp items ahead; beyond this it is a bug (a year
# typed 2109 for 2019), and the date is unknown: "now" would be a date nobody wrote.
FUTURE_SLACK = timedelta(days=1)

_DROPPED_OPENING = re.compile(r"<(script|style|noscript|template)\b", re.I)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr|/blockquote)\b[^>]*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
# CDATA markers left in text that was escaped twice: never part of what was published.
_CDATA_MARKERS = re.compile(r"<!\[CDATA\[|\]\]>")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# After unescaping, only what is plainly a tag: "a < b > c" in prose stays.
_REAL_TAGS = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# Runs of spaces become one space. A lone plain space is left alone (the pattern skips
# it): replacing every word gap with itself cost a third of the cleaning.
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# Only these need _FULL_WIDTH; str.translate costs as much as the rest of the cleaning.
_HAS_FULL_WIDTH = re.compile("[\uff01-\uff5e]")
_BLANK_LINES = re.compile(r"\s*\n\s*")
# Control characters and the invisible bidi/format marks that spoof or break text.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|_gl|ocid|cmpid|"
    r"ito|at_medium|at_campaign|at_custom\d|rss|from|ref|ref_src|src|share|smid|partner|taid|"
    # Mail and ad platforms' click ids (HubSpot, Marketo, Olytics, Vero, Webtrends,
    # comScore, TikTok, X, LinkedIn, Google's search result id).
    r"_hsenc|_hsmi|mkt_tok|oly_enc_id|oly_anon_id|vero_id|vero_conv|wt_mc|wt\.mc_id|wt_zmc|"
    r"ns_mchannel|ns_source|ns_campaign|ns_linkname|ns_fee|ttclid|twclid|li_fat_id|srsltid|"
    r"guccounter|guce_referrer|guce_referrer_sig|s_cid|ncid)$",
    re.I,
)
# A session id in the path (`;jsessionid=...`) changes per visitor, never per item.
_SESSION_PARAM = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.I)
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# Path characters left as they are; anything else (non-ASCII letters) is percent-encoded,
# so `/türkiye` and `/t%C3%BCrkiye` are one path.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def clean_text(value: str | None) -> str:
    """Plain, single-spaced text from HTML or text, Unicode normalised (NFC).

    NFC, not NFKC: compatibility folding rewrites what was published (¼ becomes 1⁄4,
    ² becomes 2); the matcher folds its own copy (monitor.topic.textnorm). Only
    full-width Latin letters, digits and punctuation are narrowed, as plain ASCII.
    """
    if not value:
        return ""
    # Feeds can put megabytes in a summary; only the first MAX_TEXT_CHARS are kept, so
    # cleaning more than a margin beyond them is wasted (and markup-heavy input is slow).
    text = value[: 4 * MAX_TEXT_CHARS]
    if "<" in text:
        text = _markup_to_text(text)
    if "&" in text:
        # Twice: feeds often double-escape (&amp;quot;). Markup that was escaped twice
        # only becomes markup now; it is taken out like the rest.
        text = html.unescape(html.unescape(text))
        if "<" in text:
            text = _markup_to_text(text, _REAL_TAGS)
    text = unicodedata.normalize("NFC", text)
    if _HAS_FULL_WIDTH.search(text):
        text = text.translate(_FULL_WIDTH)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    if "\n" in text:  # the pattern tries every position, and most texts are one paragraph
        text = _BLANK_LINES.sub("\n", text)
    return text.strip()


def _markup_to_text(text: str, tags: re.Pattern = None) -> str:
    # CDATA markers first: the tag pattern would take `<![CDATA[ ... ]]>` whole.
    text = _CDATA_MARKERS.sub("", text)
    text = _drop_blocks(text)
    text = _BREAKS.sub("\n", text)
    return (tags or _TAGS).sub(" ", text)


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
    query = ""
    if parts.query:
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                           if not _TRACKING_PARAMS.match(k)], doseq=True)
    path = _SESSION_PARAM.sub("", parts.path) or "/"
    if not path.isascii() or "%" in path:
        path = _ESCAPE.sub(lambda m: m.group(0).upper(), quote(path, safe=_PATH_SAFE))
    return urlunsplit((scheme, netloc, path, query, ""))


# A feed repeats its links on every fetch; the key of each is worked out once.
@lru_cache(maxsize=8192)
def identity_url(url: str | None) -> str:
    """The key that says two links are one item: `canonical_url`, then http and https
    as one scheme and a trailing slash dropped, since sites flip both between fetches
    and moves. A site's front page ("https://example.org/") names no item: "".
    """
    url = canonical_url(url)
    if not url.startswith(("http://", "https://")):
        return url
    scheme_end = url.index("://") + 3
    rest = url[scheme_end:]
    host, slash, tail = rest.partition("/")
    path, mark, query = tail.partition("?")
    path = path.rstrip("/")
    if not path and not query:
        return ""
    return f"https://{host}/{path}" + (f"?{query}" if query else "")


def _guid_key(guid: str | None) -> str:
    """A GUID as an identity key: a GUID that is a web address is compared as one."""
    guid = (guid or "").strip()
    if guid.lower().startswith(("http://", "https://")):
        return identity_url(guid) or guid
    return guid


def clamp_date(moment: datetime | None, now: datetime) -> datetime | None:
    """`moment` in UTC, or None when it is implausible (before 1995, or more than
    FUTURE_SLACK ahead of `now`); a date within the slack ahead becomes `now`."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment < EARLIEST_DATE:
        return None
    if moment > now + FUTURE_SLACK:
        return None
    if moment > now:
        return now
    return moment.replace(microsecond=0)


# Runs of letters and digits. Joined by single spaces they are exactly what replacing
# every run of anything else ([\W_]+) by a space and stripping gives, which is what the
# hashes of stored items were made from; finding the words is the cheaper of the two.
_HASHED_WORDS = re.compile(r"[^\W_]+")


def content_hash(title: str, text: str) -> str:
    """Identity of an item's content, blind to case, spacing and punctuation."""
    folded = " ".join(_HASHED_WORDS.findall(f"{title}\n{text}".casefold()))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


NOT_DETECTED = ""


def normalize_entry(entry: RawEntry, now: datetime, detect: bool = True) -> Item:
    """Clean one entry.

    `detect=False` leaves `lang` as NOT_DETECTED: language detection costs several times
    a feed parse per item, so the poll runs it only on items that matched a topic.
    """
    title = clean_text(entry.title)[:MAX_TITLE_CHARS]
    text = clean_text(entry.summary)[:MAX_TEXT_CHARS]
    url = identity_url(entry.link)
    digest = content_hash(title, text)
    guid = _guid_key(entry.guid) or url or digest
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
        link=(entry.link or "").strip() or None,
    )


def settle_identities(items: list[Item]) -> None:
    """Identity keys that hold inside one document, set in place.

    A key that several different items of one document share identifies none of them:
    a GUID repeated on different items falls back to the item's link, and a link that
    is repeated too falls back to the content hash; a link shared by items with
    different GUIDs is not used to find the item elsewhere either. The fallback depends
    only on the document, so the next fetch of it gives every item the same key.
    """
    guids: dict[str, set[str]] = {}
    urls: dict[str, set[str]] = {}
    for item in items:
        guids.setdefault(item.guid, set()).add(item.content_hash)
        if item.url:
            urls.setdefault(item.url, set()).add(item.content_hash)
    for item in items:
        shared_url = bool(item.url) and len(urls[item.url]) > 1
        if len(guids[item.guid]) > 1:
            item.guid = item.url if item.url and not shared_url else f"sha256:{item.content_hash}"
        if shared_url:
            item.url = ""

