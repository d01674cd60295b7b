"""Can the English model read this text? Two cheap signals, enough to start:

* **script**: most letters outside the Latin script (Arabic, Devanagari, Chinese, Cyrillic...):
  the tokenizer turns them into ``[UNK]`` or single characters the model never learnt from;
* **language**: a Latin-script text of at least three words whose words are mostly not in the
  tokenizer's whole-word vocabulary *and* that a language identifier (``py3langid``, trained on
  97 languages) names as another language with probability ≥ 0.9.

English chat with slang and typos passes: on GoEmotions dev (5,426 messages) and dair-ai/emotion
validation (2,000), no message is marked unread. The identifier runs only for the few texts
whose vocabulary coverage is low, so an ordinary message costs a character scan.

What is unread is not given a mood: the bot stores it as unread, leaves it out of moods and
shares, and says so (``/emotion check``, summaries).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any

SCRIPT = "script"
LANGUAGE = "language"

MIN_WORDS = 3
MIN_COVERAGE = 0.6  # share of words in the vocabulary above which a text is read as English
MIN_LANGUAGE_P = 0.9

_WORD = re.compile(r"[^\W\d_]+")
_identifier: Any = None
_identifier_lock = threading.Lock()


def whole_words(vocabulary: Iterable[str]) -> frozenset[str]:
    """The alphabetic whole-word entries of a WordPiece vocabulary (no ``##`` pieces)."""
    return frozenset(t for t in vocabulary if t.isalpha() and not t.startswith("##"))


def _latin(ch: str) -> bool:
    return ch.isascii() or "LATIN" in unicodedata.name(ch, "")


def _fold(word: str) -> str:
    """Lower case without accents, as the uncased tokenizer sees it."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _language(text: str) -> tuple[str, float]:
    global _identifier
    with _identifier_lock:
        if _identifier is None:  # ~2 s once; most processes never need it
            from py3langid import langid

            model = langid.MODEL_DIR / langid.MODEL_FILE
            _identifier = langid.LanguageIdentifier.from_modelpath(model, norm_probs=True)
        language, p = _identifier.classify(text)
    return str(language), float(p)


def unread_reason(text: str, vocabulary: frozenset[str]) -> str | None:
    """Why the English model cannot read ``text``: ``"script"``, ``"language"``, or None (it
    can). ``vocabulary`` is :func:`whole_words` of the model's tokenizer."""
    if not text.isascii():
        letters = [c for c in text if c.isalpha()]
        foreign = sum(1 for c in letters if not _latin(c))
        if len(letters) >= 2 and foreign * 2 > len(letters):
            return SCRIPT
    words = [_fold(w) for w in _WORD.findall(text)]
    words = [w for w in words if len(w) >= 2]
    if len(words) < MIN_WORDS:
        return None
    known = sum(1 for w in words if w in vocabulary)
    if known >= MIN_COVERAGE * len(words):
        return None
    language, p = _language(text)
    return LANGUAGE if language != "en" and p >= MIN_LANGUAGE_P else None
