"""Alert messages: what the analyst reads in chat or e-mail. Pure.

Feed text is untrusted: it is escaped in HTML, stripped of markup in text, and only
http(s) links are shown. Arabic and other right-to-left text is wrapped with `dir="auto"`
in HTML and isolated with Unicode bidi marks in text, so a mixed line renders in order.

`fit_message` cuts a message to one service's title and body limits (Apprise's
`title_maxlen` / `body_maxlen`), keeping the head (title, link, source, reasons) and
the outbox reference; the sender also sets Apprise's overflow mode to truncate, so
nothing is ever split into several messages or refused for its length. E-mail gets the
HTML body, which Apprise's mailto sends as multipart/alternative with a text part.
`format_digest` lists stories (or alerts folded by a target's hourly cap) in one message.
"""
from __future__ import annotations

import email.charset
import email.header
import html
from dataclasses import dataclass

SNIPPET_CHARS = 400
UPDATE_PREFIX, BREAKING_PREFIX = "Update: ", "Breaking: "
TITLE_CHARS = 200
# First Strong Isolate / Pop Directional Isolate: keep RTL runs from reordering the line.
FSI, PDI = "\u2068", "\u2069"


@dataclass
class AlertMessage:
    title: str
    body: str  # plain text
    body_html: str
    footer: str = ""  # kept whole when the body is cut to fit (the alert's reference)

    def html(self) -> str:
        return f"{self.body_html}\n<p>{html.escape(self.footer)}</p>" if self.footer else self.body_html


@dataclass
class AlertFacts:
    """What an alert is about, gathered from the item, its match and its story."""

    topic: str
    title: str
    url: str | None
    feed: str
    lang: str
    published: str | None
    score: float
    threshold: float
    reasons: list[str]
    snippet: str
    story_id: int | None = None
    outlets: int = 1
    langs: tuple[str, ...] = ()
    breaking: bool = False
    update_summary: str | None = None  # set for update alerts
    gist: str | None = None  # the matched concepts in the reader's language (alert/gist.py)
    gist_lang: str | None = None


def _outlets(count: int) -> str:
    return f"{count} outlet" + ("" if count == 1 else "s")


def safe_link(url: str | None) -> str | None:
    if url and url.lower().startswith(("http://", "https://")) and not any(c in url for c in "\"'<> \n"):
        return url
    return None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _isolate(text: str) -> str:
    return f"{FSI}{text}{PDI}" if any("\u0590" <= ch <= "\u08ff" for ch in text) else text


UNTITLED_WORDS = 80  # characters of an untitled item's text that stand for its title


def _opening(text: str | None) -> str:
    """The first words of an untitled item's text (JSON Feed and RSS allow items without
    a title: micro-posts), cut at a word with "…", so the alert says what it is about."""
    text = " ".join((text or "").split())
    if len(text) <= UNTITLED_WORDS:
        return text
    cut = text[:UNTITLED_WORDS].rsplit(" ", 1)[0] or text[:UNTITLED_WORDS]
    return cut.rstrip(",;:") + "…"


