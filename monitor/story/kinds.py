"""Kinds of development and ordinals in a report's lead, in many languages.

Pure, no I/O. `kinds` names what happened (test, delivery, activation, deal, payment,
sanctions, waiver, removal, suspension, talks, expansion, deployment, statement) from word
stems in English, Arabic, Turkish, Russian, Persian and other languages; `ordinals` the
step ("a second batch"); `lead` is where to look (the headline, else the first sentence).
Independent of any topic's vocabulary.
"""
from __future__ import annotations

import re

from monitor.story.text import fold, words


_KIND_STEMS: dict[str, tuple[str, ...]] = {
    "test": ("test", "fired", "live-fire", "firing", "اختبار", "تجرب", "تجارب", "atis", "испыт",
             "стрельб", "essai", "isprob", "proba", "δοκιμ", "teste", "ازمايش"),
    "delivery": ("deliver", "supplies", "supplying", "shipment", "arriv", "تسليم", "توريد", "شحن",
                 "وصول", "وصل", "teslim", "sevkiyat", "поставк", "постав", "поступ", "livraison",
                 "liefer", "consegn", "entreg", "receiv", "took delivery", "تسلم", "استلام", "استلم",
                 # Arabic present tense: "تتسلم"/"يتسلم" (receives), "تستلم"/"يستلم"; spelt out
                 # rather than allowing every verb prefix, which would read "توقع" (expects)
                 # as a signing and "توصل" (reached an agreement) as an arrival.
                 "تتسلم", "يتسلم", "نتسلم", "تستلم", "يستلم", "نستلم", "ستتسلم", "سيتسلم", "ستستلم",
                 "سيستلم",
                 "получ", "teslim al", "recebe", "recoit", "ricev", "erhalt",
                 # Cargo landing with the parts; Russian "доставлен", Persian "محموله" (a
                 # shipment) and "تحویل داد/شد" (handed over).
                 "landed", "lands ", "landing", "iniş yap", "inis yap", "приземл", "доставл",
                 "доставк", "محموله", "تحويل داد", "تحويل شد"),
    "deal": ("sign", "deal", "contract", "agree", "توقيع", "وقع", "صفقه", "عقد", "اتفاق", "اتفق",
             "anlasma", "imzala", "sozlesme", "контракт", "подпис", "соглаш", "contrat", "accord",
             "vertrag", "unterzeichn", "contratto", "accordo", "assin", "contrato", "acordo"),
    # Paying for an order: instalments between the deal and the delivery.
    "payment": ("payment", "paid ", "pays ", "instalment", "installment", "tranche", "платеж",
                "платёж", "оплат", "транш", "выплат", "odeme", "odedi", "سدد", "تسدد", "يسدد",
                "سداد", "قسط", "اقساط", "مدفوعات", "پرداخت"),
    # Leave not to apply sanctions: a decision of its own, not the sanctions it spares.
    "waiver": ("waiver", "waive", "exempt", "اعفاء", "освобожд", "освободить",
               "muaf", "معافيت"),
    "sanctions": ("sanction", "عقوبات", "عقوبه", "yaptirim", "санкци", "sanktion", "sanc", "sanzion",
                  "تحريم", "caatsa yaptirim"),
    "removal": ("remov", "expel", "kick", "exclu", "استبعاد", "استبعد", "تستبعد", "يستبعد", "اخراج",
                "طرد", "cikar", "ihrac", "исключ", "retir", "ausschl", "ausgeschlossen", "esclus"),
    "suspension": ("suspend", "suspension", "freez", "froze", "halt", "تعليق", "تعلق", "يعلق",
                   "تجميد", "askiya", "dondur", "приостан", "замороз", "sospe"),
    "talks": ("talks", "meet", "met ", "summit", "negotiat", "محادثات", "مفاوضات", "لقاء", "قمه",
              "gorus", "muzakere", "переговор", "встреч", "negocia", "pourparler", "verhandl",
              "colloqui", "مذاكره", "گفتگو"),
    # More of something already bought or delivered: a new order in the making.
    "expansion": ("expand", "expansion", "additional", "расшир", "наращив", "дополнительн",
                  "genislet", "ilave", "توسيع", "اضافي", "erweiter", "zusatzlich", "supplementaire",
                  "aggiuntiv", "amplia"),
    "deployment": ("deploy", "stationed", "نشر", "تنشر", "ينشر", "konuslan", "развер", "deploie",
                   "stationier", "schier", "desdobr", "مستقر"),
    # Putting a delivered system into service: switched on, on combat duty, operational.
    "activation": ("activat", "switched on", "switches on", "switch on", "operational",
                   "combat duty", "went live", "into service", "aktif hale", "aktiflestir",
                   "aktive", "devreye al", "devreye gir", "faaliyete gec", "etkinlestir",
                   "боевое дежурство", "боевом дежурстве", "активир", "заступил", "в строй",
                   "в эксплуатаци", "تفعيل", "تفعل", "يفعل", "فعلت", "تشغيل", "دخلت الخدمه",
                   "دخول الخدمه", "الخدمه الفعليه", "فعال", "عملیاتی", "mise en service",
                   "operationnel", "in betrieb", "einsatzbereit", "operativ",
                   "entrou em operac", "entra in servizio"),
    # A reaction or comment: a spokesman's or ministry's word on an earlier development.
    "statement": ("statement", "spokes", "بيان", "المتحدث", "متحدث", "aciklama", "sozcu",
                  "заявлени", "заявил", "официальный представител", "communique", "porte-parole",
                  "erklarung", "sprecher", "dichiarazion", "portavoce", "declarac", "porta-voz",
                  # Reactions: condemning, protesting, vowing to retaliate.
                  "condemn", "denounc", "retaliat", "kinad", "kiniyor", "kinadi", "kinamak",
                  "осуди", "осужда", "ندد", "يندد", "تندد", "تدين", "يدين", "ادان", "ادانه",
                  "محکوم", "condamn", "verurteil", "condena"),
}
_KIND_PATTERNS = {
    kind: re.compile(r"(?<![^\W\d_])(?:و|ب|ل|ف|ال|وال|بال|لل)?(?:" +
                     "|".join(re.escape(fold(s)) for s in stems) + ")", re.UNICODE)
    for kind, stems in _KIND_STEMS.items()
}


