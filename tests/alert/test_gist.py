"""Alerts for a reader of one language, and per-topic routing to Apprise tags: items
polled from loopback feeds, alerts delivered to real webhooks through Apprise."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import LEXICON, ON_TOPIC, SEEDS, rss
from monitor.alert.format import AlertFacts, format_alert
from monitor.alert.gist import concept_gist, concept_name
from monitor.alert.targets import build_targets, route, split_tags
from monitor.cli import cli
from monitor.config import AlertConfig
from monitor.demo.loopback import FeedServer, Route, WebhookReceiver
from monitor.topic.match import load_topic

ARABIC = {"title": "تركيا تتسلم الدفعة الثانية من منظومة إس-400 الروسية",
          "summary": "أعلنت أنقرة وصول الدفعة الثانية من منظومة إس-400 من روسيا رغم تهديد واشنطن بعقوبات كاتسا."}
# A different development from the Arabic report (a contract, not a delivery), so that it
# is its own story and its own alert rather than a cross-language report of the same event.
RUSSIAN = {"title": "Москва и Анкара подписали контракт на второй полк С-400",
           "summary": "Турция заключила с Рособоронэкспортом договор о закупке второго полка С-400, "
                      "невзирая на угрозу американских санкций по закону CAATSA."}


@pytest.fixture(scope="module")
def topic():
    return load_topic("s400-f35", LEXICON, sorted(SEEDS.glob("*.txt")))


def config_text(feed_url: str, alert_urls: list[str], alerts_extra: str = "", topic_extra: str = "") -> str:
    return (f'[monitor]\ndatabase = "monitor.db"\nallow_private_networks = true\nbackfill = "3650d"\n\n'
            f'[[feed]]\nurl = "{feed_url}"\nname = "Wire"\n\n'
            f'[[topic]]\nname = "s400-f35"\nseeds = ["{SEEDS}/*.txt"]\nlexicon = "{LEXICON}"\n{topic_extra}\n\n'
            "[alerts]\nurls = [" + ", ".join(json.dumps(u) for u in alert_urls) + f"]\n{alerts_extra}\n")


def poll(tmp_path, text: str):
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "poll", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.splitlines()[-1])


def test_arabic_and_russian_alerts_carry_an_english_gist_and_english_ones_none(tmp_path):
    with FeedServer({"/a.xml": Route(rss([ARABIC, RUSSIAN, ON_TOPIC], "Wire"))}) as feeds, WebhookReceiver() as hook:
        summary = poll(tmp_path, config_text(feeds.url("/a.xml"), [hook.apprise_url()], 'reader_language = "en"'))
    assert summary["alerts_sent"] >= 2
    messages = [post["message"] for post in hook.received]
    languages = [next(l for l in m.splitlines() if " language: " in l).split("language: ")[1].split(" ")[0]
                 for m in messages]
    assert "ar" in languages and "ru" in languages
    for message, language in zip(messages, languages):
        gist = [line for line in message.splitlines() if line.startswith("In en: ")]
        if language == "en":
            assert gist == []
        else:
            [line] = gist
            names = line.removeprefix("In en: ").split(" · ")
            assert names[0] == "S-400" and {"Turkey", "CAATSA"} <= set(names)
            assert all("*" not in name and name.strip() == name and name for name in names)


def test_the_gist_names_concepts_in_the_readers_language(topic):
    from monitor.topic.match import match_item

    result = match_item(topic, ARABIC["title"], ARABIC["summary"], "ar")
    gist = concept_gist(topic, result, "en", "ar")
    names = gist.split(" · ")
    assert names[0] == "S-400" and "Turkey" in names and "CAATSA" in names
    assert concept_gist(topic, result, "en", "en") is None and concept_gist(topic, result, None, "ar") is None
    assert concept_gist(topic, result, "ar", "en").startswith("إس-400")  # an Arabic reader of English news
    assert concept_name(topic, "turkey", "xx") == "Turkey"  # no form in that language: the label
    message = format_alert(AlertFacts(topic="t", title=ARABIC["title"], url=None, feed="Wire", lang="ar",
                                      published=None, score=7, threshold=2.5, reasons=[], snippet="",
                                      gist=gist, gist_lang="en"))
    assert message.body.splitlines()[1] == f"In en: {gist}"
    assert f"<b>In en:</b> {gist}" in message.body_html


def test_a_topic_with_tags_alerts_only_the_targets_with_those_tags(tmp_path):
    with FeedServer({"/a.xml": Route(rss([ON_TOPIC], "Wire"))}) as feeds, \
            WebhookReceiver() as desk, WebhookReceiver() as other:
        urls = [f"desk, ops={desk.apprise_url()}", other.apprise_url()]
        summary = poll(tmp_path, config_text(feeds.url("/a.xml"), urls, topic_extra='tags = ["desk"]'))
    assert summary["alerts_sent"] == 1
    assert len(desk.received) == 1 and "Turkey activates" in desk.received[0]["title"]
    assert other.received == []


def test_routing_rules_and_tag_syntax():
    assert split_tags("desk, ops=json://h/x?a=b") == (frozenset({"desk", "ops"}), "json://h/x?a=b")
    assert split_tags("json://h/x?a=b") == (frozenset(), "json://h/x?a=b")
    config = AlertConfig(urls=["desk=json://127.0.0.1:1/a", "json://127.0.0.1:1/b"],
                         topic_tags={"routed": ["desk"], "typo": ["dsek"]})
    targets = build_targets(config)
    assert [t.tags for t in targets] == [frozenset({"desk"}), frozenset()]
    assert route(targets, "routed", config) == targets[:1]
    assert route(targets, "unrouted", config) == targets and route(targets, None, config) == targets
    assert route(targets, "typo", config) == targets  # no target has the tag: nothing is lost
