"""Language identification with langdetect, made deterministic.

langdetect is random by default; seeding its factory makes the same text always give the
same language (guarantee 4). Its profiles load lazily and not thread-safely, so
`init_language_detection()` loads them once before any worker thread starts.
"""
from __future__ import annotations

import re
import threading

from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException

UNDETERMINED = "und"
# Below this many letters langdetect guesses more than it detects.
MIN_LETTERS = 12
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_lock = threading.Lock()
_ready = False


def init_language_detection() -> None:
    global _ready
    with _lock:
        if not _ready:
            DetectorFactory.seed = 0
            detector_factory.init_factory()
            _ready = True


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`, or "und" when it is too short or featureless."""
    if len(_LETTER.findall(text[:2000])) < MIN_LETTERS:
        return UNDETERMINED
    init_language_detection()
    try:
        factory = detector_factory._factory
        detector = factory.create()
        detector.append(text[:2000])
        lang = detector.detect()
    except LangDetectException:
        return UNDETERMINED
    # langdetect reports Chinese as zh-cn / zh-tw; keep the primary subtag.
    return lang.split("-")[0] if lang else UNDETERMINED
