"""Lexicon loading: the real topic file, form parsing, rules, one-line validation errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.topic.lexicon import LexiconError, compile_rule, load_lexicon, parse_lexicon

ROOT = Path(__file__).resolve().parents[2]
LEXICON = ROOT / "config" / "topics" / "s400-f35.toml"

MINIMAL = {
    "topic": {"name": "t", "threshold": 1.0},
    "rule": [{"id": "r", "when": "a & !b"}],
    "concept": {
        "a": {"label": "A", "weight": 2.0, "en": ["alpha"]},
        "b": {"label": "B", "weight": -1.0, "groups": ["bad"], "en": ["beta"]},
    },
}


def with_change(path: list, value) -> dict:
    import copy

    data = copy.deepcopy(MINIMAL)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


# --- the real lexicon --------------------------------------------------------------

@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(LEXICON)


def test_real_lexicon_loads(lexicon):
    assert lexicon.name == "s400-f35"
    assert lexicon.threshold > 0
    assert {"s400", "f35", "caatsa", "turkey", "russia", "united_states", "india"} <= set(lexicon.concepts)


CORE = ["s400", "f35", "caatsa", "air_defence", "turkey", "russia", "united_states", "russia_arms_export",
        "india", "china", "saudi_arabia", "sanctions", "purchase", "delivery", "test", "exclusion",
        "patriot", "thaad", "russian_fighters"]


@pytest.mark.parametrize("concept", CORE)
def test_core_concepts_have_forms_in_the_six_languages(lexicon, concept):
    assert {"en", "ar", "tr", "ru", "fa", "fr"} <= set(lexicon.concepts[concept].languages())


def test_every_concept_covers_the_six_languages(lexicon):
    thin = {c.id for c in lexicon.concepts.values() if not {"en", "ar", "tr", "ru", "fa", "fr"} <= set(c.languages())}
    assert not thin


def test_lookalikes_have_negative_weights(lexicon):
    for cid in ("patriot", "thaad", "iron_dome", "russian_fighters", "kaan", "other_fighters", "syria_offensive"):
        assert lexicon.concepts[cid].lookalike, cid
    assert not lexicon.concepts["s400"].lookalike


def test_rules_reference_known_names(lexicon):
    names = set(lexicon.concepts) | lexicon.groups()
    assert {"s400_buyer", "russia_side", "us_side", "event", "other_weapon"} <= names
    assert [r.id for r in lexicon.rules][0] == "s400-named"


# --- forms -------------------------------------------------------------------------

def form(value, lang="en"):
    data = with_change(["concept", "a", lang], [value])
    return parse_lexicon(data, "x.toml").concepts["a"].forms[-1]


def test_form_phrase_is_normalized_tokens():
    f = form("Air-Defence System")
    assert f.tokens == ("air", "defence", "system") and f.prefix == (False, False, False)


def test_form_with_star_is_a_prefix():
    f = form("air defen*")
    assert f.tokens == ("air", "defen") and f.prefix == (False, True)


def test_form_designation_with_space_is_one_token():
    assert form("S 400").tokens == ("s400",)
    assert form("اس ۴۰۰", "fa").tokens == ("s400",)


def test_russian_form_is_stemmed_unless_prefix():
    assert form("Турция", "ru").tokens == ("турц",)
    assert form("Анкар*", "ru").tokens == ("анкар",)


def test_arabic_form_drops_article():
    assert form("الدفاع الجوي", "ar").tokens == ("دفاع", "جوي")


def test_form_with_own_weight():
    f = form({"form": "Triumph", "weight": 0.5})
    assert f.weight == 0.5 and f.text == "Triumph"


# --- rules -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "expression, present, expected",
    [
        ("a & b", {"a", "b"}, True),
        ("a & b", {"a"}, False),
        ("a | b", {"b"}, True),
        ("a & !b", {"a", "b"}, False),
        ("a & (b | c)", {"a", "c"}, True),
        ("a and not (b or c)", {"a"}, True),
        ("a and not (b or c)", {"a", "c"}, False),
        ("!a", set(), True),
    ],
)
def test_rule_expressions(expression, present, expected):
    assert compile_rule(expression, {"a", "b", "c"})(frozenset(present)) is expected


@pytest.mark.parametrize(
    "expression,present,expected",
    [
        ("a & !b", {"a", "b"}, True),  # a negation reads as true
        ("a & !b", {"b"}, False),
        ("!a", set(), True),
        ("a and not (b or c)", {"a", "c"}, True),
        ("a | (b & !c)", {"b", "c"}, True),
    ],
)
def test_relaxed_rules_hold_wherever_the_rule_could(expression, present, expected):
    assert compile_rule(expression, {"a", "b", "c"}, relaxed=True)(frozenset(present)) is expected


@pytest.mark.parametrize("expression", ["a &", "(a | b", "a b", "a ^ b", ""])
def test_malformed_rules_raise(expression):
    with pytest.raises(ValueError):
        compile_rule(expression, {"a", "b"})


def test_rules_may_name_groups():
    lx = parse_lexicon(with_change(["rule"], [{"id": "g", "when": "a & !bad"}]), "x.toml")
    assert lx.rules[0].test(frozenset({"a"}))


# --- validation errors: one line, file and key --------------------------------------

@pytest.mark.parametrize(
    "path, value, key",
    [
        (["topic"], KeyError, "topic"),
        (["topic", "name"], "", "topic.name"),
        (["topic", "threshold"], "high", "topic.threshold"),
        (["topic", "colour"], "red", "topic.colour"),
        (["concept", "a", "weight"], "heavy", "concept.a.weight"),
        (["concept", "a", "label"], KeyError, "concept.a.label"),
        (["concept", "a", "en"], "alpha", "concept.a.en"),
        (["concept", "a", "en"], ["--"], "concept.a.en[0]"),
        (["concept", "a", "en"], [{"form": "x", "weight": 0}], "concept.a.en[0].weight"),
        (["concept", "a", "en"], [{"form": "x", "size": 1}], "concept.a.en[0]"),
        (["concept", "a", "english"], ["x"], "concept.a.english"),
        (["concept", "a", "groups"], "bad", "concept.a.groups"),
        (["concept", "Bad-Id"], {"label": "x", "weight": 1, "en": ["x"]}, "concept.Bad-Id"),
        (["rule"], [{"id": "r", "when": "a & nothing"}], "rule[1].when"),
        (["rule"], [{"id": "r", "when": "a &"}], "rule[1].when"),
        (["rule"], [], "rule"),
        (["rule"], [{"when": "a", "unless": "b"}], "rule[1].unless"),
        (["topic", "subject"], ["nothing"], "topic.subject"),
        (["topic", "frame"], "a", "topic.frame"),
        (["topic", "lead_words"], 0, "topic.lead_words"),
        (["topic", "subject_share"], 2, "topic.subject_share"),
        (["context"], {"nobody": {"langs": ["tr"]}}, "context.nobody"),
        (["context"], {"a": {"langs": "tr"}}, "context.a.langs"),
        (["context"], {"a": {"unless": ["nothing"]}}, "context.a.unless"),
        (["context"], {"a": {"english": ["x"]}}, "context.a.english"),
        (["context"], {"a": {"en": ["--"]}}, "context.a.en[0]"),
    ],
)
def test_validation_error_names_file_and_key(path, value, key):
    with pytest.raises(LexiconError) as info:
        parse_lexicon(with_change(path, value), "topics/x.toml")
    message = str(info.value)
    assert message.startswith(f"topics/x.toml: {key}:"), message
    assert "\n" not in message


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(LexiconError, match=r"^.*nope\.toml: cannot read"):
        load_lexicon(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[topic\nname = 1", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad\.toml: not valid TOML"):
        load_lexicon(bad)


# --- context and subject ------------------------------------------------------------

def test_context_and_subject_are_read():
    data = with_change(["context"], {"a": {"langs": ["tr"], "unless": ["bad"], "en": ["Smith"]}})
    data["topic"].update({"subject": ["a"], "frame": ["bad"], "lead_words": 12})
    lx = parse_lexicon(data)
    (context,) = lx.contexts
    assert context.party == "a" and context.langs == {"tr"} and context.unless == ("bad",)
    assert [f.tokens for f in context.names.forms] == [("smith",)]
    # Groups are expanded to their concepts.
    assert lx.subject == {"a"} and lx.frame == {"b"} and lx.lead_words == 12


def test_real_lexicon_has_a_turkish_context(lexicon):
    (turkey,) = [c for c in lexicon.contexts if c.party == "turkey"]
    assert "tr" in turkey.langs
    assert {"s400_buyer", "russia_own_deployment", "joint_drill"} <= set(turkey.unless)
    assert {"s400", "f35", "caatsa"} <= lexicon.subject


def test_context_unless_takes_an_expression():
    data = with_change(["context"], {"a": {"langs": ["tr"], "unless": ["bad & !a"]}})
    (context,) = parse_lexicon(data).contexts
    assert context.unless == ("bad & !a",)
    assert context.blocked(frozenset({"bad"})) and not context.blocked(frozenset({"bad", "a"}))
    assert not context.blocked(frozenset())


@pytest.mark.parametrize("unless, problem", [
    (["nothing"], "'nothing' is neither a concept id nor a group"),
    (["bad & nothing"], "unknown concept or group 'nothing'"),
    (["bad &"], "expected"),
])
def test_context_unless_errors_are_one_line(unless, problem):
    data = with_change(["context"], {"a": {"langs": ["tr"], "unless": unless}})
    with pytest.raises(LexiconError) as err:
        parse_lexicon(data, "topics/x.toml")
    message = str(err.value)
    assert message.startswith("topics/x.toml: context.a.unless:") and problem in message
    assert "\n" not in message


def test_the_russian_name_triumf_needs_a_unit_noun(lexicon):
    from monitor.topic.match import build_topic, match_item

    topic = build_topic(lexicon)
    sale = match_item(topic, "Индия получит еще два полка «Триумфа»", "по контракту с Россией", "ru")
    assert "s400" in sale.concepts
    sport = match_item(topic, "Триумф сборной: контракт с тренером продлен", "", "ru")
    assert "s400" not in sport.concepts and not sport.matched


def test_denial_is_read_and_checked():
    data = with_change(["topic", "denial"], ["b"])
    assert parse_lexicon(data).denial == {"b"}
    with pytest.raises(LexiconError, match=r"topic\.denial"):
        parse_lexicon(with_change(["topic", "denial"], ["nothing"]))
