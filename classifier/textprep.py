"""Turn chat messages into what the model was trained on, with a defined answer for odd input.

* mentions (``<@123>``, ``<@U123|name>``, ``@here``) become ``[NAME]``, as in GoEmotions' masked
  names;
* links become ``link``; code blocks and inline code are dropped (code carries no emotion);
* emoji and other symbols outside the vocabulary become their Unicode names
  (``😢`` → ``crying face``), so an emoji-only message still says something;
* characters that cannot be encoded as UTF-8 (lone surrogates) are dropped, and noted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MENTION = re.compile(r"<[@#!][^>\s]{1,64}>|(?<!\w)@(?:here|channel|everyone)\b")
URL = re.compile(r"<?(?:https?://|www\.)[^\s>]+>?", re.IGNORECASE)
CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]+`")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Prepared:
    text: str
    invalid: bool  # characters were dropped because they cannot be encoded


def _describe_symbols(text: str, vocab: frozenset[str]) -> str:
    """Replace symbols the tokenizer would turn into [UNK] by their Unicode names."""
    out: list[str] = []
    for ch in text:
        if ch.isascii() or ch in vocab:
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in ("So", "Sk"):  # emoji, pictographs, modifier symbols
            name = unicodedata.name(ch, "")
            out.append(f" {name.lower()} " if name and "MODIFIER" not in name else " ")
        elif category in ("Mn", "Cf") and ord(ch) in (0xFE0F, 0x200D):
            out.append("")  # emoji variation selector / zero-width joiner
        else:
            out.append(ch)
    return "".join(out)


def prepare(text: object, vocab: frozenset[str] = frozenset()) -> Prepared:
    """Normalise one message. Never raises: a non-string becomes its ``str()``."""
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    clean = raw.encode("utf-8", "ignore").decode("utf-8")
    invalid = len(clean) != len(raw)
    # The substring tests skip regexes that cannot match (most chat messages have no code or
    # mention): this runs once per message.
    if "`" in clean:
        clean = CODE_BLOCK.sub(" ", clean)
        clean = INLINE_CODE.sub(" ", clean)
    clean = URL.sub(" link ", clean)
    if "<" in clean or "@" in clean:
        clean = MENTION.sub(" [NAME] ", clean)
    if not clean.isascii():
        clean = _describe_symbols(clean, vocab)
    return Prepared(SPACES.sub(" ", clean).strip(), invalid)
