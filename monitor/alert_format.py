"""Alert messages: what the analyst reads in chat or e-mail. Pure.

Feed text is untrusted: it is escaped in HTML, stripped of markup in text, and only
http(s) links are shown. Arabic and other right-to-left text is wrapped with `dir="auto"`
in HTML and isolated with Unicode bidi marks in text, so a mixed line renders in order.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

SNIPPET_CHARS = 400
TITLE_CHARS = 200
# First Strong Isolate / Pop Directional Isolate: keep RTL runs from reordering the line.
FSI, PDI = "\u2068", "\u2069"


@dataclass
class AlertMessage:
    title: str
    body: str  # plain text
    body_html: str


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


def safe_link(url: str | None) -> str | None:
    if url and url.lower().startswith(("http://", "https://")) and not any(c in url for c in "\"'<> \n"):
        return url
    return None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _isolate(text: str) -> str:
    return f"{FSI}{text}{PDI}" if any("\u0590" <= ch <= "\u08ff" for ch in text) else text


def format_alert(facts: AlertFacts) -> AlertMessage:
    headline = _clip(facts.title or "(untitled)", TITLE_CHARS)
    if facts.update_summary:
        prefix = "Update"
    elif facts.breaking:
        prefix = "Breaking"
    else:
        prefix = "New"
    title = f"[{facts.topic}] {prefix}: {headline}"
    link = safe_link(facts.url)
    why = "; ".join(facts.reasons[:4]) or "matched the topic"
    lines = [_isolate(headline), ""]
    if facts.update_summary:
        lines.append(f"Story grew: {facts.update_summary}")
    lines.append(f"Source: {facts.feed} · language: {facts.lang}" + (f" · published {facts.published}" if facts.published else ""))
    if facts.story_id is not None:
        lines.append(f"Story #{facts.story_id}: {facts.outlets} outlet(s)" + (f" in {', '.join(facts.langs)}" if facts.langs else ""))
    lines.append(f"Why: {why} (score {facts.score:.1f}, threshold {facts.threshold:.1f})")
    if link:
        lines.append(f"Link: {link}")
    if facts.snippet:
        lines += ["", _isolate(_clip(facts.snippet, SNIPPET_CHARS))]
    body = "\n".join(lines)

    esc = html.escape
    parts = [f'<h3 dir="auto">{esc(headline)}</h3>']
    if facts.update_summary:
        parts.append(f"<p><b>Story grew:</b> {esc(facts.update_summary)}</p>")
    meta = f"Source: {esc(facts.feed)} · language: {esc(facts.lang)}"
    if facts.published:
        meta += f" · published {esc(facts.published)}"
    parts.append(f"<p>{meta}</p>")
    if facts.story_id is not None:
        parts.append(f"<p>Story #{facts.story_id}: {facts.outlets} outlet(s)"
                     + (f" in {esc(', '.join(facts.langs))}" if facts.langs else "") + "</p>")
    parts.append(f"<p><b>Why:</b> {esc(why)} (score {facts.score:.1f}, threshold {facts.threshold:.1f})</p>")
    if link:
        parts.append(f'<p><a href="{esc(link, quote=True)}">{esc(link)}</a></p>')
    if facts.snippet:
        parts.append(f'<p dir="auto">{esc(_clip(facts.snippet, SNIPPET_CHARS))}</p>')
    return AlertMessage(title=title, body=body, body_html="\n".join(parts))


def format_test_message() -> AlertMessage:
    text = "This is a test alert from feed-monitor. If you can read it, this target works."
    return AlertMessage(title="[feed-monitor] Test alert", body=text, body_html=f"<p>{text}</p>")
