"""Alert messages: escaped, http(s) links only, right-to-left text kept in order,
cut to each service's limits, and HTML e-mail with a plain-text part (real SMTP)."""
from __future__ import annotations

import apprise
import pytest

from monitor.alert.targets import build_targets
from monitor.alert.format import (
    DIGEST_LINES, FSI, PDI, AlertFacts, AlertMessage, DigestEntry, fit_message, format_alert, format_digest,
    safe_link, with_reference,
)
from monitor.config import AlertConfig
from monitor.demo.loopback import WebhookReceiver
from delivery_helpers import SmtpSink, text_part

ARABIC_TITLE = "تركيا تفعّل منظومة إس-400 الروسية رغم تحذيرات واشنطن"


def facts(**overrides) -> AlertFacts:
    values = dict(topic="s400-f35", title="Turkey activates S-400", url="https://news.example/s400",
                  feed="Wire", lang="en", published="2026-03-02T09:00:00Z", score=9.5, threshold=4.0,
                  reasons=["S-400 in title (+4.0)", "Turkey in title (+2.0)"], snippet="Ankara switched on the S-400.",
                  story_id=7, outlets=3, langs=("ar", "en"))
    values.update(overrides)
    return AlertFacts(**values)


def test_feed_text_is_escaped_in_html():
    message = format_alert(facts(title='S-400 <script>alert("x")</script>', snippet="a <b>bold</b> & <img src=x>",
                                 feed="<i>Evil</i> feed"))
    assert "<script>" not in message.body_html and "&lt;script&gt;" in message.body_html
    assert "<img" not in message.body_html and "&lt;img src=x&gt;" in message.body_html
    assert "<i>" not in message.body_html
    assert "&amp;" in message.body_html