def format_alert(facts: AlertFacts) -> AlertMessage:
    headline = _clip(facts.title or _opening(facts.snippet) or "(untitled)", TITLE_CHARS)
    # A new item's alert is titled exactly as the feed titled the item, so the analyst
    # recognises it; updates and breaking stories say so first. The topic is in the body.
    if facts.update_summary:
        title = f"{UPDATE_PREFIX}{headline}"
    elif facts.breaking:
        title = f"{BREAKING_PREFIX}{headline}"
    else:
        title = headline
    link = safe_link(facts.url)
    why = "; ".join(facts.reasons[:4]) or "matched the topic"
    # The body opens with the title and the link: services without a title field (chat)
    # show only the body, and a body cut to a service's limit loses its end, never these.
    lines = [_isolate(title)]
    if link:
        lines.append(f"Link: {link}")
    if facts.gist:
        lines.append(f"In {facts.gist_lang}: {facts.gist}")
    lines.append("")
    if facts.update_summary:
        lines.append(f"Story grew: {facts.update_summary}")
    lines.append(f"Topic: {facts.topic} · source: {facts.feed} · language: {facts.lang}"
                 + (f" · published {facts.published}" if facts.published else ""))
    if facts.story_id is not None:
        lines.append(f"Story #{facts.story_id}: {_outlets(facts.outlets)}" + (f" in {', '.join(facts.langs)}" if facts.langs else ""))
    lines.append(f"Why: {why} (score {facts.score:.1f}, threshold {facts.threshold:.1f})")
    if facts.snippet:
        lines += ["", _isolate(_clip(facts.snippet, SNIPPET_CHARS))]
    body = "\n".join(lines)

    esc = html.escape
    parts = [f'<h3 dir="auto">{esc(title)}</h3>']
    if link:
        parts.append(f'<p><a href="{esc(link, quote=True)}">{esc(link)}</a></p>')
    if facts.gist:
        parts.append(f"<p><b>In {esc(facts.gist_lang or '')}:</b> {esc(facts.gist)}</p>")
    if facts.update_summary:
        parts.append(f"<p><b>Story grew:</b> {esc(facts.update_summary)}</p>")
    meta = f"Topic: {esc(facts.topic)} · source: {esc(facts.feed)} · language: {esc(facts.lang)}"
    if facts.published:
        meta += f" · published {esc(facts.published)}"
    parts.append(f"<p>{meta}</p>")
    if facts.story_id is not None:
        parts.append(f"<p>Story #{facts.story_id}: {_outlets(facts.outlets)}"
                     + (f" in {esc(', '.join(facts.langs))}" if facts.langs else "") + "</p>")
    parts.append(f"<p><b>Why:</b> {esc(why)} (score {facts.score:.1f}, threshold {facts.threshold:.1f})</p>")
    if facts.snippet:
        parts.append(f'<p dir="auto">{esc(_clip(facts.snippet, SNIPPET_CHARS))}</p>')
    return AlertMessage(title=title, body=body, body_html="\n".join(parts))


def with_reference(message: AlertMessage, alert_id: int) -> AlertMessage:
    """The message with its outbox ID, so the reader can find it in `monitor alerts`."""
    return AlertMessage(message.title, message.body, message.body_html or _text_to_html(message.body),
                        footer=f"feed-monitor alert #{alert_id}")


def fit_message(message: AlertMessage, *, title_max: int, body_max: int, html: bool) -> AlertMessage:
    """The message cut to a service's limits, footer included, ready to send.

    `title_max` 0 means the service has no title (Telegram and most chats): the title
    goes into the body as its first line (alerts open with it already). Apprise would paste
    the raw title into the HTML or Markdown body unescaped, and a headline such as
    `S-400 & F-35 <update>` would make Telegram refuse the message; in the body it is
    escaped exactly once, by the conversion to the service's parse mode. The body is
    cut at the end, where the snippet is, so the headline, source, reasons and link
    survive; HTML that is too long is replaced by the cut text, since cutting markup
    could leave it broken.
    """
    title = _clip(message.title, title_max) if title_max > 0 else ""
    room = body_max
    footer = f"\n\n{message.footer}" if message.footer else ""
    text = message.body
    if title_max <= 0 and message.title and not _opens_with(text, message.title):
        # A digest or test message: its title leads the body, as plain text.
        text = f"{message.title}\n\n{text}"
        message = AlertMessage(message.title, text, f"<p><b>{_esc(message.title)}</b></p>\n{message.body_html}"
                               if message.body_html else "", message.footer)
    if len(text) + len(footer) > room:
        text = _cut(text, max(room - len(footer), 0))
    full_text = text + footer
    body_html = message.html()
    if html and len(body_html) > room:
        body_html = _text_to_html(full_text)
        keep = len(full_text)
        while len(body_html) > room and keep > 0:  # escaping grows text: cut until it fits
            keep -= max(len(body_html) - room, 1)
            body_html = _text_to_html(_cut(full_text, max(keep, 0)))
    return AlertMessage(title=title, body=full_text, body_html=body_html if html else "")


def _opens_with(body: str, title: str) -> bool:
    first = body.split("\n", 1)[0].strip(FSI + PDI)
    return first == " ".join(title.split())


_esc = html.escape


# RFC 2047: an encoded word is at most 75 characters; 76 is the line length it assumes.
ENCODED_WORD_MAX = 75


