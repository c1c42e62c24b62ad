import threading

import pytest

from monitor.parse.language import LANGUAGES, UNDETERMINED, detect_language


@pytest.mark.parametrize("text,lang", [
    ("Turkey is considering abandoning the Russian S-400 air defense system", "en"),
    ("تركيا تناقش الإنتاج المحلي لأنظمة إس-400 والطائرات المقاتلة", "ar"),
    ("Türkiye, Rusya'dan aldığı S-400 hava savunma sistemlerini aktif hale getirdi", "tr"),
    ("Турция получила первую партию зенитных ракетных комплексов С-400", "ru"),
    ("ترکیه سامانه پدافند هوایی اس-۴۰۰ را از روسیه خریداری کرده است و آمریکا آن را تحریم کرد", "fa"),
])
def test_detects_the_topic_languages(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["S-400", "F-35 !!!", "", "12345 67890"])
def test_short_or_featureless_text_is_undetermined(text):
    assert detect_language(text) == UNDETERMINED


def test_same_text_same_answer_across_threads():
    text = "Ankara Moskova ile S-400 konusunu görüştü ve yeni bir anlaşma"
    results = []
    threads = [threading.Thread(target=lambda: results.append(detect_language(text))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 8


@pytest.mark.parametrize("text,lang", [
    # Short headlines, where a detector guesses most: written for this test.
    ("F-35 teslimatı için yeni tarih belli oldu", "tr"),
    ("Bakan açıkladı: bataryalar yerine yerleşti", "tr"),
    ("Second battery arrives at the air base", "en"),
    ("Вторая батарея прибыла на авиабазу", "ru"),
])
def test_short_headlines(text, lang):
    assert detect_language(text) == lang


def test_answers_are_langdetect_codes():
    # A Serbian Latin sentence and Azerbaijani: the model knows neither "bs" nor "az" here,
    # so the answer is one of the 55 languages that langdetect knew.
    for text in ("Vojska je primila novi sistem protivvazdušne odbrane iz Rusije",
                 "Azərbaycan ordusu yeni hava hücumundan müdafiə sistemi aldı"):
        assert detect_language(text) in LANGUAGES


def _stock_langdetect():
    """langdetect exactly as it ships: lists of 55 floats per n-gram, its own Detector."""
    from langdetect import DetectorFactory, detector_factory

    factory = DetectorFactory()
    factory.load_profile(detector_factory.PROFILES_DIRECTORY)
    factory.seed = 0
    return factory


def test_sparse_profiles_give_langdetects_own_probabilities():
    # The detector keeps only each n-gram's non-zero probabilities (25 MB less); the
    # probabilities, and so the answers, must be those of langdetect as it ships, to the
    # last bit, in every script, on mixed and short text alike.
    from langdetect import detector_factory

    from monitor.parse.language import MAX_CHARS, init_language_detection

    init_language_detection()
    ours, stock = detector_factory._factory, _stock_langdetect()
    assert ours.langlist == stock.langlist
    texts = [
        "Turkey is considering abandoning the Russian S-400 air defense system",
        "تركيا تناقش الإنتاج المحلي لأنظمة إس-400 والطائرات المقاتلة",
        "Türkiye, Rusya'dan aldığı S-400 hava savunma sistemlerini aktif hale getirdi",
        "Турция получила первую партию зенитных ракетных комплексов С-400",
        "ترکیه سامانه پدافند هوایی اس-۴۰۰ را از روسیه خریداری کرده است",
        "Україна отримала нові системи ППО від партнерів",
        "La India recibió el segundo regimiento de S-400 de Rusia",
        "Η Τουρκία παρέλαβε τους S-400 από τη Ρωσία",
        "F-35 teslimatı için yeni tarih belli oldu",
        "S-400 F-35 CAATSA Ankara Washington Moscow",
        "印度接收了第二套S-400防空系统",
    ]
    for text in texts:
        mine, theirs = ours.create(), stock.create()
        mine.append(text[:MAX_CHARS])
        theirs.append(text[:MAX_CHARS])
        assert [(p.lang, p.prob) for p in mine.get_probabilities()] == \
            [(p.lang, p.prob) for p in theirs.get_probabilities()], text
