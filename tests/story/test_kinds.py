"""Kinds of development and ordinals in a lead, across languages."""
from __future__ import annotations

import pytest

from monitor.story.kinds import kinds_of, lead_of, ordinals_of


def test_the_lead_is_the_headline_else_the_first_sentence():
    assert lead_of("Turkey tests S-400", "India had signed a deal.") == "Turkey tests S-400"
    assert lead_of("", "Turkey tested the S-400. India had signed a deal in 2018.") == \
        "Turkey tested the S-400."
    assert lead_of("  ", "أجرت تركيا اختبارا؟ ثم وقعت الهند") == "أجرت تركيا اختبارا؟"


@pytest.mark.parametrize("lead, kinds", [
    ("Turkey switches on its S-400 batteries", ["activation"]),
    ("С-400 заступили на боевое дежурство", ["activation"]),
    ("ترکیه سامانه را عملیاتی کرد", ["activation"]),  # Persian yeh and kaf, folded like the text
    ("India pays second tranche for S-400", ["payment"]),
    ("Modi paid a visit to Moscow", []),  # a set phrase, no payment
    ("US grants India a CAATSA sanctions waiver", ["waiver"]),  # spares, not imposes
    ("Ankara denounces the sanctions", ["sanctions", "statement"]),
])
def test_kinds_of_a_lead(lead, kinds):
    assert kinds_of(lead) == kinds


def test_ordinals_in_several_languages():
    assert ordinals_of("Second S-400 battery delivered") == [2]
    assert ordinals_of("S-400'lerin ikinci bataryası") == [2]
    assert ordinals_of("Третий полк С-400") == [3]
    assert ordinals_of("وصول الدفعة الثانية") == [2]
    assert ordinals_of("S-400 delivered") == []
