"""Text normalisation: one comparable form of any script."""
from __future__ import annotations

from monitor.story.text import fold, skeleton, words


def test_fold_unifies_case_accents_digits_and_arabic_and_persian_letters():
    assert fold("Türkiye İLK") == "turkiye ilk"
    assert fold("٥ مليار") == fold("۵ مليار") == "5 مليار"
    assert fold("أنقرة") == fold("انقره")
    assert fold("ترکیه") == fold("تركيه")


def test_words_drop_possessive_endings():
    assert words("Turkey's S-400, Erdoğan’un kararı") == ["turkey", "s", "400", "erdogan", "karari"]


def test_skeletons_meet_across_scripts():
    assert skeleton(fold("Grisham")) == skeleton(fold("غريشام")) == skeleton(fold("Гришэм"))
    assert skeleton(fold("Murted")) == skeleton(fold("Мюртед"))
    assert skeleton(fold("Sinop")) != skeleton(fold("Murted"))
