"""Text features of one item for story grouping: what it says, in comparable form.

Pure and deterministic, no I/O. `features_for` turns an item's title and text into a
`StoryFeatures`: a MinHash of word shingles (near-copies within a language), names as
consonant skeletons (so that Grisham, غريشام and Гришэм meet) and translated places as
fixed keys (Black Sea, البحر الأسود, Черное море), quantities with their scale ("$5bn",
"5 مليار", "5 млрд"), calendar days and the latest full date stated, content words, and
the kinds of development (test, delivery, activation, signing, statement...) and ordinals ("a second
batch") of the lead. `topic_vocabulary`/`vocabulary_of` give a topic's own names and words
(from its lexicon forms and seed articles), which say nothing about one event.
`monitor.story.grouping` compares these with stories.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

# ---------------------------------------------------------------------------
# Text normalisation

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                              "ؤ": "و", "ئ": "ي", "ک": "ك", "ی": "ي"})
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?", re.UNICODE)
# Weapon designations ("S-400", "F-35", "С-400", "إس 400") are topic words, not facts.
# Written with a space only after the prefixes of the weapons of such topics ("S 400",
# "إس 400", "Су 35"): another short word before a number is not one ("نحو 800 مليون",
# "of 500 million").
_DESIGNATION = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]{1,4}[\-‑–]?|(?:s|f|с|ф|su|су|tu|ту|اس|اف|hq|j)\s)"
                          r"(\d{2,3})(?!\d)", re.UNICODE)


@functools.lru_cache(maxsize=4096)
def _strip_marks(char: str) -> str:
    # NFKD would split Arabic/Cyrillic letters we keep (й, ё); only Latin/Greek lose marks.
    if ord(char) < 0x80 or ord(char) >= 0x400:
        return char
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Case-, accent- and Arabic-variant-insensitive form used for every comparison."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS)
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_FOLD)
    text = text.replace("ı", "i").replace("İ", "I")
    if not text.isascii():
        text = "".join(map(_strip_marks, text))
    return text.casefold()


def _words(text: str) -> list[str]:
    return [w.split("'")[0].split("’")[0] for w in _WORD.findall(fold(text))]


# ---------------------------------------------------------------------------
# Transliteration to a consonant skeleton, so a name matches across scripts.

_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n",
                      "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "sh", "", "y", "",
                      "e", "yu", "ya"]))
_GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω",
                  ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p",
                   "r", "s", "s", "t", "i", "f", "kh", "ps", "o"]))
_ARABIC = {"ب": "b", "ت": "t", "ث": "s", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "z",
           "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
           "ع": "", "غ": "gh", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n",
           "ه": "h", "و": "w", "ي": "y", "ا": "a", "ء": "", "پ": "p", "چ": "ch", "گ": "g",
           "ژ": "zh", "ڤ": "v"}
# Sound classes: letters a script may write for one sound fall together (p/b, v/f, g/k/q/c,
# z/s, d/t); vowels and the semivowels h, w, y are dropped because Arabic omits short
# vowels and writes long ones with the same letters as w and y.
_CLASSES = str.maketrans("pvgqcdzjx", "bfkkktssk")


def skeleton(word: str) -> str:
    """Consonant skeleton of a (folded) word in any of Latin, Cyrillic, Greek, Arabic."""
    out = []
    for ch in word:
        out.append(_CYRILLIC.get(ch) or _GREEK.get(ch) or _ARABIC.get(ch) or ch)
    latin = "".join(out)
    latin = latin.replace("ng", "n").replace("sh", "s").replace("ch", "k").replace("kh", "k")
    latin = latin.replace("gh", "k").replace("th", "t").replace("ph", "f").replace("ts", "s")
    latin = re.sub(r"[^a-z]", "", latin).translate(_CLASSES)
    latin = re.sub(r"[aeiouhwy]", "", latin)
    return re.sub(r"(.)\1+", r"\1", latin)


# ---------------------------------------------------------------------------
# Entities: the names an item mentions.

_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
_LONG_VOWELS = set("اوي")
_CAPITALISED = re.compile(r"[A-ZÀ-ÖØ-ÞĞİŞÇÜÖА-ЯЁΑ-Ω][^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


_NOT_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday pazartesi sali carsamba persembe "
    "cuma cumartesi pazar понедельник вторник среда среду четверг пятница пятницу суббота "
    "воскресенье montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi "
    "jeudi vendredi samedi dimanche "
    # News agencies are sources, not facts of the event; every event has them.
    "reuters ap afp tass sputnik ria novosti anadolu xinhua dha iha ihlas interfax irna isna "
    "wam spa mena kuna qna efe ansa dpa upi рейтер рейтерс тасс риа интерфакс رويترز سبوتنيك "
    "الاناضول اناضول شينخوا فرانس".split())


def _entity_words(text: str) -> list[str]:
    """Capitalised words in Latin, Cyrillic and Greek text, minus those the text also writes
    in lower case ("The", "Defense" in a title-case headline); name-like words in Arabic,
    marked with "~" because they are only trusted against another script.
    """
    lowered = {fold(w) for w in re.findall(r"(?<![^\W\d_])[a-zà-ÿğışçüöа-яёα-ω][^\W\d_]*", text)}
    words = []
    for m in _CAPITALISED.finditer(text):
        word = fold(re.split(r"['’]", m.group(0))[0])
        if word not in lowered and word not in _MONTH_OF and word not in _NOT_NAMES:
            words.append(word)
    for token in re.findall(r"[\u0621-\u064a]+", fold(text)):
        # Arabic has no capitals; foreign names are written with many long-vowel letters
        # (بوتين، غريشام، شوغاييف), though so are some native plurals (مقاتلات).
        for prefix in _ARABIC_PREFIXES:
            if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                token = token[len(prefix):]
                break
        if (len(token) >= 4 and sum(c in _LONG_VOWELS for c in token) >= 2
                and token not in _MONTH_OF and token not in _NOT_NAMES):
            words.append("~" + token)
    return words


def _is_title_case(title: str) -> bool:
    words = re.findall(r"[^\W\d_]{4,}", title)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _entity_keys(title: str, text: str) -> list[str]:
    # A Title Case Headline capitalises every word; only the body tells names apart there.
    source = text if _is_title_case(title) else f"{title}\n{text}"
    keys = []
    for word in _entity_words(source):
        mark = "~" if word.startswith("~") else ""
        key = skeleton(word.lstrip("~"))
        # Arabic guesses of three consonants are mostly ordinary words (جنوبية and Sinop
        # share "snb"); foreign names written in Arabic are longer.
        if len(key) >= (4 if mark else 3):
            keys.append(mark + key)
    return keys


# Places that languages translate rather than transliterate ("Black Sea", البحر الأسود,
# Черное море, Karadeniz): no skeleton can meet them, so they are named here, as keys
# "=<place>" that match only themselves. Forms are folded (see `fold`) and match a prefix,
# so that case endings (Черного моря, Crnom moru) are covered.
_TRANSLATED_PLACES: dict[str, tuple[str, ...]] = {
    "blacksea": ("black sea", "البحر الاسود", "черное мор", "черного мор", "черном мор",
                 "черноморск", "karadeniz", "mer noire", "mar nero", "mar negro",
                 "schwarze meer", "schwarzen meer", "schwarzes meer", "crno more", "crnom moru",
                 "crnog mora", "μαυρη θαλασσα", "μαυρης θαλασσας", "دریای سیاه"),
    "mediterranean": ("mediterranean", "البحر المتوسط", "البحر الابيض المتوسط", "средиземн",
                      "akdeniz", "mediterran", "mediterrane", "μεσογει", "sredozem",
                      "دریای مدیترانه"),
    "aegean": ("aegean", "بحر ايجه", "эгейск", "ege deniz", "mer egee", "mar egeo", "agais",
               "αιγαι", "egejsk"),
    "redsea": ("red sea", "البحر الاحمر", "красное мор", "красного мор", "kizildeniz",
               "mer rouge", "mar rosso", "mar vermelho", "mar rojo", "roten meer", "rotes meer",
               "ερυθρα θαλασσα", "دریای سرخ"),
    "gulf": ("persian gulf", "arabian gulf", "الخليج العربي", "الخليج الفارسي", "персидск",
             "basra korfezi", "golfe persique", "golfo persico", "persischen golf",
             "خلیج فارس"),
    "caspian": ("caspian", "بحر قزوين", "каспий", "hazar deniz", "caspienne", "caspio",
                "kaspisch", "κασπια", "دریای خزر"),
    "baltic": ("baltic", "بحر البلطيق", "балтийск", "baltik", "baltique", "baltico",
               "ostsee", "βαλτικ"),
    "whitehouse": ("white house", "البيت الابيض", "белый дом", "белого дома", "белом доме",
                   "beyaz saray", "maison blanche", "casa bianca", "casa branca", "casa blanca",
                   "weisse haus", "weissen haus", "λευκος οικος", "λευκο οικο", "λευκου οικου",
                   "bela kuca", "bele kuce", "کاخ سفید"),
    # Legislatures are translated too; the US Congress transliterates (Конгресс, الكونغرس).
    "house": ("house of representatives", "us house", "u.s. house", "مجلس النواب الامريكي",
              "مجلس النواب الاميركي", "палата представителей", "палаты представителей",
              "палате представителей", "temsilciler meclisi", "chambre des representants",
              "reprasentantenhaus", "camera dei rappresentanti", "مجلس نمایندگان"),
    "senate": ("senate", "senator", "مجلس الشيوخ", "сенат", "senato", "senat", "مجلس سنا"),
}
_PLACE_PATTERN = re.compile("|".join(
    f"(?P<{key}>" + "|".join(re.escape(f) for f in forms) + ")"
    for key, forms in _TRANSLATED_PLACES.items()))


def _place_keys(text: str) -> list[str]:
    """Translated place names the text mentions, as "=<place>" keys."""
    return sorted({f"={m.lastgroup}" for m in _PLACE_PATTERN.finditer(fold(text))})


def entity_match(a: str, b: str) -> bool:
    """Two skeletons name the same thing when one extends the other (case endings, suffixes).

    Keys marked "~" (name-like Arabic words, a guess) match each other only when equal;
    keys marked "=" (translated places) match only themselves.
    """
    if a.startswith("=") or b.startswith("="):
        return a == b
    if a.startswith("~") and b.startswith("~"):
        return a == b
    a, b = a.lstrip("~"), b.lstrip("~")
    if len(a) > len(b):
        a, b = b, a
    # Three consonants say little: let them take one more (Moscow/Москвы), longer ones two.
    return b.startswith(a) and len(b) - len(a) <= (1 if len(a) < 4 else 2)


# ---------------------------------------------------------------------------
# Numbers and dates, normalised across scripts.

_SCALES = {
    1e3: ("thousand", "bin", "тыс", "тысяч", "الف", "mille", "mil", "tausend", "hezar", "هزار"),
    1e6: ("million", "millions", "mn", "milyon", "млн", "миллион", "مليون", "ملايين", "milhao",
          "milhoes", "milioni", "milione", "millionen", "میلیون"),
    1e9: ("billion", "billions", "bn", "b", "milyar", "млрд", "миллиард", "مليار", "مليارات",
          "milliard", "milliards", "bilhao", "bilhoes", "miliardi", "miliardo", "milliarde",
          "milliarden", "میلیارد"),
    1e7: ("crore",),
}
_SCALE_OF = {word: scale for scale, words in _SCALES.items() for word in words}
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[,.\s]\d{3})+|\d+(?:[.,]\d+)?)\s*([^\W\d_]+)?", re.UNICODE)

_MONTHS = {
    1: ("january", "jan", "ocak", "января", "январь", "يناير", "janvier", "januar", "gennaio", "janeiro", "ژانویه"),
    2: ("february", "feb", "subat", "февраля", "февраль", "فبراير", "fevrier", "februar", "febbraio", "fevereiro"),
    3: ("march", "mar", "mart", "марта", "март", "مارس", "mars", "marz", "marzo", "marco"),
    4: ("april", "apr", "nisan", "апреля", "апрель", "ابريل", "avril", "aprile", "abril"),
    5: ("may", "mayis", "мая", "май", "مايو", "mai", "maggio", "maio"),
    6: ("june", "jun", "haziran", "июня", "июнь", "يونيو", "juin", "juni", "giugno", "junho"),
    7: ("july", "jul", "temmuz", "июля", "июль", "يوليو", "juillet", "juli", "luglio", "julho"),
    8: ("august", "aug", "agustos", "августа", "август", "اغسطس", "aout", "agosto"),
    9: ("september", "sept", "sep", "eylul", "сентября", "сентябрь", "سبتمبر", "septembre", "settembre", "setembro"),
    10: ("october", "oct", "ekim", "октября", "октябрь", "اكتوبر", "octobre", "oktober", "ottobre", "outubro"),
    11: ("november", "nov", "kasim", "ноября", "ноябрь", "نوفمبر", "novembre", "novembro"),
    12: ("december", "dec", "aralik", "декабря", "декабрь", "ديسمبر", "decembre", "dezember", "dicembre", "dezembro"),
}
_MONTH_OF = {name: month for month, names in _MONTHS.items() for name in names}
_MONTH_NAMES = "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))
_DAY_MONTH = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th|'?[a-z]{{0,2}})?\.?\s+(?:de\s+)?({_MONTH_NAMES})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)")
_ISO_DATE = re.compile(r"\b(20\d\d|19\d\d)-(\d\d)-(\d\d)\b")
_CLOCK = re.compile(r"(?<!\d)\d{1,2}[:.]\d\d(?!\d)")
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def _numbers(text: str) -> list[str]:
    """Quantities as value keys ("5e9"), without years, designations and small counts."""
    folded = _DESIGNATION.sub(" ", fold(text))
    for pattern in (_DAY_MONTH, _MONTH_DAY, _ISO_DATE, _CLOCK):
        folded = pattern.sub(" ", folded)
    out = []
    for m in _NUMBER.finditer(folded):
        raw, unit = m.group(1), (m.group(2) or "")
        digits = re.sub(r"[,.\s](?=\d{3}\b)", "", raw).replace(",", ".")
        try:
            value = float(digits)
        except ValueError:
            continue
        scale = _SCALE_OF.get(unit)
        if scale is None and unit.startswith(("milliard", "миллиард", "مليار")):
            scale = 1e9
        if scale is None and unit.startswith(("million", "миллион", "مليون", "milyon")):
            scale = 1e6
        if scale is None:
            if _YEAR.fullmatch(raw) or value < 100:
                continue
            scale = 1.0
        out.append(f"{value * scale:.3g}")
    return out


def _dates(text: str) -> list[str]:
    """Calendar days mentioned, as "MM-DD" (the year is often left out in news copy)."""
    folded = fold(text)
    found = []
    for m in _DAY_MONTH.finditer(folded):
        day, month = int(m.group(1)), _MONTH_OF[m.group(2)]
        if 1 <= day <= 31:
            found.append(f"{month:02d}-{day:02d}")
    for m in _MONTH_DAY.finditer(folded):
        month, day = _MONTH_OF[m.group(1)], int(m.group(2))
        if 1 <= day <= 31:
            found.append(f"{month:02d}-{day:02d}")
    for m in _ISO_DATE.finditer(folded):
        found.append(f"{m.group(2)}-{m.group(3)}")
    return found


_YEAR_AFTER = re.compile(r"\.?,?\s*(?:de\s+)?((?:19|20)\d\d)(?!\d)")


def _stated_day(text: str) -> str | None:
    """The latest full date (day, month and year) the text states, as "YYYY-MM-DD".

    Undated items often carry their own date in the copy ("October 06, 2018", "18th July,
    2019"); it is the best estimate of when the reported event happened.
    """
    folded = fold(text)
    found = []
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for m in pattern.finditer(folded):
            year = _YEAR_AFTER.match(folded, m.end())
            if not year:
                continue
            day, month = int(m.group(day_group)), _MONTH_OF[m.group(month_group)]
            try:
                found.append(datetime(int(year.group(1)), month, day).date().isoformat())
            except ValueError:
                continue
    found += [f"{m.group(1)}-{m.group(2)}-{m.group(3)}" for m in _ISO_DATE.finditer(folded)]
    return max(found) if found else None


# ---------------------------------------------------------------------------
# Kinds of development: what happened, independent of the topic vocabulary.

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


def _ordinals(lead: str) -> list[int]:
    """Ordinals in the lead ("a second batch", "ikinci parti"): successive developments."""
    return sorted({_ORDINAL_OF[w] for w in _words(lead) if w in _ORDINAL_OF})


# Set phrases that contain a kind's word but report no such development.
_NOT_KIND = {"payment": re.compile(r"\b(?:paid|pays|paying) (?:a |an |his |her |their )?"
                                   r"(?:visit|tribute|attention|respects)")}


def _kinds(text: str) -> list[str]:
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


def _lead(title: str, text: str) -> str:
    """The headline, else the first sentence: where a report says what happened; later
    sentences recall earlier developments ("India had signed a $5bn deal in 2018")."""
    if title.strip():
        return title
    return re.split(r"(?<=[.!?؟])\s+|\n", text.strip(), maxsplit=1)[0][:300]


# ---------------------------------------------------------------------------
# Near-duplicate signature: MinHash over word 3-shingles.

MINHASH_SIZE = 64
_PRIME = (1 << 61) - 1


def _minhash_params() -> list[tuple[int, int]]:
    params, x = [], 0x9E3779B97F4A7C15
    for _ in range(MINHASH_SIZE):  # a fixed LCG: same parameters on every machine
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        a = x % _PRIME or 1
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        params.append((a, x % _PRIME))
    return params


_MINHASH = _minhash_params()


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (str hashes are salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def minhash(words: list[str]) -> list[int]:
    shingles = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
    hashes = [stable_hash(s) for s in shingles if s]
    if not hashes:
        return []
    return [min((a * h + b) % _PRIME for h in hashes) for a, b in _MINHASH]


def minhash_similarity(a: list[int], b: list[int]) -> float:
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b)) / len(a)


# ---------------------------------------------------------------------------
# Features of one item

_STOPWORDS = frozenset(
    "the a an of to in on and or for with by from at as is was were be been has have had that this "
    "it its his her their they he she we said says will would could may can not but after over "
    "also which who about into than more new last week year de la le les des du et en un une el "
    "los las y del da do dos das e o em que per il di della ve bir bu ile da de icin olarak и в "
    "на с по что о для не из к от это في من على ان الى عن مع او ما هذا هذه التي الذي قد كان".split())


@dataclass
class StoryFeatures:
    lang: str
    title: str
    published: datetime | None
    concepts: dict[str, float]
    signature: list[int]  # MinHash of word 3-shingles
    terms: list[str]  # content words of the item (same-language overlap)
    entities: list[str]  # consonant skeletons of names
    numbers: list[str]  # quantities, scale applied
    dates: list[str]  # "MM-DD" days mentioned
    kinds: list[str]  # kinds of development in the title and first sentence
    fingerprint: str  # hash of the folded text: exact copies
    ordinals: list[int] = field(default_factory=list)  # "second" delivery... in the lead
    stated_day: str | None = None  # latest full date stated in the text ("YYYY-MM-DD")

    @property
    def event_time(self) -> datetime | None:
        """When the reported event happened, as far as the item tells: its published
        date, else the latest full date its text states."""
        if self.published is not None:
            return self.published
        if self.stated_day:
            return datetime.fromisoformat(self.stated_day).replace(tzinfo=timezone.utc)
        return None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = iso(self.published)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "StoryFeatures":
        values = dict(data)
        values["published"] = parse_iso(values.get("published"))
        return cls(**values)


def features_for(title: str, text: str, lang: str, published: datetime | None,
                 concepts: Mapping[str, float]) -> StoryFeatures:
    """Everything the grouping needs from one item; computed once, stored with the item."""
    title, text = title or "", text or ""
    body = f"{title}\n{text}"
    words = _words(body)
    terms = sorted({w for w in words if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()})
    return StoryFeatures(
        lang=lang or "und",
        title=title.strip() or text.strip()[:120],
        published=utc(published),
        concepts={k: float(v) for k, v in sorted(concepts.items()) if v},
        signature=minhash(words),
        terms=terms,
        entities=sorted(set(_entity_keys(title, text)) | set(_place_keys(body))),
        numbers=sorted(set(_numbers(body))),
        dates=sorted(set(_dates(body))),
        kinds=_kinds(_lead(title, text)),
        fingerprint=hashlib.sha1(" ".join(words).encode()).hexdigest()[:16],
        ordinals=_ordinals(_lead(title, text)),
        stated_day=_stated_day(body),
    )


# ---------------------------------------------------------------------------
# The topic's own names

@dataclass(frozen=True)
class TopicVocabulary:
    """The names and words a topic is defined by, which say nothing about one event.

    `names` are consonant skeletons comparable with `StoryFeatures.entities` through
    `entity_match`; `words` are folded words comparable with `StoryFeatures.terms`.
    """

    names: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()


def topic_vocabulary(phrases: Iterable[str] = (), texts: Iterable[str] = ()) -> TopicVocabulary:
    """The vocabulary of a topic from its lexicon forms and its seed articles.

    `phrases` are lexicon forms ("Turkey", "air defence", "Турци*", "البيت الأبيض"): their
    words. `texts` are the seed articles: the names they mention (Erdoğan, Washington) and
    their content words ("tested", "system") are the topic's, not an event's.
    """
    names, words = set(), set()
    for phrase in phrases:
        phrase_words = _words(phrase.replace("*", ""))
        for word in phrase_words:
            if len(word) > 2 and not word.isdigit():
                words.add(word)
        if len(phrase_words) >= 2:
            # Institutions and people the topic names in full ("Dışişleri Bakanlığı",
            # "Hakan Fidan", "State Department"); a single word may be an event's place.
            capitalised = [fold(w) for w in _CAPITALISED.findall(phrase)]
            names |= {key for key in map(skeleton, capitalised) if len(key) >= 3}
    for text in texts:
        names |= {k.lstrip("~") for k in _entity_keys("", text)}
        words |= {w for w in _words(text) if len(w) > 2 and not w.isdigit()}
    return TopicVocabulary(frozenset(names), frozenset(words - _STOPWORDS))


_VOCABULARIES: dict[int, tuple[Any, TopicVocabulary]] = {}


def vocabulary_of(topic: Any) -> TopicVocabulary:
    """The vocabulary of a `monitor.topic.match.Topic`: the forms of its concepts that
    count for it (look-alikes excluded) and its seed texts; computed once per topic."""
    cached = _VOCABULARIES.get(id(topic))
    if cached is not None and cached[0] is topic:
        return cached[1]
    phrases = [form.text for concept in topic.lexicon.concepts.values() if concept.weight > 0
               for form in concept.forms]
    vocabulary = topic_vocabulary(phrases, getattr(topic, "seed_texts", {}).values())
    if len(_VOCABULARIES) > 64:
        _VOCABULARIES.clear()
    _VOCABULARIES[id(topic)] = (topic, vocabulary)
    return vocabulary


# ---------------------------------------------------------------------------
# Time helpers (shared with monitor.story.grouping)

def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_iso(value: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if value else None
