"""`monitor match` without a database: pasted texts carry no date, and none is invented."""
from __future__ import annotations

from pathlib import Path

from monitor.story.offline import OfflineMatcher
from monitor.topic.match import load_topic

ROOT = Path(__file__).resolve().parents[2]


def _matcher() -> OfflineMatcher:
    topic = load_topic("s400-f35", ROOT / "config" / "topics" / "s400-f35.toml",
                       sorted((ROOT / "seeds").glob("*.txt")))
    return OfflineMatcher.from_topics([topic])


def test_undated_texts_of_different_developments_stay_apart():
    # Pasted one after the other, without dates: the moment they are read is not when the
    # events happened, so it cannot join them (it used to: every pasted text looked
    # simultaneous, and a test and a sanctions bill became one story).
    matcher = _matcher()
    rows = [
        {"id": "test", "title": "Turkey tests Russian S-400 air defence system near Sinop",
         "summary": "Turkey's military tested the Russian-made S-400 system near the Black Sea city of Sinop."},
        {"id": "bill", "title": "US Congress weighs CAATSA sanctions on Turkey over S-400",
         "summary": "A bill in the US Congress would impose sanctions on Turkey under CAATSA for buying "
                    "the Russian S-400 air defence system."},
    ]
    out = [matcher.score(row)[0] for row in rows]
    assert all(o["matched"] for o in out)
    assert out[0]["story"] != out[1]["story"]
    assert out[1]["relation"] in ("new", "new_development")


def test_a_dated_text_keeps_its_date_and_copies_still_join():
    matcher = _matcher()
    row = {"id": "a", "title": "Turkey tests Russian S-400 air defence system near Sinop",
           "summary": "Turkey's military tested the Russian-made S-400 system near the Black Sea city of "
                      "Sinop on Friday, local media reported.", "published": "2020-10-16T12:00:00Z"}
    first = matcher.score(row)[0]
    again = matcher.score(dict(row, id="b", published=None))[0]
    assert again["story"] == first["story"] and again["relation"] == "duplicate"
