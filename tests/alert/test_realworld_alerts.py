"""The alert-format cases of ../shared/fixtures/realworld/ (br22, br23), and the e-mail
Subject, through the daemon's calls to real receivers: Apprise posts to a loopback
webhook (json://), to a loopback server standing in for api.telegram.org (the Telegram
plugin's real requests, its endpoint pointed at loopback), and to aiosmtpd (mailto://)."""
from __future__ import annotations

import email
import json
import email.policy
import html
import re

import pytest
from apprise.plugins.telegram import NotifyTelegram

from delivery_helpers import SmtpSink
from monitor.demo.loopback import Route, WebhookReceiver
from realworld_helpers import REALWORLD, Monitor, fixture, plain

pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"{REALWORLD} is absent")

BOT = "123456789:AAHfakeTokenForLoopbackOnly0123456"
TELEGRAM_LIMIT = 4096
MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!\\")
ENCODED_WORD = re.compile(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=")

BR22_TITLES = [
    "S-400 #Turkey: 2nd battery (near Ankara) is live!",
    "[Analysis] F-35_exit *costs* Ankara $9bn + jobs",
    "منظومة إس-400 (تركيا) تدخل الخدمة.",
]
BR22_LINK = "https://example.org/alerts/s400_second_battery?ref=rss&id=7"


@pytest.fixture
def telegram(monkeypatch):
    """A loopback receiver for the Telegram Bot API; tgram:// URLs for both parse modes."""
    with WebhookReceiver() as receiver:
        monkeypatch.setattr(NotifyTelegram, "notify_url", f"http://127.0.0.1:{receiver.port}/bot")
        yield receiver


def tgram_urls() -> list[str]:
    return [f"tgram://{BOT}/1001", f"tgram://{BOT}/1002?format=markdown&mdv=2"]


def unescape_markdown_v2(text: str) -> str:
    """Telegram's reading of MarkdownV2 text: each backslash escapes the next character."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def assert_escaped_once(payload: dict) -> str:
    """The text Telegram would show for a sendMessage payload; fails on a parse error."""
    text = payload["text"]
    if payload.get("parse_mode") == "HTML":
        # Outside tags every & < > is an entity, and no entity is escaped twice.
        outside = re.sub(r"</?(b|i|a|code|pre|u|s)( [^<>]*)?>", "", text)
        assert "<" not in outside and ">" not in outside
        assert not re.search(r"&(?!(amp|lt|gt|quot|#\d+);)", outside)
        assert "&amp;amp;" not in text and "&amp;lt;" not in text
        return html.unescape(outside)
    assert payload.get("parse_mode") == "MarkdownV2"
    bare = re.sub(r"\\.", "", text, flags=re.S)
    # Every reserved character is escaped (none left bare) and none twice (no "\\\\").
    assert not (set(bare) & MARKDOWN_V2_RESERVED), set(bare) & MARKDOWN_V2_RESERVED
    assert "\\\\" not in text
    return unescape_markdown_v2(text)


def test_br22_markup_hostile_titles_arrive_exactly_once_escaped(tmp_path, telegram):
    with Monitor(tmp_path, {"/feed.xml": Route(fixture("br22-telegram-markdown.xml"))}, ["/feed.xml"],
                 alert_urls=tgram_urls()) as monitor:
        report = monitor.poll()
        posts = monitor.alerts()
        assert (report.new_items, report.matched) == (3, 3)
        assert report.alerts == len(posts) == 3
        # At the json:// receiver the title is the feed's title, with nothing added.
        assert sorted(p["title"] for p in posts) == sorted(BR22_TITLES)
        first = next(p for p in posts if p["title"] == BR22_TITLES[0])
        assert BR22_LINK in first["message"] and "\\_" not in first["message"]
        # Every alert reached both Telegram chats (HTML and MarkdownV2), none refused.
        sent = telegram.received
        assert len(sent) == 2 * len(posts)
        for payload in sent:
            shown = plain(assert_escaped_once(payload))
            title = next(t for t in BR22_TITLES if t in shown.replace("\u2068", "").replace("\u2069", ""))
            assert shown.replace("\u2068", "").replace("\u2069", "").startswith(title)
            if title == BR22_TITLES[0]:
                assert BR22_LINK in shown
        assert monitor.store.alert_counts().get("sent") == len(posts)


def test_br22_arabic_title_keeps_its_logical_order(tmp_path, telegram):
    with Monitor(tmp_path, {"/feed.xml": Route(fixture("br22-telegram-markdown.xml"))}, ["/feed.xml"],
                 alert_urls=tgram_urls()) as monitor:
        monitor.poll()
        arabic = [p for p in telegram.received if BR22_TITLES[2][:6] in p["text"]]
    for payload in arabic:
        shown = assert_escaped_once(payload)
        # Isolated with FSI ... PDI (or not at all), never reordered or reversed.
        assert BR22_TITLES[2] in shown.replace("\u2068", "").replace("\u2069", "")


def test_br23_an_overlong_item_is_one_alert_within_the_chat_limit(tmp_path, telegram):
    with Monitor(tmp_path, {"/feed.xml": Route(fixture("br23-telegram-too-long.xml"))}, ["/feed.xml"],
                 alert_urls=tgram_urls()) as monitor:
        report = monitor.poll()
        posts = monitor.alerts()
        item = monitor.items()[0]
    assert len(item["text"]) > TELEGRAM_LIMIT  # the stored summary is the long one
    assert report.alerts == 1 and len(posts) == 1
    assert posts[0]["title"] == "Inside Turkey's S-400 deployment: a day-by-day account"
    assert len(telegram.received) == 2
    for payload in telegram.received:
        assert len(payload["text"]) <= TELEGRAM_LIMIT
        shown = plain(assert_escaped_once(payload))
        assert shown.startswith("Inside Turkey's S-400 deployment: a day-by-day account")
        assert "https://example.com/longform/s400-day-by-day" in shown
        assert "…" in shown  # the summary was cut, visibly


def _checked_subject(raw: bytes) -> str:
    """The decoded Subject of a mail as the SMTP server received it, after checking that
    its encoded words are at most 75 characters and the unfolded line at most 998."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are 7-bit
    unfolded = re.sub(r"\r\n[ \t]", " ", head)
    [subject] = [line[len("Subject: "):] for line in unfolded.split("\r\n") if line.startswith("Subject: ")]
    for word in ENCODED_WORD.findall(subject):
        assert len(word) <= 75, word
    assert len(subject) <= 998
    return str(email.message_from_bytes(raw, policy=email.policy.default)["subject"])


@pytest.mark.parametrize("case, expected", [
    ("br05-utf8-stray-byte.xml", "Türkiye ilk S-400 bataryasını Ankara yakınında aktif hale getirdi"),
    ("br22-telegram-markdown.xml", BR22_TITLES[2]),
    ("br09-double-escaped-title.xml", "Erdoğan's S-400 gamble: \"no going back\""),
])
def test_email_subject_is_rfc2047_words_within_75_characters(tmp_path, case, expected):
    with SmtpSink() as sink, Monitor(tmp_path, {"/feed.xml": Route(fixture(case))}, ["/feed.xml"],
                                     alert_urls=[sink.apprise_url()]) as monitor:
        report = monitor.poll()
        assert report.alerts >= 1 and len(sink.raw) == report.alerts
        subjects = [_checked_subject(raw) for raw in sink.raw]
    assert expected in subjects  # decoded, the Subject is the item's title exactly


HELDOUT_TITLES = [
    "🚀 S-400 delivered 🇹🇷 — Ankara's batteries go live 🛡️",
    "منظومة إس-400 تصل إلى أنقرة (عاجل) — Turkey S-400",
    "S-400 Pneumonoultramicroscopicsilicovolcanoconiosisandotherverylongwordswithoutanybreaks"
    "whatsoeverinthetitle delivered",
    "S-400 =?utf-8?q?fake?= words in a published title",
    "Türkiye'nin S-400 teslimatı: ABD'den CAATSA yaptırımı {_*[]()~`>#+-=|.!\\}",
]


def _rss(titles: list[str]) -> bytes:
    from xml.sax.saxutils import escape
    items = "".join(
        f"<item><title>{escape(t)}</title><guid>urn:h:{n}</guid><link>https://desk.example/{n}?utm_source=rss</link>"
        f"<pubDate>Tue, 03 Mar 2026 10:00:00 GMT</pubDate><description>Russia delivered the S-400 air defence "
        f"system to Turkey; Washington weighs CAATSA sanctions.</description></item>"
        for n, t in enumerate(titles))
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>D</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize("title", HELDOUT_TITLES, ids=["emoji", "rtl", "long-word", "fake-encoded-word", "markup"])
def test_heldout_subjects_with_emoji_rtl_long_words_and_fake_encoded_words(tmp_path, title):
    with SmtpSink() as sink, Monitor(tmp_path, {"/feed.xml": Route(_rss([title]))}, ["/feed.xml"],
                                     alert_urls=[sink.apprise_url()]) as monitor:
        report = monitor.poll()
        assert report.alerts >= 1 and len(sink.raw) == report.alerts
        subjects = [_checked_subject(raw) for raw in sink.raw]
    [subject] = subjects
    assert subject == title or (subject.endswith("…") and title.startswith(subject[:-1].rstrip()))


def test_heldout_every_markdown_v2_reserved_character_escaped_once(tmp_path, telegram):
    with Monitor(tmp_path, {"/feed.xml": Route(_rss(HELDOUT_TITLES[-2:]))}, ["/feed.xml"],
                 alert_urls=tgram_urls()) as monitor:
        report = monitor.poll()
    assert report.alerts >= 1 and len(telegram.received) == 2 * report.alerts
    shown = " ".join(plain(assert_escaped_once(p)).replace("\u2068", "").replace("\u2069", "")
                     for p in telegram.received)
    assert HELDOUT_TITLES[-1] in shown or HELDOUT_TITLES[-2] in shown
    assert "https://desk.example/" in shown and "utm_source=rss" in shown


def test_heldout_discord_and_slack_messages_within_their_limits_with_title_and_link(tmp_path, monkeypatch):
    from apprise.plugins.discord import NotifyDiscord
    from apprise.plugins.slack import NotifySlack

    title = "S-400 *delivered* to Ankara: `batteries` ~live~ [analysis] " + "word " * 60
    long_text = "Russia delivered the S-400 air defence system to Turkey; CAATSA sanctions loom. " * 120
    from xml.sax.saxutils import escape
    body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>D</title><item>'
            f"<title>{escape(title)}</title><guid>urn:h:long</guid><link>https://desk.example/long?utm_source=rss</link>"
            f"<pubDate>Tue, 03 Mar 2026 10:00:00 GMT</pubDate><description>{escape(long_text)}</description>"
            "</item></channel></rss>").encode()
    with WebhookReceiver() as discord, WebhookReceiver() as slack:
        monkeypatch.setattr(NotifyDiscord, "notify_url", f"http://127.0.0.1:{discord.port}/api/webhooks")
        monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{slack.port}/services")
        urls = ["discord://417429632418316298/JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjCiOAF7711o33MyqU344Qpgv7YTdadTzeY",
                "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"]
        with Monitor(tmp_path, {"/feed.xml": Route(body)}, ["/feed.xml"], alert_urls=urls) as monitor:
            report = monitor.poll()
        assert report.alerts == 1
        [to_discord] = discord.received
        [to_slack] = slack.received
    shown = json.dumps(to_discord, ensure_ascii=False)
    text = to_discord.get("content") or " ".join(e.get("description", "") for e in to_discord.get("embeds", []))
    embed_title = " ".join(e.get("title", "") for e in to_discord.get("embeds", []))
    assert len(to_discord.get("content") or "") <= 2000 and len(text) <= 4096 and len(embed_title) <= 256
    assert "https://desk.example/long?utm_source=rss" in shown
    assert "S-400" in shown and "…" in shown
    slack_text = json.dumps(to_slack, ensure_ascii=False)
    assert "https://desk.example/long?utm_source=rss" in slack_text and len(slack_text) < 40_000
