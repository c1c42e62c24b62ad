"""Text normalisation for story grouping: one comparable form of any script.

Pure, no I/O. `fold` makes text case-, accent-, digit-script- and Arabic-variant-
insensitive; `words` splits folded text into words; `skeleton` turns a folded word in
Latin, Cyrillic, Greek or Arabic script into a consonant skeleton, so that a name meets
itself across scripts (Grisham, غريشام, Гришэм).
"""
from __future__ import annotations

import functools
import re
import unicodedata

# ---------------------------------------------------------------------------
# Text normalisation

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                              "ؤ": "و", "ئ": "ي", "ک": "ك", "ی": "ي"})
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?", re.UNICODE)


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


def words(text: str) -> list[str]:
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