def email_subject(title: str, limit: int = 0) -> str:
    """`title` as an e-mail Subject value: ASCII as it is, anything else as RFC 2047
    encoded words of at most ENCODED_WORD_MAX characters, separated by spaces; the
    value is at most `limit` characters when `limit` > 0 (Apprise cuts longer titles
    wherever the limit falls, even inside a word), the title shortened with "…" to fit.

    Apprise puts a non-ASCII title into one encoded word however long (a 400-character
    line that mail filters and some clients reject); words made here are left alone by
    it, since the value is then ASCII, and every mail reader joins them back into the
    title. Apprise writes the Subject on one line, so the words are not folded onto
    continuation lines; each word is within the limit.
    """
    title = " ".join(title.split())
    keep = len(title)
    while True:
        text = title if keep >= len(title) else title[: max(keep - 1, 0)].rstrip() + "…"
        # An ASCII title that contains "=?" is encoded too: a mail reader would take a
        # published "=?utf-8?b?...?=" for an encoded word and show other text.
        plain = text.isascii() and "=?" not in text
        value = text if plain else min((_encoded_words(text, c) for c in _SUBJECT_CHARSETS), key=len)
        if limit <= 0 or len(value) <= limit or keep <= 1:
            return value
        # Shrink in proportion to the overshoot: a few rounds at most.
        keep = min(keep - 1, int(keep * limit / len(value)))


def _charset(encoding: int) -> email.charset.Charset:
    charset = email.charset.Charset("utf-8")
    charset.header_encoding = encoding
    return charset


# Q keeps Latin text short, B (base64) Arabic, Cyrillic and the like; the shorter wins.
_SUBJECT_CHARSETS = (_charset(email.charset.QP), _charset(email.charset.BASE64))


def _encoded_words(text: str, charset: email.charset.Charset) -> str:
    encoded = email.header.Header(text, charset, maxlinelen=ENCODED_WORD_MAX + 1,
                                  header_name="Subject").encode(linesep="\n")
    return " ".join(encoded.split())


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…" if limit else ""


def _text_to_html(text: str) -> str:
    return "\n".join(f'<p dir="auto">{html.escape(line)}</p>' for line in text.split("\n") if line.strip())


def format_test_message() -> AlertMessage:
    text = "This is a test alert from feed-monitor. If you can read it, this target works."
    return AlertMessage(title="[feed-monitor] Test alert", body=text, body_html=f"<p>{text}</p>")


DIGEST_LINES = 50


@dataclass
class DigestEntry:
    """One line of a digest: a story (or a held alert) with its best link."""

    title: str
    url: str | None = None
    story_id: int | None = None
    outlets: int = 0
    langs: tuple[str, ...] = ()
    note: str = ""  # "update", "breaking"...


def format_digest(heading: str, intro: str, entries: list[DigestEntry]) -> AlertMessage:
    """A digest listing stories, newest knowledge first; at most DIGEST_LINES lines."""
    shown = entries[:DIGEST_LINES]
    title = f"[feed-monitor] {heading}"
    lines = [intro, ""]
    items_html = []
    for number, entry in enumerate(shown, 1):
        headline = _clip(entry.title or "(untitled)", TITLE_CHARS)
        facts = []
        if entry.note:
            facts.append(entry.note)
        if entry.story_id is not None:
            facts.append(f"story #{entry.story_id}")
        if entry.outlets:
            facts.append(_outlets(entry.outlets))
        if entry.langs:
            facts.append(", ".join(entry.langs))
        link = safe_link(entry.url)
        lines.append(f"{number}. {_isolate(headline)}" + (f" ({'; '.join(facts)})" if facts else ""))
        if link:
            lines.append(f"   {link}")
        item = f'<li><span dir="auto">{html.escape(headline)}</span>'
        if facts:
            item += f" ({html.escape('; '.join(facts))})"
        if link:
            item += f' <a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>'
        items_html.append(item + "</li>")
    if len(entries) > len(shown):
        more = f"... and {len(entries) - len(shown)} more (see `monitor stories`)."
        lines.append(more)
        items_html.append(f"<li>{html.escape(more)}</li>")
    body_html = f"<h3>{html.escape(heading)}</h3>\n<p>{html.escape(intro)}</p>\n<ol>\n" + "\n".join(items_html) + "\n</ol>"
    return AlertMessage(title=title, body="\n".join(lines), body_html=body_html)
