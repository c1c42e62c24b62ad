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

from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException

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


def init_language_detection() -> None:
    """Load langdetect's profiles with a fixed seed, once; safe to call again."""
    global _ready
    with _lock:
        if not _ready:
            DetectorFactory.seed = 0
            detector_factory.init_factory()
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
