"""Text features for story grouping: names, numbers, dates, kinds and copies, across scripts."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from monitor.story.features import (StoryFeatures, entity_match, features_for, fold, minhash,
                                    minhash_similarity, skeleton)


@pytest.mark.parametrize("latin, other", [
    ("grisham", "غريشام"),  # White House spokeswoman, in Arabic
    ("sinop", "синоп"),
    ("putin", "путин"),
    ("shugaev", "шугаев"),
])
def test_a_name_meets_itself_in_another_script(latin, other):
    assert entity_match(skeleton(fold(latin)), skeleton(fold(other)))


def test_different_names_do_not_meet():
    assert not entity_match(skeleton("grisham"), skeleton("sinop"))
    assert not entity_match(skeleton("putin"), skeleton("modi"))


def test_fold_ignores_case_accents_and_arabic_variants():
    assert fold("Türkiye") == fold("TÜRKIYE") == "turkiye"
    assert fold("أنقرة") == fold("انقره")
    assert fold("٥") == "5"


@pytest.mark.parametrize("text, lang", [
    ("a $5bn deal signed on October 5", "en"),
    ("صفقة بقيمة ٥ مليار دولار في ٥ أكتوبر", "ar"),
    ("сделка на 5 млрд долларов 5 октября", "ru"),
    ("5 milyar dolarlık anlaşma 5 Ekim'de imzalandı", "tr"),
])
def test_numbers_and_dates_normalised_across_scripts(text, lang):
    features = features_for("", text, lang, None, {})
    assert features.numbers == ["5e+09"]
    assert features.dates == ["10-05"]


def test_a_short_word_before_a_number_is_not_a_designation():
    # "about 800 million": "نحو" is no weapon prefix; "S 400" and "إس 400" still are.
    assert features_for("", "سددت الهند نحو 800 مليون دولار", "ar", None, {}).numbers == ["8e+08"]
    assert features_for("", "a total of 500 million for S 400 and إس 400", "en", None, {}).numbers == ["5e+08"]


def test_years_designations_and_small_counts_are_not_quantities():
    features = features_for("", "In 2019 Turkey bought four S-400 batteries; 12 F-35 jets", "en",
                            None, {})
    assert features.numbers == []  # a year, designations, a count below 100
    big = features_for("", "Turkey paid 2,500 million dollars", "en", None, {})
    assert big.numbers == ["2.5e+09"]


def test_stated_day_is_the_latest_full_date_in_the_text():
    features = features_for("", "October 06, 2018. On October 5, 2018, India signed.", "en", None, {})
    assert features.stated_day == "2018-10-06"
    assert features.event_time == datetime(2018, 10, 6, tzinfo=timezone.utc)
    published = datetime(2018, 10, 7, tzinfo=timezone.utc)
    assert features_for("", "October 06, 2018.", "en", published, {}).event_time == published
    assert features_for("", "On October 5 India signed.", "en", None, {}).event_time is None


@pytest.mark.parametrize("title, text, kinds", [
    ("Turkey tests Russian S-400 air defense system", "", ["test"]),
    ("Россия начала поставки С-400 в Индию", "", ["delivery"]),
    ("", "استبعدت الولايات المتحدة تركيا من برنامج إف-35. وقعت روسيا عقدا", ["removal"]),
    ("India and Russia sign S-400 deal", "", ["deal"]),
    # A reaction is a development of its own, alone or beside the one it comments on.
    ("Turkish foreign ministry statement: S-400 purchase is a sovereign decision", "", ["statement"]),
    ("", "قال المتحدث باسم الخارجية الهندية إن نيودلهي على اتصال مع واشنطن بشأن إس-400.", ["statement"]),
    ("МИД Турции заявил, что исключение из программы F-35 несправедливо", "", ["removal", "statement"]),
    # Putting a delivered system into service is a development of its own.
    ("Turkey activates first S-400 battery near Ankara", "", ["activation"]),
    ("Türkiye ilk S-400 bataryasını Ankara yakınında aktif hale getirdi", "", ["activation"]),
    ("", "Первый дивизион С-400 в Турции заступил на боевое дежурство.", ["activation"]),
    ("تركيا تفعّل أول بطارية إس-400 قرب أنقرة", "", ["activation"]),
    ("S-400 batteries in Turkey are now operational, ministry says", "", ["activation"]),
    ("سامانه اس-۴۰۰ ترکیه عملیاتی شد", "", ["activation"]),
    # Paying for an order, sparing sanctions and reacting are developments of their own.
    ("Индия перевела России первый платеж за С-400", "", ["payment"]),
    ("الهند تدفع أول قسط من ثمن منظومة إس-400", "", ["payment"]),
    ("Erdogan paid a visit to Moscow for S-400 talks", "", ["talks"]),
    ("US House passes amendment backing CAATSA waiver for India", "", ["waiver"]),
    ("Палата представителей поддержала освобождение Индии от санкций CAATSA", "", ["waiver"]),
    ("Turkey condemns US sanctions, says it will retaliate", "", ["sanctions", "statement"]),
    ("Dışişleri Bakanlığı: CAATSA yaptırımlarını kınıyoruz", "", ["sanctions", "statement"]),
    ("ترکیه تحریم‌های آمریکا را محکوم کرد", "", ["sanctions", "statement"]),
    ("Первая партия С-400 доставлена на авиабазу Мюртед", "", ["delivery"]),
])
def test_kinds_come_from_the_lead(title, text, kinds):
    # Only the headline, else the first sentence: later sentences recall the past.
    assert features_for(title, text, "und", None, {}).kinds == kinds


def test_ordinals_in_the_lead():
    second = features_for("A second plane carrying S-400 parts lands at Murted", "", "en", None, {})
    assert second.ordinals == [2]
    assert features_for("", "İkinci parti S-400 teslimatı tamamlandı", "tr", None, {}).ordinals == [2]


def test_near_copies_share_most_shingles_and_other_texts_few():
    wire = ("India has signed a $5 billion deal to buy five Russian S-400 air defense systems "
            "despite a looming threat of U.S. sanctions on countries that trade with Russia")
    copy = wire.replace("five Russian", "a Russian")
    other = ("Turkey has started testing Russian-made S-400 air defense systems as part of drills "
             "near the Black Sea town of Sinop, national media reported on Friday")
    sig = features_for("", wire, "en", None, {}).signature
    assert minhash_similarity(sig, features_for("", copy, "en", None, {}).signature) >= 0.5
    assert minhash_similarity(sig, features_for("", other, "en", None, {}).signature) < 0.2
    assert minhash([]) == []


def test_features_are_deterministic_and_survive_json():
    args = ("Turkey tests S-400", "Turkey tested the S-400 near Sinop on 16 October 2020.", "en",
            datetime(2020, 10, 16, tzinfo=timezone.utc), {"s400": 4.0, "turkey": 1.0, "test": 0.4})
    features = features_for(*args)
    assert features == features_for(*args)
    assert StoryFeatures.from_json(json.loads(json.dumps(features.to_json()))) == features
    assert "snb" in features.entities  # Sinop
    assert features.stated_day == "2020-10-16"


@pytest.mark.parametrize("lead, kinds", [
    ("Сотрудничество Москвы и Нью-Дели может быть расширено за счет наращивания поставок С-400.",
     ["expansion"]),
    ("India and Russia discuss additional S-400 supplies", ["expansion"]),
    ("Russia has started supplying the S-400 Triumf air defence systems to India.", ["delivery"]),
])
def test_expanded_supplies_are_a_new_order_not_a_delivery(lead, kinds):
    assert features_for("", lead, "und", None, {"s400": 1.0}).kinds == kinds


def test_arabic_present_and_future_tense_of_receiving_is_a_delivery():
    from monitor.story.kinds import kinds_of as _kinds

    # "receives", "will receive", "takes delivery of": each a delivery, whatever the tense.
    for lead in ("مصر تتسلم أول بطارية من المنظومة", "الجيش سيتسلم الشحنة الأخيرة الشهر المقبل",
                 "الهند تستلم الدفعة الثالثة"):
        assert _kinds(lead) == ["delivery"], lead
    # A verb that merely starts like one of the stems is not: "expects" is no signing.
    assert _kinds("أنقرة تتوقع ردا أمريكيا") == []
