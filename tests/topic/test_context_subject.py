"""Where the topic is, and the look-alike kinds of text that real streams carry: a
weapon named once deep in an item about something else, a headline that is only the
topic, Russia's own air defences on duty, CAATSA waivers, ballistic missiles, militant
"fighters", a quoted designation. Sentences written for these tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.topic.match import explain, load_topic, match_item

ROOT = Path(__file__).resolve().parents[2]
LEXICON = ROOT / "config" / "topics" / "s400-f35.toml"
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def topic():
    return load_topic("s400-f35", LEXICON, SEEDS)


# A body about a naval tour; its last sentence names the S-400 once.
NAVAL = (
    "The Northern Fleet's cruiser returned to its home port on Friday after a four-month tour of the "
    "eastern Mediterranean, the navy said. The crew held gunnery practice with two frigates and a supply "
    "ship, called at ports in Cyprus and Algeria, and trained with naval aviation from the coast. Officers "
    "told reporters the tour had been long but calm, and that repairs in the dry dock would take most of "
    "next year. Cover for the anchorage came from S-400 units ashore, with US aircraft watched closely."
)
NAVAL_TITLE = "Cruiser back in port after four months at sea"


def passing(result) -> list[str]:
    return [r for r in result.reasons if r.startswith("passing mention")]


def test_a_weapon_named_once_deep_in_another_story_carries_no_match(topic):
    result = match_item(topic, NAVAL_TITLE, NAVAL, "en")
    assert not result.matched, explain(result)
    (reason,) = passing(result)
    assert "S-400" in reason and "named 1x, first at word" in reason and "first 40 words" in reason
    assert "passing mention" in explain(result)


def test_the_same_mention_in_the_title_carries_it(topic):
    result = match_item(topic, "S-400 units guard the fleet's anchorage, US aircraft watched", NAVAL, "en")
    assert result.matched and not passing(result)


def test_a_headline_that_is_only_the_topic_matches(topic):
    result = match_item(topic, "Ankara and Moscow sign the S-400 deal", "", "en")
    assert result.matched and not passing(result)


def test_a_mention_in_the_lead_is_not_in_passing(topic):
    lead = "Russian S-400 units ashore will cover the fleet's anchorage, US officials said on Friday. "
    result = match_item(topic, NAVAL_TITLE, lead + NAVAL, "en")
    assert result.matched and not passing(result)


def test_two_mentions_are_not_in_passing(topic):
    body = NAVAL + " The S-400 batteries will stay there, a US official said."
    result = match_item(topic, NAVAL_TITLE, body, "en")
    assert not passing(result)


def test_two_mentions_deep_in_a_long_article_are_still_in_passing(topic):
    # ~480 words about the fleet; the S-400 twice near the end: well under 1 in 200 words.
    body = " ".join([NAVAL.rsplit(" Cover", 1)[0]] * 6) + (
        " Cover for the anchorage came from S-400 units ashore. The S-400 crews rotate monthly.")
    result = match_item(topic, NAVAL_TITLE, body, "en")
    assert not result.matched, explain(result)
    (reason,) = passing(result)
    assert "named 2x" in reason


def test_a_title_about_a_party_to_the_trade_frames_a_deeper_mention(topic):
    # Talks in Ankara, the S-400 sale the last of the subjects listed.
    body = (
        "The Russian president travels to the Turkish capital on Monday for a day of talks with his host. "
        "Gas pipelines, tomatoes, tourism, the war in the north of Syria and a new nuclear plant are on the "
        "agenda, aides in both capitals said, as are flights between the two countries and students' visas. "
        "The aides added that the second contract for the S-400 would also be discussed."
    )
    result = match_item(topic, "What Putin and Erdogan will discuss in Ankara", body, "en")
    assert result.matched, explain(result)
    assert not passing(result)


# --- Russia's own air defences, waivers, look-alikes ---------------------------------------

@pytest.mark.parametrize("title, lang", [
    ("New S-400 regiment enters combat duty near Kaliningrad amid US patrols", "en"),
    ("Второй дивизион С-400 заступил на боевое дежурство в Крыму", "ru"),
    ("روسيا تنشر بطارية إس-400 جديدة في القرم ردا على واشنطن", "ar"),
])
def test_russias_own_units_on_duty_are_not_the_topic(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert not result.matched, explain(result)


def test_russias_deployment_in_syria_is_not_the_topic_even_beside_turkey(topic):
    result = match_item(topic, "Moscow sends S-400 batteries to its Syrian air base after Turkish jets down a bomber",
                        "", "en")
    assert not result.matched, explain(result)
    # A trade event beside Syria still is the topic.
    result = match_item(topic, "Ankara signs S-400 purchase as Syria talks stall", "", "en")
    assert result.matched, explain(result)


def test_a_buyer_beside_russias_own_units_is_still_the_topic(topic):
    result = match_item(topic, "Russia to deliver S-400s to India while Crimea gets a new regiment", "", "en")
    assert result.matched


@pytest.mark.parametrize("title, matched", [
    ("Washington grants New Delhi a CAATSA waiver", True),
    ("US weighs CAATSA waiver for Indonesian Su-35 purchase", False),  # another weapon
])
def test_caatsa_waivers_for_an_s400_buyer(topic, title, matched):
    result = match_item(topic, title, "", "en")
    assert result.matched is matched, explain(result)
    if matched:
        assert any(r.startswith("rule caatsa-waiver holds") for r in result.reasons)


@pytest.mark.parametrize("title, text, lang", [
    ("Beijing parks intercontinental missiles near the Russian border",
     "China moved a long-range missile system with nuclear warheads near the border, Moscow noted, "
     "and tested it twice.", "en"),
    ("Китай разместил новый ракетный комплекс у границы России",
     "Речь идёт о межконтинентальных баллистических ракетах, испытания которых прошли осенью.", "ru"),
])
def test_ballistic_missiles_are_not_the_described_s400(topic, title, text, lang):
    result = match_item(topic, title, text, lang)
    assert not result.matched, explain(result)


def test_militant_fighters_are_not_fighter_jets(topic):
    result = match_item(topic, "Turkey and the US agree a plan against IS fighters",
                        "Ankara and Washington signed an agreement to push the fighters back from the border.", "en")
    assert not result.matched, explain(result)


def test_a_designation_in_quotation_marks_is_read(topic):
    result = match_item(topic, "ABD'den Türkiye'ye ‘S-400’ uyarısı", "", "tr")
    assert result.matched and "s400" in result.concepts


@pytest.mark.parametrize("title, lang", [
    ("Russian and Chinese air defence units hold joint drills with live firing", "en"),
    ("Россия и Китай провели совместные учения ПВО с боевыми стрельбами", "ru"),
])
def test_joint_drills_are_not_a_sale(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert not result.matched, explain(result)


@pytest.mark.parametrize("title, lang", [
    ("Russian S-400 crews join Chinese forces for joint drills in the Pacific", "en"),
    ("Российские С-400 переброшены в Белоруссию на совместные учения", "ru"),
    ("Rus S-400 birlikleri Çin ile ortak tatbikata katıldı", "tr"),
])
def test_joint_drills_with_a_buyer_named_are_russias_own(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert not result.matched, explain(result)


def test_joint_drills_do_not_hide_a_sale(topic):
    result = match_item(topic, "Belarus signs contract for S-400 after joint drills", "", "en")
    assert result.matched, explain(result)


@pytest.mark.parametrize("title, lang", [
    ("Russian S-400 in Syria tracked Israeli F-35s over Lebanon", "en"),
    ("Suriye'deki Rus S-400'leri İsrail F-35'lerini takip etti", "tr"),
])
def test_israeli_f35s_meeting_the_s400_in_syria_are_not_the_trade(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert not result.matched, explain(result)


def test_the_closing_sentence_of_a_short_excerpt_is_not_its_lead(topic):
    # a 60-word summary under a title about taxes: its last sentence names the F-35
    body = ("Bakanlık yüksek gelirlilere yönelik yeni vergi düzenlemesini sundu ve lüks konut, yat ve otomobil "
            "vergilerini artırdı. Ekonomistler düzenlemenin bütçe açığını azaltacağını, enflasyona etkisinin "
            "sınırlı kalacağını söylüyor. Esnaf temsilcileri de kira ve enerji giderlerinin yükünü anlattı. "
            "Muhalefet ise geçmişte F-35 programı için ödenen paranın geri alınamamasını eleştirdi.")
    result = match_item(topic, "Yeni vergi paketi Meclis'te", body, "tr")
    assert not result.matched and passing(result), explain(result)
    # the same sentence at the head of the excerpt is its lead
    lead_first = match_item(topic, "Yeni vergi paketi Meclis'te", body.split("Muhalefet")[1] + " " + body, "tr")
    assert lead_first.matched, explain(lead_first)


SUMMIT = ("Стороны обсудили строительство атомной станции, поставки зерна, туризм и промышленную зону у канала. "
          "Речь также шла о ситуации в регионе и о транспортных коридорах. Подписаны документы о сотрудничестве "
          "в энергетике, образовании и медицине, а также меморандум о студенческих обменах и культурных связях. ")


def test_a_denied_deep_mention_is_in_passing_despite_a_party_in_the_title(topic):
    result = match_item(topic, "Путин провел переговоры с президентом Египта",
                        SUMMIT + "Пресс-секретарь сказал, что о С-400 на встрече не говорили.", "ru")
    assert not result.matched and passing(result), explain(result)


def test_without_the_denial_the_party_in_the_title_frames_the_mention(topic):
    result = match_item(topic, "Путин провел переговоры с президентом Египта",
                        SUMMIT + "Отдельно обсуждалась возможная покупка Египтом С-400.", "ru")
    assert result.matched, explain(result)


def test_a_denial_in_the_title_is_still_the_topic(topic):
    result = match_item(topic, "Güler: S-400 meselesi gündemde değil", "", "tr")
    assert result.matched, explain(result)


@pytest.mark.parametrize("title, lang", [
    ("В войска поставлен очередной полковой комплект С-400", "ru"),
    ("Зенитчики под Новосибирском получили новые С-400", "ru"),
    ("Russian air defence regiment near Novosibirsk receives new S-400 systems", "en"),
])
def test_russias_own_rearmament_is_not_a_sale(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert not result.matched, explain(result)


@pytest.mark.parametrize("title, lang", [
    ("Анкара получила российские ЗРК, несмотря на угрозы Вашингтона", "ru"),
    ("Ankara receives Russian air defence systems despite US warnings", "en"),
    # the forces named beside a buyer: the sale again
    ("Минобороны России: Индия получила третий полковой комплект С-400", "ru"),
])
def test_receiving_a_described_system_or_a_buyers_is_the_trade(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert result.matched, explain(result)


@pytest.mark.parametrize("title, lang", [
    ("Kremlin: S-400 regiment guards the capital during the parade", "en"),  # a regiment is a unit, not a sale
    ("Rus S-400'leri Moskova semalarında nöbette", "tr"),
    ("С-400 прикрыли небо Москвы", "ru"),
])
def test_the_capitals_own_air_defence_is_not_a_sale(topic, title, lang):
    result = match_item(topic, title, "", lang)
    assert not result.matched, explain(result)


def test_a_buyers_regiment_is_still_the_trade(topic):
    result = match_item(topic, "India receives second S-400 regiment", "", "en")
    assert result.matched, explain(result)
