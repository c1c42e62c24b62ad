"""Backtests on a real SQLite file: stored items scored again with a changed topic;
--apply files new matches into stories without queueing alerts."""
from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import LEXICON, SEEDS
from monitor.config import Config
from monitor.desk.backtest import APPLIED, apply_new, backtest
from monitor.models import Item
from monitor.store import Store, utcnow
from monitor.topic.match import build_topic, load_topic, match_item

NOW = utcnow().replace(microsecond=0)
# Two outlets report one delivery under a nickname the lexicon does not know yet.
NICK_EN = ("Turkey receives second batch of Zircon-9 batteries from Russia",
           "The Zircon-9 systems were unloaded at Murted air base near Ankara on Tuesday, officials said.")
NICK_EN2 = ("Second Zircon-9 batch lands in Turkey",
            "Russian transport aircraft delivered the second Zircon-9 batch to Murted air base near Ankara on Tuesday.")
ON = ("Turkey activates S-400 air defence system bought from Russia",
      "Ankara switched on the S-400 batteries it bought from Russia despite CAATSA sanctions threats.")


@pytest.fixture(scope="module")
def topics():
    current = load_topic("s400-f35", LEXICON, sorted(SEEDS.glob("*.txt")))
    text = LEXICON.read_text(encoding="utf-8").replace('en = ["S-400", "S-400 Triumf",',
                                                       'en = ["Zircon-9", "S-400", "S-400 Triumf",', 1)
    import tomllib
    from monitor.topic.lexicon import parse_lexicon

    edited = build_topic(parse_lexicon(tomllib.loads(text)), {p.name: p.read_text() for p in SEEDS.glob("*.txt")},
                         name="s400-f35")
    return current, edited


@pytest.fixture
def store(tmp_path, topics):
    current, _ = topics
    with Store.open(tmp_path / "monitor.db") as opened:
        feeds = [opened.add_feed("https://a.example/rss", "Wire A"), opened.add_feed("https://b.example/rss", "Wire B")]
        for number, ((title, text), feed, age) in enumerate([
                (ON, feeds[0], timedelta(hours=3)), (NICK_EN, feeds[0], timedelta(hours=2)),
                (NICK_EN2, feeds[1], timedelta(hours=1)), (NICK_EN, feeds[1], timedelta(days=40))]):
            item = Item(guid=f"g{number}", url=f"https://news.example/{number}", title=title, text=text,
                        published=NOW - age, lang="en", content_hash=f"h{number}")
            with opened.write():
                item_id = opened.add_item(feed, item, NOW - age)
                result = match_item(current, title, text, "en")
                if result.matched:
                    opened.save_match(item_id, result, NOW - age)
        yield opened


def test_the_same_topic_changes_nothing(store, topics):
    current, _ = topics
    report = backtest(store, [current], NOW - timedelta(days=30))
    assert report.changes == [] and report.items == 3 and report.still_matched == 1


def test_a_new_form_lists_new_matches_oldest_first_with_reasons(store, topics):
    _, edited = topics
    report = backtest(store, [edited], NOW - timedelta(days=30))
    assert [c.title for c in report.changes] == [NICK_EN[0], NICK_EN2[0]]  # the 40-day-old copy is out of range
    assert all(c.change == "new" and c.score_then is None and c.score_now >= c.threshold for c in report.changes)
    assert any('"Zircon-9"' in r for r in report.changes[0].reasons)
    assert report.counts() | {"since": None} == {"since": None, "items": 3, "still_matched": 1, "new": 2, "dropped": 0}


def test_apply_files_new_matches_into_one_story_without_alerts(store, topics):
    _, edited = topics
    report = backtest(store, [edited], NOW - timedelta(days=30))
    config = Config(path=store.path, database=store.path)
    assert apply_new(store, config, [edited], report) == 2
    stories = {c.story for c in report.changes}
    assert len(stories) == 1 and None not in stories  # two outlets, one event
    [story] = stories
    assert store.get_story(story)["item_count"] == 2
    assert store.alert_counts()["pending"] == 0 and store.get_story(story)["alerted_at"] is None
    rows = store.list_matches(story_id=story)
    assert {r["quiet_reason"] for r in rows} == {APPLIED} and {r["alerted"] for r in rows} == {0}
    assert backtest(store, [edited], NOW - timedelta(days=30)).changes == []


def test_a_stricter_topic_lists_dropped_matches_and_keeps_them(store, topics):
    current, _ = topics
    strict = build_topic(current.lexicon, {}, threshold=99.0, name="s400-f35")
    report = backtest(store, [strict], NOW - timedelta(days=30))
    [dropped] = report.changes
    assert dropped.change == "dropped" and dropped.title == ON[0] and dropped.score_then is not None
    assert any("below the threshold 99.00" in r for r in dropped.reasons)
    config = Config(path=store.path, database=store.path)
    assert apply_new(store, config, [strict], report) == 0
    assert len(store.list_matches()) == 1  # the record of what was alerted stays
