"""Text normalisation for matching, one rule per script. Pure functions, no I/O.

The matcher compares lexicon forms and news text only after both went through the same
`normalize()`, so every rule here makes two spellings of one word identical:

- all scripts: Unicode NFKC, control and bidi characters dropped, every dash made "-",
  case folded, combining marks dropped (Latin accents, Arabic harakat, Greek tonos);
- weapon designations: S-400 / S 400 / S400 / S‑400 / С-400 (Cyrillic) / إس-400 /
  اس ۴۰۰ all become the one token ``s400`` (likewise ``f35``, ``su35``, ``s300``...);
- Arabic: tatweel dropped, alef/hamza forms folded to bare letters, ى→ي, ة→ه,
  Arabic-Indic and Persian digits made ASCII; attached و ف ب ك ل and ال, and attached
  pronouns (ها هم نا...), are handled by `token_variants()` rather than by rewriting the
  text, since many words start or end with those letters (بوتين, لبنان);
- Persian: ی→ي, ک→ك, ۀ→ه;
- Turkish: dotted/dotless i folded to "i", apostrophe suffixes dropped (S-400'ler,
  Türkiye'nin); ş ğ ç ö ü lose their marks, so ASCII-only Turkish sites match too;
  French/Italian elided articles dropped instead (l'Inde, d'Ankara, dell'India);
- Cyrillic: ё→е; case endings removed by `russian_stem()` (a light suffix stripper that
  the lexicon forms go through as well, so "санкции/санкций/санкциями" meet).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Bidi embeddings/overrides/isolates, marks and zero-width characters: invisible, but
# they split words for a regular expression (common in Arabic and Persian feeds).
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x061C, 0x00AD]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)
# Every dash and minus sign in Unicode (category Pd, plus the minus signs) becomes "-".
_DASHES = "\u002D\u058A\u05BE\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2E17\u2E1A\u2E3A\u2E3B\u2E40\u301C\u3030\u30A0\uFE31\uFE32\uFE58\uFE63\uFF0D\u2212\u2796"
_FOLD = {ord(d): "-" for d in _DASHES}
_FOLD.update({ord(c): "'" for c in "’‘ʼ`´ʹ′"})
# Arabic-Indic (U+0660..) and extended/Persian (U+06F0..) digits.
_FOLD.update({0x0660 + i: str(i) for i in range(10)})
_FOLD.update({0x06F0 + i: str(i) for i in range(10)})
_FOLD.update(
    {
        0x0640: None,  # tatweel
        0x0671: "ا",  # alef wasla
        0x0622: "ا", 0x0623: "ا", 0x0625: "ا", 0x0672: "ا", 0x0673: "ا",
        0x0649: "ي",  # alef maksura
        0x06CC: "ي", 0x064A: "ي",  # Persian/Arabic ya
        0x06A9: "ك", 0x06AA: "ك",  # Persian keheh
        0x0629: "ه", 0x06C0: "ه", 0x06D5: "ه",  # ta marbuta, heh with hamza
        0x0624: "و", 0x0626: "ي",  # hamza on waw / ya
        0x0621: None,  # lone hamza: writers drop it as often as they write it
        0x0131: "i",  # Turkish dotless i
        0x0451: "е",  # ё
        0x060C: ",", 0x061B: ";", 0x061F: "?",
        0x00AB: '"', 0x00BB: '"',
    }
)
_FOLD.update(_INVISIBLE)
# Persian writes the zero-width non-joiner between a word and its suffix (سامانه‌های);
# a space keeps the word findable.
_FOLD[0x200C] = " "

# Designations: a letter prefix in any script, an optional space or dash (Persian
# writes "اس – ۴۰۰" with spaces around it), the number.
# Cyrillic "с" and Arabic "ف" are also ordinary words ("with", "so"), so for them a dash
# or no space is required; Latin and the two-letter Arabic prefixes may take a space.
_DESIGNATION_PREFIX = {
    "s": "s", "с": "s", "c": "s", "ес": "s", "эс": "s", "اس": "s", "س": "s",
    "f": "f", "ф": "f", "اف": "f", "ف": "f",
    "su": "su", "су": "su", "سو": "su", "سوخوي": "su", "sukhoi": "su", "сухой": "su",
}
# Found number first (a cheap scan), then the prefix just before it is checked, which is
# far faster than trying a prefix alternation at every position of every text.
# (Starting the pattern with the digit class lets the engine skip ahead quickly; the
# character before the number is checked in code.)
# The tail: a variant letter or a plural (F-35A, S-400s, С-400х), or a Turkish suffix
# glued on without the apostrophe (S400lerin, S-400lar, S400den), the plural and case
# endings after the folding of ı/ü.
_NUMBER = re.compile(r"[1-9]\d{1,2}(?P<tail>[a-zа-я]{0,2}|l[ae]r[a-z]{0,4}|[dt][ae]n)(?!\w)")
_PREFIX_BEFORE = re.compile(
    r"(?<![\w'])"
    r"(?:"
    # Arabic fuses the designation with conjunctions and the article: بالإس-400, وإف-35.
    r"[وف]?[بكل]?(?:ال)?(?P<arabic>اس|اف|سو|سوخوي)(?: ?- ?| )?"
    r"|(?P<spaced>s|f|sukhoi)(?: ?- ?| )?"
    # Russian typists often hit the Latin "C" for the Cyrillic "С" (they look alike).
    r"|(?P<tight>с|c|ф|su|су|ес|эс|س|ف|сухой)-?"
    r")$"
)
_PREFIX_REACH = 12  # characters before the number where a prefix may start
# Text around an apostrophe: Turkish and English put a suffix after it (S-400'ler,
# Türkiye'nin, Turkey's) and lose it; French and Italian put an elided article before it
# (l'Inde, d'Ankara, dell'India) and keep the word after it.
_APOSTROPHE = re.compile(r"\b(\w+)'(\w*)")
_ELIDED = frozenset(
    "l d j m n s t c qu lorsqu puisqu jusqu presqu quelqu un dell all nell sull dall coll quest".split()
)


def _apostrophe(m: re.Match) -> str:
    before, after = m.group(1), m.group(2)
    if before in _ELIDED:
        return after
    return before
_OPENING_QUOTE = re.compile(r"(?<!\w)'(?=\w)")
_TOKEN = re.compile(r"\w+")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


class _CharMap(dict):
    """str.translate table: the fixed folds above, and for every other character the
    character with its combining marks dropped (computed once, then cached)."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        category = unicodedata.category(ch)
        if ch in "\n\r\t":
            value: str | None = " "
        elif category[0] == "C" or category == "Mn":
            value = None  # controls, bidi/format marks, harakat, stray accents
        elif ch in "йЙ":
            value = ch  # a letter of its own in Russian, not и with a mark
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            value = "".join(c for c in decomposed if unicodedata.category(c) != "Mn") or None
            value = value.translate(_FOLD) if value else value
        self[code] = value
        return value


