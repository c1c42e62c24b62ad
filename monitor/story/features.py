"""Text features of one item for story grouping: what it says, in comparable form.

Pure and deterministic, no I/O. `features_for` turns an item's title and text into a
`StoryFeatures`: a MinHash of word shingles (near-copies within a language), names as
consonant skeletons (so that Grisham, غريشام and Гришэм meet) and translated places as
fixed keys (Black Sea, البحر الأسود, Черное море), quantities with their scale ("$5bn",
"5 مليار", "5 млрд"), calendar days and the latest full date stated, content words, and
the kinds of development (`monitor.story.kinds`) and ordinals ("a second batch") of
the lead. `topic_vocabulary`/`vocabulary_of` give a topic's own names and words
(from its lexicon forms and seed articles), which say nothing about one event.
`monitor.story.grouping` compares these with stories.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

# Text normalisation and kinds of development have modules of their own; `fold` and
# `skeleton` are re-exported here for callers that import them from this module.
from monitor.story.kinds import kinds_of, lead_of, ordinals_of
from monitor.story.text import fold, skeleton
from monitor.story.text import words as words_of

__all__ = [
    "MINHASH_SIZE", "StoryFeatures", "TopicVocabulary", "entity_match", "features_for", "fold",
    "iso", "kinds_of", "minhash", "minhash_similarity", "parse_iso", "skeleton", "stable_hash",
    "topic_vocabulary", "utc", "vocabulary_of",
]

# Weapon designations ("S-400", "F-35", "С-400", "إس 400") are topic words, not facts.
# Written with a space only after the prefixes of the weapons of such topics ("S 400",
# "إس 400", "Су 35"): another short word before a number is not one ("نحو 800 مليون",
# "of 500 million").
_DESIGNATION = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]{1,4}[\-‑–]?|(?:s|f|с|ф|su|су|tu|ту|اس|اف|hq|j)\s)"
                          r"(\d{2,3})(?!\d)", re.UNICODE)


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
    words = words_of(body)
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
        kinds=kinds_of(lead_of(title, text)),
        fingerprint=hashlib.sha1(" ".join(words).encode()).hexdigest()[:16],
        ordinals=ordinals_of(lead_of(title, text)),
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
        phrase_words = words_of(phrase.replace("*", ""))
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
        words |= {w for w in words_of(text) if len(w) > 2 and not w.isdigit()}
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
