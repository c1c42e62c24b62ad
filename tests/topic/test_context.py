"""Parties a reader takes for granted: implied by the item's language, by a name, by the
feed; never when another party is the subject; the language detected only when a rule
needs it. Sentences written for these tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.parse.language import detect_language
from monitor.topic.context import LazyLanguage, MatchContext
from monitor.topic.match import explain, load_topic, match_item

ROOT = Path(__file__).resolve().parents[2]
LEXICON = ROOT / "config" / "topics" / "s400-f35.toml"
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def topic():
    return load_topic("s400-f35", LEXICON, SEEDS)


def implied(result) -> list[str]:
    return [r for r in result.reasons if r.startswith("implied party")]


# --- the language ------------------------------------------------------------------

@pytest.mark.parametrize("title, source", [
    # S-400 + deployment, nobody named
    ("S-400 bataryaları başkentin yakınına yerleştirilecek", "the item is in tr,"),
    # an institution only a Turkish reader places: the name is found before the language
    ("Meclis'te flaş S-400 tartışması", '"Meclis" in the title'),
    # F-35 + the US, Turkey unsaid
    ("F-35 teslimatında yeni tarih: ABD açıkladı", "the item is in tr,"),
])
def test_a_turkish_headline_implies_turkey(topic, title, source):
    result = match_item(topic, title, "", "tr")
    assert result.matched, explain(result)
    (reason,) = implied(result)
    assert reason.startswith("implied party Turkey: ") and source in reason
    assert "implied party Turkey" in explain(result)


def test_the_same_report_in_english_names_nobody(topic):
    result = match_item(topic, "S-400 batteries to be stationed near the capital", "", "en")
    assert not result.matched and not implied(result)


@pytest.mark.parametrize("title", [
    "Rusya Kırım'daki S-400 bataryalarını yeniledi",  # Russia's own units: Crimea
    "Hindistan ikinci S-400 alayını teslim aldı",  # another buyer is the subject
    "Japonya yeni F-35 filosunu tanıttı",  # another F-35 buyer
    "Rusya Suriye'deki üssüne S-400 gönderdi",  # Syria: Russia's own deployment there
    "İsrail F-35'lerle Gazze'de hedefleri vurdu",  # another F-35 operator at war
])
def test_not_implied_when_another_party_is_the_subject(topic, title):
    result = match_item(topic, title, "", "tr")
    assert not implied(result), explain(result)


def test_an_implied_party_does_not_change_the_score_or_the_vector(topic):
    result = match_item(topic, "S-400 bataryaları başkentin yakınına yerleştirilecek", "", "tr")
    assert "turkey" not in result.concepts
    assert result.score == match_item(topic, "S-400 bataryaları başkentin yakınına yerleştirilecek", "", "en").score


# --- names: officials by surname, institutions ---------------------------------------

@pytest.mark.parametrize("title, text, lang, form", [
    ("Akar says the S-400 will be switched on in April", "", "en", "Akar"),
    ("Гюлер: вопрос С-400 закрыт", "", "ru", "Гюлер*"),
    ("", "SSB head comments on the F-35 timetable after the Washington talks", "en", "SSB"),
])
def test_an_officials_surname_implies_the_party(topic, title, text, lang, form):
    result = match_item(topic, title, text, lang)
    assert result.matched, explain(result)
    (reason,) = implied(result)
    assert f'"{form}"' in reason and "names one of its people or institutions" in reason


def test_a_surname_without_the_topic_matches_nothing(topic):
    result = match_item(topic, "Akar visits troops on the border", "", "en")
    assert not result.matched and not implied(result)


# --- the feed ------------------------------------------------------------------------

def test_a_feed_can_imply_the_party(topic):
    title = "Second battery of S-400s to be stationed near the capital"
    assert not match_item(topic, title, "", "en").matched
    context = MatchContext(feed="Ankara Daily", implies=("turkey",))
    result = match_item(topic, title, "", "en", context)
    assert result.matched
    (reason,) = implied(result)
    assert "the feed Ankara Daily implies it" in reason


def test_a_feed_implication_still_yields_to_another_subject(topic):
    context = MatchContext(feed="Ankara Daily", implies=("turkey",))
    result = match_item(topic, "India stations its S-400s near the capital", "", "en", context)
    assert not implied(result)  # India is the subject (and the S-400 rule holds on its own)


# --- the language is detected only when a rule needs it ---------------------------------

class CountingDetector:
    """The real detector, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str) -> str:
        self.calls += 1
        return detect_language(text)


