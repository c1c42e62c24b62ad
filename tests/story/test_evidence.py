"""Evidence of one event: facts weighed by how specific they are, kinds, time, conflicts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.story.evidence import NO_VOCABULARY, TUNING, Specificity, compare
from monitor.story.features import features_for, topic_vocabulary
from monitor.story.state import add_item, new_story

T0 = datetime(2020, 12, 14, 17, tzinfo=timezone.utc)
SANCTIONS = {"s400": 6.0, "turkey": 1.5, "caatsa": 3.0, "sanctions": 1.1}


def story(story_id, title, text, when=T0, concepts=SANCTIONS, lang="en"):
    return new_story(story_id, features_for(title, text, lang, when, concepts), when, "outlet")


def others():
    """Three more stories of the topic, so that names can be weighed against them."""
    return [story(2, "Turkey tests S-400 near Sinop", "Turkey fired an S-400 missile near Sinop.",
                  T0 - timedelta(days=2), {"s400": 6.0, "turkey": 1.5, "test": 0.6}),
            story(3, "India signs S-400 deal", "Putin and Modi signed the deal in New Delhi.",
                  T0 - timedelta(days=3), {"s400": 6.0, "india": 1.1}),
            story(4, "Turkey removed from F-35", "Stephanie Grisham said Turkey's purchase makes it "
                  "impossible.", T0 - timedelta(days=4), {"f35": 4.0, "turkey": 1.5})]


def test_a_shared_name_of_this_event_is_evidence_across_scripts():
    sanctions = story(1, "US sanctions Turkey's SSB over S-400",
                      "Washington sanctioned the defence procurement agency and its head Ismail "
                      "Demir on Monday.")
    russian = features_for("США ввели санкции против Исмаила Демира", "Санкции по закону CAATSA.",
                           "ru", T0 + timedelta(hours=5), SANCTIONS)
    stories = [sanctions, *others()]
    evidence = compare(russian, sanctions, Specificity(russian, stories))
    assert evidence.kinds_agree is True and evidence.facts >= TUNING.min_evidence
    assert any("tmr" in s for s in evidence.shared)
    # Named by the topic itself, the same man weighs little.
    vocabulary = topic_vocabulary(["İsmail Demir"])
    topical = compare(russian, sanctions, Specificity(russian, stories, vocabulary))
    assert topical.facts < TUNING.min_evidence


def test_a_reaction_is_not_the_development_it_names():
    sanctions = story(1, "US imposes CAATSA sanctions on Turkey's SSB", "The measures were announced.")
    reaction = features_for("Turkey condemns US sanctions, says it will retaliate",
                            "The foreign ministry called the sanctions a grave mistake.", "en",
                            T0 + timedelta(hours=14), SANCTIONS)
    evidence = compare(reaction, sanctions, Specificity(reaction, [sanctions, *others()]))
    assert "statement" in reaction.kinds and evidence.kinds_agree is False


def test_with_few_stories_open_the_topics_names_weigh_little():
    activation = story(1, "Turkey activates first S-400 battery near Ankara",
                       "The first battery was switched on at a base close to Ankara.")
    senators = features_for("Senators press for CAATSA sanctions over Ankara's S-400 purchase",
                            "Senators asked for sanctions on Turkey.", "en", T0, SANCTIONS)
    vocabulary = topic_vocabulary([], ["Turkey bought the S-400; Ankara and Erdoğan said so."])
    spec = Specificity(senators, [activation], vocabulary)
    evidence = compare(senators, activation, spec)
    assert spec.total == 1 and evidence.content < TUNING.min_evidence
    assert evidence.kinds_agree is False  # sanctions, not activation
    assert compare(senators, activation, Specificity(senators, [activation], NO_VOCABULARY)).kinds_agree is False


def test_time_closeness_adds_to_evidence_but_is_not_evidence():
    first = story(1, "US sanctions Turkey's SSB", "Ismail Demir was named.")
    later = add_item(first, features_for("US sanctions SSB", "Ismail Demir named.", "en",
                                         T0 + timedelta(hours=1), SANCTIONS),
                     T0 + timedelta(hours=1), "other")
    # In another language only facts compare, and it shares none but the topic's.
    item = features_for("Санкции против Турции", "Санкции объявлены в Вашингтоне.", "ru",
                        T0 + timedelta(hours=2), SANCTIONS)
    evidence = compare(item, later, Specificity(item, [later, *others()]))
    assert evidence.close and evidence.content < TUNING.min_evidence
    assert evidence.score > evidence.content  # closeness and the kind add to the score