_PROSPECTIVE = frozenset({"expansion"})

_ORDINALS = {
    1: ("first", "premier", "premiere", "ilk", "birinci", "первый", "первая", "первую", "первой",
        "первые", "الاول", "الاولى", "اول", "primeiro", "primeira", "primo", "prima", "erste", "ersten"),
    2: ("second", "deuxieme", "ikinci", "второй", "вторая", "вторую", "вторые", "الثاني", "الثانيه",
        "segundo", "segunda", "secondo", "seconda", "zweite", "zweiten"),
    3: ("third", "troisieme", "ucuncu", "третий", "третья", "третью", "الثالث", "الثالثه",
        "terceiro", "terceira", "terzo", "terza", "dritte", "dritten"),
    4: ("fourth", "dorduncu", "четвертый", "четвертая", "الرابع", "الرابعه", "quarto", "vierte"),
}
_ORDINAL_OF = {word: n for n, words in _ORDINALS.items() for word in words}


def ordinals_of(lead: str) -> list[int]:
    """Ordinals in the lead ("a second batch", "ikinci parti"): successive developments."""
    return sorted({_ORDINAL_OF[w] for w in words(lead) if w in _ORDINAL_OF})


# Set phrases that contain a kind's word but report no such development.
_NOT_KIND = {"payment": re.compile(r"\b(?:paid|pays|paying) (?:a |an |his |her |their )?"
                                   r"(?:visit|tribute|attention|respects)")}


def kinds_of(text: str) -> list[str]:
    folded = fold(text)
    kinds = {kind for kind, pattern in _KIND_PATTERNS.items() if pattern.search(folded)}
    for kind, phrase in _NOT_KIND.items():
        if kind in kinds and not _KIND_PATTERNS[kind].search(phrase.sub(" ", folded)):
            kinds.discard(kind)
    if "waiver" in kinds:
        kinds.discard("sanctions")  # the sanctions it spares did not happen
    if kinds & _PROSPECTIVE:
        # "Talks on more deliveries", "supplies may be expanded": the deliveries are what is
        # being discussed, not what happened.
        kinds.discard("delivery")
    return sorted(kinds)


def lead_of(title: str, text: str) -> str:
    """The headline, else the first sentence: where a report says what happened; later
    sentences recall earlier developments ("India had signed a $5bn deal in 2018")."""
    if title.strip():
        return title
    return re.split(r"(?<=[.!?؟])\s+|\n", text.strip(), maxsplit=1)[0][:300]
