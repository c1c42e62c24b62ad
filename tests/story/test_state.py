"""Story state and candidate index: what a story keeps of its members, and who finds it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from monitor.story.features import features_for
from monitor.story.state import (MAX_HEADLINES, StoryIndex, StoryState, add_item, cosine,
                                 feature_keys, new_story, story_keys, vector_norm)

T0 = datetime(2019, 7, 12, 10, tzinfo=timezone.utc)
DELIVERY = {"s400": 6.0, "turkey": 1.5, "delivery": 0.6}
INDIA = {"s400": 6.0, "india": 1.1, "payment": 0.4}


def features(title, text, lang="en", when=T0, concepts=DELIVERY):
    return features_for(title, text, lang, when, concepts)


MURTED = features("First parts of Russian S-400 system arrive in Turkey",
                  "A Russian cargo plane carrying the first components landed at Murted air base "
                  "near Ankara on Friday, the defence ministry said.")
MURTED_RU = features("", "Первая партия комплектующих С-400 доставлена на авиабазу Мюртед под "
                     "Анкарой, сообщило министерство обороны Турции.", "ru",
                     T0 + timedelta(hours=1))


def test_add_item_counts_members_and_leaves_the_given_state_alone():
    first = new_story(1, MURTED, T0, "wire.example")
    second = add_item(first, MURTED_RU, T0 + timedelta(hours=1), "agency.example")
    assert (first.item_count, second.item_count) == (1, 2)
    assert set(second.langs) == {"en", "ru"} and set(first.langs) == {"en"}
    assert second.kinds["delivery"] == 2 and second.ordinals == [1]
    assert second.event_first == T0 and second.event_last == T0 + timedelta(hours=1)
    # The Murted base is spelt in both scripts: one skeleton, counted twice.
    assert second.entities["mrt"] == 2


def test_state_survives_json():
    state = add_item(new_story(1, MURTED, T0, "a"), MURTED_RU, T0 + timedelta(hours=1), "b")
    assert StoryState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_headlines_are_capped_at_the_latest():
    state = new_story(1, MURTED, T0, "outlet0")
    for n in range(1, MAX_HEADLINES + 5):
        state = add_item(state, features(f"Report number {n}", "text"), T0 + timedelta(minutes=n),
                         f"outlet{n}")
    assert len(state.headlines) == MAX_HEADLINES
    assert state.headlines[-1][3] == f"Report number {MAX_HEADLINES + 4}"


def test_index_finds_the_story_sharing_a_place_not_another_buyers():
    index = StoryIndex()
    index.put(new_story(1, MURTED, T0, "a"))
    index.put(new_story(2, features("India pays first S-400 instalment",
                                    "New Delhi paid about $800 million to Moscow.",
                                    concepts=INDIA), T0, "b"))
    assert index.candidate_ids(MURTED_RU, limit=1) == [1]
    assert feature_keys(MURTED) <= story_keys(new_story(1, MURTED, T0, "a"))


def test_vector_helpers():
    assert vector_norm({}) == 1.0 and cosine({}, DELIVERY) == 0.0
    assert round(cosine(DELIVERY, DELIVERY), 6) == 1.0
    assert cosine({"s400": 1.0}, {"india": 1.0}) == 0.0
