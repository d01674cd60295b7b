"""Cut a chat message into the units an explanation talks about, with character offsets.

A unit is what a person would call a word, found on the *original* text so that offsets point
into what the member wrote:

* a link or a mention is one unit (the model sees ``link`` / ``[NAME]`` for it);
* code (blocks and inline) is no unit at all: the model never sees it
  (see :mod:`classifier.textprep`);
* a word is a run of letters/digits with inner apostrophes (``don't``, ``I'm``);
* a symbol is one punctuation mark or emoji (with its variation selector, skin tone and
  zero-width-joiner sequence), repeated runs of the same one count once (``!!!``, ``😭😭😭``).

Removing a unit replaces it by a space, so its neighbours never merge into a new word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from classifier.textprep import CODE_BLOCK, INLINE_CODE, MENTION, URL

_MOD = r"[\ufe0f\U0001F3FB-\U0001F3FF]*"  # variation selector, skin tones
_CLUSTER = rf"[^\w\s]{_MOD}(?:\u200d[^\w\s]{_MOD})*"
UNIT = re.compile(rf"[\w\u0300-\u036f]+(?:['’][\w\u0300-\u036f]+)*|({_CLUSTER})\1*")
# Joiners and variation selectors on their own carry nothing (textprep drops them).
_SILENT = re.compile(r"^[\ufe0f\u200d\U0001F3FB-\U0001F3FF]+$")
# In textprep's order; the flag says whether the span is a unit (code is not: it is dropped).
ATOMIC = ((CODE_BLOCK, False), (INLINE_CODE, False), (URL, True), (MENTION, True))


def _atomic(text: str) -> list[tuple[int, int, bool]]:
    """Spans of code (``keep=False``: not a unit) and links/mentions (one unit each)."""
    spans: list[tuple[int, int, bool]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for pattern, is_unit in ATOMIC:
        for m in pattern.finditer(text):
            if m.end() > m.start() and free(m.start(), m.end()):
                spans.append((m.start(), m.end(), is_unit))
    return sorted(spans)


def word_spans(text: str) -> list[tuple[int, int]]:
    """The units of ``text`` as (start, end) character offsets, in reading order."""
    out: list[tuple[int, int]] = []
    cursor = 0
    for start, end, is_unit in [*_atomic(text), (len(text), len(text), False)]:
        out.extend(_plain(text, cursor, start))
        if is_unit:
            out.append((start, end))
        cursor = end
    return out


def _plain(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    for m in UNIT.finditer(text, start, end):
        if not _SILENT.match(m.group()):
            yield m.start(), m.end()


def drop(text: str, spans: list[tuple[int, int]], dropped: Iterable[int]) -> str:
    """``text`` with the units at indices ``dropped`` replaced by a space each."""
    pieces: list[str] = []
    cursor = 0
    for i in sorted(set(dropped)):
        start, end = spans[i]
        pieces.append(text[cursor:start])
        pieces.append(" ")
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
