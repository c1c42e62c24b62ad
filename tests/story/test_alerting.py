"""When a story alerts, and what its update says (monitor/story/alerting.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.story.alerting import StoryAlertPolicy, is_breaking, should_alert, update_summary
from monitor.story.grouping import add_item, features_for, new_story

T0 = datetime(2019, 7, 17, 9, tzinfo=timezone.utc)
REMOVAL = {"s400": 4.0, "f35": 3.0, "turkey": 1.0, "exclusion": 0.6, "united_states": 0.5}
REPORTS = [  # (outlet, language, headline)
    ("wire.example", "en", "US removes Turkey from F-35 programme over S-400 purchase"),
    ("okaz.com.sa", "ar", "البيت الأبيض: لن نبيع تركيا مقاتلات إف-35"),
    ("ria.example", "ru", "США исключили Турцию из программы F-35"),
    ("daily.example", "tr", "ABD, Türkiye'yi F-35 programından çıkardı"),
    ("post.example", "en", "Pentagon confirms Turkey's exit from the F-35 programme"),
]


def _story(reports, start=T0, step=timedelta(minutes=30)):
    state = None
    for number, (outlet, lang, title) in enumerate(reports):
        features = features_for(title, "", lang, start, REMOVAL)
        when = start + number * step
        state = (new_story(1, features, when, outlet) if state is None
                 else add_item(state, features, when, outlet))
    return state


def test_new_then_one_update_after_the_interval():
    policy = StoryAlertPolicy(update_interval=timedelta(hours=6), min_new_outlets=2)
    first = _story(REPORTS[:1])
    assert should_alert(first, None, T0, policy) == "new"
    grown = _story(REPORTS[:2])
    assert should_alert(grown, T0, T0 + timedelta(hours=2), policy) is None  # too soon
    assert should_alert(grown, T0, T0 + timedelta(hours=7), policy) == "update"  # new language
    assert should_alert(first, T0, T0 + timedelta(hours=7), policy) is None  # nothing new


def test_update_names_the_new_reports_headlines_languages_and_outlets():
    before, after = _story(REPORTS[:1]), _story(REPORTS[:3])
    summary = update_summary(after, before)
    assert summary == ("+2 outlets, +2 items, now also in Arabic and Russian: new reports "
                       "“\u2068البيت الأبيض: لن نبيع تركيا مقاتلات إف-35\u2069” (Arabic, okaz.com.sa); "
                       "“США исключили Турцию из программы F-35” (Russian, ria.example)")
    # The same from the snapshot the service keeps, and from the time of the last alert.
    snapshot = {"outlets": sorted(before.outlets), "langs": sorted(before.langs),
                "item_count": before.item_count}
    assert update_summary(after, snapshot) == summary
    assert update_summary(after, T0 + timedelta(minutes=10)) == summary.replace(", +2 items", "")


def test_update_names_the_latest_reports_and_counts_the_rest():
    summary = update_summary(_story(REPORTS), _story(REPORTS[:1]), shown=2)
    assert "now also in Arabic, Russian and Turkish" in summary
    assert summary.endswith("“Pentagon confirms Turkey's exit from the F-35 programme” "
                            "(English, post.example); and 2 more")
    assert "Türkiye'yi" in summary and "США" not in summary


def test_an_update_without_new_reports_says_so():
    story = _story(REPORTS[:2])
    assert update_summary(story, story) == "no new outlets or languages"


def test_breaking_when_many_outlets_report_within_minutes():
    policy = StoryAlertPolicy(breaking_items=3, breaking_outlets=3,
                              breaking_window=timedelta(minutes=30))
    state = _story(REPORTS[:2], step=timedelta(minutes=5))
    assert not is_breaking(state, T0 + timedelta(minutes=10), policy)
    state = _story(REPORTS[:3], step=timedelta(minutes=4))
    assert is_breaking(state, T0 + timedelta(minutes=10), policy)
    assert not is_breaking(state, T0 + timedelta(hours=3), policy)


def test_an_update_after_many_reports_counts_those_it_no_longer_keeps():
    from monitor.story.grouping import MAX_HEADLINES

    many = [(f"outlet{n}.example", "en", f"Report number {n} on Turkey's F-35 exit") for n in range(30)]
    summary = update_summary(_story(many), _story(many[:1]), shown=3)
    assert summary.startswith("+29 outlets, +29 items: new reports “Report number 27")
    assert summary.endswith("; and 26 more") and MAX_HEADLINES < 29