@pytest.mark.parametrize("url, shown", [
    ("https://news.example/a?b=1", True),
    ("http://news.example/a", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<script>x</script>", False),
    ("ftp://news.example/file", False),
    ('https://news.example/"><script>', False),
    (None, False),
])
def test_only_http_links(url, shown):
    message = format_alert(facts(url=url))
    assert (safe_link(url) is not None) == shown
    assert ("Link: " in message.body) == shown
    assert ("<a href=" in message.body_html) == shown
    if url and not shown:
        assert url not in message.body and url not in message.body_html


def test_right_to_left_text_is_isolated_in_text_and_auto_directed_in_html():
    message = format_alert(facts(title=ARABIC_TITLE, lang="ar", snippet="أعلنت أنقرة تشغيل المنظومة."))
    assert f"{FSI}{ARABIC_TITLE}{PDI}" in message.body
    assert f"{FSI}أعلنت أنقرة تشغيل المنظومة.{PDI}" in message.body
    assert f'<h3 dir="auto">{ARABIC_TITLE}</h3>' in message.body_html
    english = format_alert(facts())
    assert FSI not in english.body  # left-to-right text needs no marks


@pytest.mark.parametrize("url", [
    "tgram://123456789:AAbbccddeeffgghhiijjkkllmmnnooppqq/12345",
    "discord://12345678/abcdefghijklmnopqrstuvwxyz",
    "json://127.0.0.1:9/x",
    "mailto://127.0.0.1:25?to=a@example.com&from=b@example.com",
])
def test_messages_fit_each_services_limits(url):
    plugin = apprise.Apprise.instantiate(url)
    long = AlertMessage(title="[s400-f35] New: " + "S-400 " * 100, body="Headline\nLink: https://x.example/a\n\n" + "word " * 20000,
                        body_html="<p>" + "word " * 20000 + "</p>", footer="feed-monitor alert #42")
    use_html = plugin.resolve_format(None) == apprise.NotifyFormat.HTML
    fitted = fit_message(long, title_max=plugin.title_maxlen, body_max=plugin.body_maxlen, html=use_html)
    sent_body = fitted.body_html if use_html else fitted.body
    title_room = len(fitted.title) + 2 if plugin.title_maxlen <= 0 else 0
    assert len(sent_body) + title_room <= plugin.body_maxlen
    if plugin.title_maxlen > 0:
        assert len(fitted.title) <= plugin.title_maxlen
    head = "Headline\nLink: https://x.example/a"
    # The head survives; a service without titles gets the title as the body's first line.
    assert fitted.body.startswith(head if plugin.title_maxlen > 0 else f"{long.title}\n\n{head}")
    assert fitted.body.endswith("feed-monitor alert #42")  # and so does the reference
    assert "…" in fitted.body
    if use_html:
        assert fitted.body_html.count("<p") == fitted.body_html.count("</p>")  # no cut tag


def test_a_short_message_is_left_alone():
    message = with_reference(format_alert(facts()), 5)
    fitted = fit_message(message, title_max=250, body_max=32768, html=True)
    assert fitted.title == message.title
    assert fitted.body == message.body + "\n\nfeed-monitor alert #5"
    assert fitted.body_html.startswith(message.body_html) and "feed-monitor alert #5" in fitted.body_html


def test_an_oversized_message_arrives_cut_not_refused():
    with WebhookReceiver() as hook:
        [target] = build_targets(AlertConfig(urls=[hook.apprise_url()]))
        error = target.send(AlertMessage("t", "x" * 100_000, "", footer="feed-monitor alert #1"))
    assert error is None
    [post] = hook.received
    assert len(post["message"]) <= 32768 and post["message"].endswith("feed-monitor alert #1")


def test_html_mail_has_a_plain_text_part_with_the_arabic_headline_and_link():
    message = with_reference(format_alert(facts(title=ARABIC_TITLE, lang="ar", snippet="نص <b>الخبر</b>")), 3)
    with SmtpSink() as smtp:
        [target] = build_targets(AlertConfig(urls=[smtp.apprise_url()]))
        assert target.send(message) is None
    [mail] = smtp.messages
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert ARABIC_TITLE in mail["subject"]
    text = text_part(mail)
    html_part = mail.get_body(preferencelist=("html",)).get_content()
    assert ARABIC_TITLE in text and "https://news.example/s400" in text and "feed-monitor alert #3" in text
    assert "<h3" not in text and "<p" not in text and "&lt;" not in text  # our markup is not shown
    assert "الخبر" in text
    assert f'<h3 dir="auto">{ARABIC_TITLE}</h3>' in html_part
    assert "&lt;b&gt;" in html_part  # feed markup is text, not markup, in HTML


def test_digest_lists_every_story_up_to_a_bound():
    entries = [DigestEntry(title=f"Story {n} <x>", url=f"https://n.example/{n}", story_id=n, outlets=n % 5,
                           langs=("ar", "en"), note="breaking" if n == 1 else "") for n in range(DIGEST_LINES + 7)]
    entries[2].url = "javascript:alert(1)"
    message = format_digest("Hourly digest", "Stories with news.", entries)
    assert message.title == "[feed-monitor] Hourly digest"
    assert "1. Story 0 <x>" in message.body and f"{DIGEST_LINES}. Story {DIGEST_LINES - 1}" in message.body
    assert f"Story {DIGEST_LINES} " not in message.body
    assert "... and 7 more" in message.body
    assert "javascript:" not in message.body and "javascript:" not in message.body_html
    assert "Story 0 &lt;x&gt;" in message.body_html and "<x>" not in message.body_html
    assert "breaking; story #1" in message.body


@pytest.mark.parametrize("body_max", [160, 300, 1024])
def test_a_small_limit_keeps_the_title_and_the_link(body_max):
    message = with_reference(format_alert(facts(title="S-400 #Turkey: 2nd battery (near Ankara) is live!",
                                                url="https://news.example/s400_second?ref=rss&id=7",
                                                snippet="word " * 2000)), 9)
    fitted = fit_message(message, title_max=0, body_max=body_max, html=False)
    assert len(fitted.body) <= body_max and fitted.title == ""
    assert fitted.body.startswith("S-400 #Turkey: 2nd battery (near Ankara) is live!\n"
                                  "Link: https://news.example/s400_second?ref=rss&id=7")


def test_a_chat_service_without_titles_still_shows_a_digest_heading_once():
    digest = format_digest("Hourly digest: 2 stories", "Stories with news.", [DigestEntry("S-400 & F-35 <now>")])
    fitted = fit_message(digest, title_max=0, body_max=4096, html=True)
    assert fitted.title == "" and fitted.body.startswith("[feed-monitor] Hourly digest: 2 stories\n")
    assert fitted.body_html.startswith("<p><b>[feed-monitor] Hourly digest: 2 stories</b></p>")
    alert = fit_message(format_alert(facts()), title_max=0, body_max=4096, html=False)
    assert alert.body.count("Turkey activates S-400") == 1  # an alert's title is not repeated


def test_an_untitled_item_is_titled_by_its_opening_words():
    text = "Ankara switched on the second S-400 battery near the capital today, officials in the ministry said."
    message = format_alert(facts(title="", snippet=text))
    assert message.title == "Ankara switched on the second S-400 battery near the capital today, officials…"
    assert format_alert(facts(title="", snippet="S-400 live.")).title == "S-400 live."
    assert format_alert(facts(title="", snippet="")).title == "(untitled)"


def test_counts_read_in_the_right_number():
    one, three = format_alert(facts(outlets=1)), format_alert(facts(outlets=3))
    assert "Story #7: 1 outlet in ar, en" in one.body and "Story #7: 3 outlets in" in three.body
    assert "1 outlet in" in one.body_html and "(s)" not in one.body + three.body_html
