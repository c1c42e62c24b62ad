"""Language identification with langdetect, made deterministic and run only where needed.

langdetect is the design's detector. It is random by default; seeding its factory makes
the same text always give the same language (guarantee 4). Its profiles load lazily and
not thread-safely, so `init_language_detection()` loads them once before any worker
thread starts.

It costs 1-19 ms an item, many times the matching, so callers detect lazily
(`monitor.topic.context.LazyLanguage`): only a matched item, or one whose language a rule
asks about (a party the language implies), is detected. On the wild streams that is 67 of
100,000 items (`bench/bench_match.py --stream`). Only the first MAX_CHARS characters are
read: the start of a text says its language; the rest costs time only.
"""
from __future__ import annotations

import re
import threading
from array import array

from langdetect import DetectorFactory, detector_factory
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException

UNDETERMINED = "und"
# Below this many letters langdetect guesses more than it detects.
MIN_LETTERS = 12
# The headline and first sentences say the language; langdetect's cost grows with the text
# (n-grams of all of it), and on the dev set and a 1,700-item sample of the wild streams the
# first 600 characters give the same answer as the first 2,000 for every item.
MAX_CHARS = 600
# The languages langdetect's profiles cover (Chinese as one "zh").
LANGUAGES = tuple(
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml "
    "mr ne nl no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh".split()
)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_lock = threading.Lock()
_ready = False


class _SparseDetector(Detector):
    """langdetect's Detector reading the sparse rows of `_SparseFactory`."""

    def _update_lang_prob(self, prob, word, alpha):
        # langdetect's update, prob[i] *= weight + row[i] for every language i, where
        # row[i] is 0.0 for the languages a row leaves out: those become prob[i] * weight,
        # the very same double, so every answer is langdetect's own.
        row = self.word_lang_prob_map.get(word) if word is not None else None
        if row is None:
            return False
        weight = alpha / self.BASE_FREQ
        updated = [p * weight for p in prob]
        for i, q in zip(*row):
            updated[i] = prob[i] * (weight + q)
        prob[:] = updated
        return True


class _SparseFactory(DetectorFactory):
    """langdetect's factory, keeping for each n-gram only the languages it occurs in.

    langdetect gives each of its 87,600 n-grams a list of 55 probabilities, 62 MB, most of
    them 0.0 (an n-gram occurs in 8 or 9 languages on average). Here a row is two packed
    arrays, the language indexes and their probabilities: 25 MB less in the process that
    detects, and a row sits in one place in memory instead of 55."""

    def add_profile(self, profile, index, langsize):
        # langdetect's add_profile, filling sparse rows instead of `[0.0] * langsize`.
        if profile.name in self.langlist:
            raise LangDetectException(ErrorCode.DuplicateLangError, "Duplicate the same language profile.")
        self.langlist.append(profile.name)
        table, n_words = self.word_lang_prob_map, profile.n_words
        for word, count in profile.freq.items():
            row = table.get(word)
            if row is None:
                row = table[word] = (array("B"), array("d"))
            if 1 <= len(word) <= 3:
                row[0].append(index)
                row[1].append(1.0 * count / n_words[len(word) - 1])

    def _create_detector(self):
        if not self.langlist:
            raise LangDetectException(ErrorCode.NeedLoadProfileError, "Need to load profiles.")
        return _SparseDetector(self)


def init_language_detection() -> None:
    """Load langdetect's profiles with a fixed seed, once; safe to call again."""
    global _ready
    with _lock:
        if not _ready:
            DetectorFactory.seed = 0
            if detector_factory._factory is None:
                factory = _SparseFactory()
                factory.load_profile(detector_factory.PROFILES_DIRECTORY)
                detector_factory._factory = factory
            _ready = True


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text` (one of LANGUAGES), or "und" when it has fewer than
    MIN_LETTERS letters or langdetect finds no feature. Reads the first MAX_CHARS characters."""
    text = text[:MAX_CHARS]
    if len(_LETTER.findall(text)) < MIN_LETTERS:
        return UNDETERMINED
    init_language_detection()
    try:
        detector = detector_factory._factory.create()
        detector.append(text)
        lang = detector.detect()
    except LangDetectException:
        return UNDETERMINED
    # langdetect reports Chinese as zh-cn / zh-tw; keep the primary subtag.
    return lang.split("-")[0] if lang else UNDETERMINED