_CHARMAP = _CharMap(_FOLD)


_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f`]")


def _ascii_control(m: re.Match) -> str:
    return _CHARMAP[ord(m.group())] or ""


def fold(text: str) -> str:
    """NFKC, invisible characters out, case folded, marks dropped, script variants folded."""
    if text.isascii():
        # Fast path for the common English item: NFKC and the marks table change
        # nothing in ASCII except controls and the backtick.
        return _ASCII_CONTROL.sub(_ascii_control, text.lower())
    # casefold before the table: "İ" becomes "i" + dot above, which the table drops.
    return unicodedata.normalize("NFKC", text).casefold().translate(_CHARMAP)


def canonical_designations(text: str) -> str:
    """Rewrite S-400, С-400, إس 400, F-35A... as single tokens: s400, f35, su35."""
    out: list[str] = []
    last = 0
    for number in _NUMBER.finditer(text):
        start = number.start()
        if start and text[start - 1] in "0123456789.,":
            continue  # part of a longer number: 1,400 or 2.35
        prefix = _PREFIX_BEFORE.search(text, max(last, start - _PREFIX_REACH), start)
        if prefix is None:
            continue
        letters = prefix.group("arabic") or prefix.group("spaced") or prefix.group("tight")
        digits = number.group(0)[: len(number.group(0)) - len(number.group("tail"))]
        out.append(text[last:prefix.start()])
        out.append(f" {_DESIGNATION_PREFIX[letters]}{digits} ")
        last = number.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def normalize(text: str) -> str:
    """The matching form of `text`: folded, designations canonical, suffixes cut."""
    text = fold(text)
    # An underscore glues words in slugs, hashtags and handles (F-35_exit, #S400_deal);
    # as a word character it would hide the designation from every rule below.
    if "_" in text:
        text = text.replace("_", " ")
    # Suffixes first: "S-400'ler" -> "S-400", and "company's 400" never reads as "s 400".
    if "'" in text:
        text = _APOSTROPHE.sub(_apostrophe, text)
        # What is left after no letter opens a quotation ('S-400'): a space, so that the
        # designation is read as in plain text.
        text = _OPENING_QUOTE.sub(" ", text)
    return canonical_designations(text)


# Light Russian stemmer: case/number endings, longest first. The stem keeps at least
# three letters so short words ("США", "ПВО") stay whole.
_RU_ENDINGS = sorted(
    """ями ами ого его ому ему ыми ими ых их ой ей ий ый ая яя ое ее ую юю ом ем ах ях
    ов ев ам ям ию ия ие ии ые ью ья ье ы и а я о е у ю ь й""".split(),
    key=len,
    reverse=True,
)
_CYRILLIC = re.compile(r"^[а-я]+$")


# The endings by length, longest first: at most one ending of each length fits a word, so
# three set look-ups do what trying every ending in turn did.
_RU_ENDINGS_BY_LENGTH = tuple(
    (n, frozenset(e for e in _RU_ENDINGS if len(e) == n)) for n in sorted({len(e) for e in _RU_ENDINGS}, reverse=True)
)


def russian_stem(token: str) -> str:
    """Strip one Russian case ending: турции/турцию/турция -> турц."""
    if not _CYRILLIC.match(token):
        return token
    for length, endings in _RU_ENDINGS_BY_LENGTH:
        if len(token) - length >= 3 and token[-length:] in endings:
            token = token[:-length]
            # A soft stem vowel stays after some endings (санкци-ями, турци-ей); drop it
            # so that every case of the word meets at one stem.
            if len(token) >= 4 and token[-1] in "иьй":
                token = token[:-1]
            return token
    return token


_ARABIC_SUFFIXES = ("هما", "هم", "ها", "نا", "كم")


def arabic_variants(token: str) -> tuple[str, ...]:
    """The token and its readings without attached و ف ب ك ل and ال (والمنظومة -> منظومه)
    and without attached pronouns (عقوباتها -> عقوبات)."""
    out = [token]
    for conj in ("", "و", "ف"):
        if conj and not token.startswith(conj):
            continue
        rest = token[len(conj):]
        for prep in ("", "ب", "ك", "ل"):
            if prep and not rest.startswith(prep):
                continue
            stem = rest[len(prep):]
            # "لل" is ل + ال with the alef elided (للدفاع = ل + الدفاع).
            if prep == "ل" and stem.startswith("ل") and len(stem) > 3:
                out.append(stem[1:])
            if stem.startswith("ال") and len(stem) > 3:
                out.append(stem[2:])
            if (conj or prep) and len(stem) >= 3:
                out.append(stem)
    # Attached pronouns: عقوباتها -> عقوبات, منظومتها -> منظومه (ta marbuta comes back),
    # شرائها -> شراي -> شرا (the hamza's seat before the suffix).
    for word in list(out):
        for suffix in _ARABIC_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                base = word[: -len(suffix)]
                out.append(base)
                if base.endswith("ت"):
                    out.append(base[:-1] + "ه")
                elif base.endswith("اي"):
                    out.append(base[:-1])
                break
    return tuple(dict.fromkeys(out))


# Cached for the words after a multi-word form's first word (match._rest_matches), a few
# thousand in all; every other word is looked up once, through the matcher's memo.
@lru_cache(maxsize=4096)
def token_variants(token: str) -> tuple[str, ...]:
    """Every reading of one normalized token that a lexicon form may name."""
    if _ARABIC_LETTER.match(token):
        return arabic_variants(token)
    stem = russian_stem(token)
    return (token,) if stem == token else (token, stem)


def tokens(text: str) -> list[str]:
    """Word tokens of already-normalized text."""
    return _TOKEN.findall(text)


def lexicon_token(token: str) -> str:
    """A lexicon word in the reading text tokens offer through `token_variants`:
    Russian stemmed, Arabic without its article (text "للدفاع" offers "دفاع", never
    "الدفاع", so the lexicon's "الدفاع" must become "دفاع")."""
    if _ARABIC_LETTER.match(token):
        return token[2:] if token.startswith("ال") and len(token) > 3 else token
    return russian_stem(token)


def form_tokens(form: str) -> list[str]:
    """A lexicon form as the token sequence it must match."""
    return [lexicon_token(t) for t in tokens(normalize(form))]
