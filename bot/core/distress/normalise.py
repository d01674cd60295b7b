"""Text as the phrase patterns read it: the disguises people use taken off.

- Unicode NFKC (full-width letters, ligatures, circled letters) and combining marks removed
  ("k̶i̶l̶l̶" -> "kill");
- Discord spoiler bars ``||...||`` dropped (the text inside is what people read);
- lower case and straight apostrophes;
- separators inside a word joined: "k.i.l.l", "k i l l", "k-i-l-l", "k*i*l*l" -> "kill" (three or
  more single letters in a row, so "a b" and ordinary words are untouched);
- letters repeated three or more times cut to two ("killlll" -> "kill", "dieeee" -> "diee");
  where the text had such runs, :func:`variants` also gives the form with them cut to one
  ("dieeee" -> "die"), and the patterns run on both.
"""

from __future__ import annotations

import re
import unicodedata

_SPOILER = re.compile(r"\|\|")
_SPACED = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][ .\-_*·•~]){2,}[^\W\d_](?![^\W\d_])")
_SEPARATORS = re.compile(r"[ .\-_*·•~]")
_REPEAT3 = re.compile(r"([^\W\d_])\1{2,}")
# Backticks stay: they mark code, which counts as quoted.
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'"})


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def _join_spaced(match: re.Match[str]) -> str:
    return _SEPARATORS.sub("", match.group(0))


def _base(text: str) -> str:
    # Plain ASCII (most chat) has nothing for NFKC or the combining marks to change.
    out = text if text.isascii() else _strip_marks(unicodedata.normalize("NFKC", text))
    out = _SPOILER.sub("", out)
    out = out.lower().translate(_APOSTROPHES)
    return _SPACED.sub(_join_spaced, out)


def for_matching(text: str) -> str:
    """The message as the patterns read it (same length or shorter; see the module doc)."""
    return _REPEAT3.sub(r"\1\1", _base(text))


def variants(text: str) -> list[str]:
    """:func:`for_matching`, and, when the text stretched a letter, the form with the stretch cut
    to one letter ("wannnna dieeee" -> "wana die")."""
    base = _base(text)
    if not _REPEAT3.search(base):
        return [base]
    return [_REPEAT3.sub(r"\1\1", base), _REPEAT3.sub(r"\1", base)]