@pytest.mark.parametrize("title, calls", [
    ("Belediye yeni otobüs hatlarını açıkladı, seferler pazartesi başlıyor", 0),  # off the topic
    ("Türkiye ve Rusya S-400 için yeni anlaşma imzaladı", 0),  # a rule holds without context
    ("S-400 bataryaları başkentin yakınına yerleştirilecek", 1),  # only the language can say
])
def test_language_detected_only_where_a_rule_needs_it(topic, title, calls):
    detector = CountingDetector()
    language = LazyLanguage(detector, title)
    result = match_item(topic, title, "", "und", MatchContext(language=language))
    assert detector.calls == calls
    if calls:
        assert result.matched and language.detected == "tr"
        assert "in tr (detected)" in implied(result)[0]
        assert result.reasons[-1].endswith("[tr]")


def test_lazy_language_detects_once():
    detector = CountingDetector()
    language = LazyLanguage(detector, "Ankara ile Moskova arasında yeni bir savunma anlaşması")
    assert language.detected is None
    assert language() == language() == "tr"
    assert detector.calls == 1


@pytest.mark.parametrize("title, lang, matched", [
    # NATO beside the S-400 is the alliance question of Turkey's purchase...
    ("NATO warns the S-400 cannot be wired into allied radars", "en", True),
    ("موسكو: إس-400 لا تشكل خطرا على الناتو", "ar", True),
    # ...but not Russia's own units facing NATO.
    ("New S-400 battalion takes up duty in Kaliningrad, NATO watches", "en", False),
])
def test_nato_is_a_party_to_the_s400_question(topic, title, lang, matched):
    result = match_item(topic, title, "", lang)
    assert result.matched is matched, explain(result)


@pytest.mark.parametrize("title, lang", [
    # another F-35 buyer reacting to Turkey's S-400: Greece is not the S-400's subject
    ("Yunanistan'dan S-400 tepkisi: Ege'de denge bozulur", "tr"),
])
def test_another_f35_buyer_blocks_turkey_only_for_f35_news(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert result.matched, explain(result)
    assert implied(result) and "Turkey" in implied(result)[0]
    # the same country's F-35 news does not imply Turkey
    other = match_item(topic, "Yunanistan yeni F-35 filosunu tanıttı", "", lang)
    assert not other.matched and not implied(other), explain(other)


@pytest.mark.parametrize("title, lang", [
    ("Teksas'ta F-35 düştü, pilot kurtuldu", "tr"),  # an accident abroad
    ("Lockheed Martin'in net kârı F-35 teslimatlarıyla yükseldi", "tr"),  # the maker's results
    ("Под Техасом разбился истребитель F-35", "ru"),
])
def test_routine_f35_news_implies_nobody(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert not result.matched and not implied(result), explain(result)


def test_routine_words_do_not_hide_a_trade(topic):
    # the return to the programme beside the routine word: the language implies Turkey again
    result = match_item(topic, "F-35 kazası programa dönüş görüşmelerini gölgeledi", "", "tr")
    assert result.matched and implied(result), explain(result)


@pytest.mark.parametrize("title, text", [
    ("Rus ordusu yeni S-400 alayını göreve başlattı", ""),
    ("Rusya S-400'leri test etti", "Rus Savunma Bakanlığı atışların başarılı olduğunu açıkladı."),
])
def test_russias_own_forces_acting_imply_no_turkey(topic, title, text):
    result = match_item(topic, title, text, "tr")
    assert not result.matched and not implied(result), explain(result)


def test_russias_forces_beside_a_trade_still_imply_turkey(topic):
    result = match_item(topic, "Rus Savunma Bakanlığı: S-400'lerin ikinci partisi yola çıktı", "", "tr")
    assert result.matched, explain(result)
    # Russia's forces with a delivery: the language implies Turkey, which outweighs them
    result = match_item(topic, "Rus ordusu: S-400'lerin ikinci parti teslimatı başladı", "", "tr")
    assert result.matched and implied(result), explain(result)


@pytest.mark.parametrize("title", [
    "Rusya yeni S-400 alayını Arktik'e yerleştirdi",  # Russia deploying
    "Rusya S-400 ile hipersonik bir hedefi test atışında vurdu",  # Russia testing
])
def test_russia_testing_or_deploying_implies_no_turkey(topic, title):
    result = match_item(topic, title, "", "tr")
    assert not result.matched and not implied(result), explain(result)


def test_russia_with_a_trade_still_implies_turkey(topic):
    result = match_item(topic, "Rusya S-400'lerin teslimat tarihini açıkladı", "", "tr")
    assert result.matched, explain(result)
