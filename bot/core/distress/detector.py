"""The distress detector: explicit phrases, a learned risk score and the exemplar matcher.

Three signals, each transparent on the moderators' card:

1. **Phrases** (:data:`PATTERNS`), read on normalised text (:mod:`.normalise`: full-width
   letters, combining marks, "k.i.l.l", repeated letters, spoiler bars), over the whole message.
   *Explicit* first-person statements ("kill myself", "I want to die") are high confidence on
   their own; *indirect* ones ("better off without me", "wrote a goodbye letter") are medium.
   A match is **negated** when a negation cue stands in the same clause within
   :data:`NEGATION_WINDOW` words before it ("I would never kill myself"), **quoted** inside code,
   double quotes or ``>`` lines (lyrics, quoting someone).
2. **The model's distress score**, from the same forward pass as the emotions (an at-risk head
   trained on r/SuicideWatch posts, stress sentences, ordinary chat and the project's exemplars).
3. **The exemplar matcher**: how close the message's sentence embedding is to the project's short
   risk exemplars, less a share of its closeness to hard negatives; it names the category
   ("closest to: preparatory acts").

The learned thresholds come with the model (``meta.json``, chosen by a flag budget on ordinary
chat, per sensitivity). Levels: **high** flags on its own; **medium** flags when the same member
had another medium-or-higher message within 24 h; **low** is evidence shown on a card, never a
flag. Quoted text gives at most low; when the only phrases are negated, the learned signals give
at most medium. "kys" / "kill yourself" aimed at someone else is harassment, not the author's
distress: no distress level at all.

The detector never decides anything about a person: it asks moderators to look.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.distress.normalise import variants
from classifier.exemplars import ExemplarMatcher, Match
from classifier.prediction import Prediction

LEVELS = ("none", "low", "medium", "high")
NEGATION_WINDOW = 4  # words before the phrase, within its clause
SENSITIVITIES = ("low", "default", "high")

_ME = r"(?:my\s*self|myself|meself|mysel)"
_I_AM = r"(?:i\s*(?:'m|am|m)|im)"
# (name, regex, strength). Written for normalised text (lower case, straight apostrophes).
EXPLICIT = "explicit"
INDIRECT = "indirect"
PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("kill myself", rf"\b(?:kill(?:ing|ed)?|unaliv(?:e|ing))\s+{_ME}|\bkms\b|\bctb\b", EXPLICIT),
    ("end my life", r"\bend(?:ing)?\s+(?:my\s+(?:own\s+)?life|it\s+tonight)\b", EXPLICIT),
    ("take my own life", r"\btak(?:e|ing)\s+my\s+(?:own\s+)?life\b", EXPLICIT),
    (
        "suicidal",
        r"\bsuicidal\b|\b(?:commit(?:ting)?|attempt(?:ing)?)\s+suicide\b|\bsuicide\s+note\b",
        EXPLICIT,
    ),
    (
        "hurt myself",
        rf"\b(?:hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?|burn(?:ing)?)\s+{_ME}\b",
        EXPLICIT,
    ),
    (
        "want to die",
        r"\b(?:(?:want|wanted|wish|need)\s+to|wann?a)\s+(?:just\s+)?die\b"
        r"|\bwish\s+i\s+(?:was|were|had\s+never\s+been)\s+(?:dead|born)\b"
        r"|\bwish\s+i\s+(?:could\s+)?(?:just\s+)?(?:not\s+wake\s+up|never\s+wake\s+up|die)\b",
        EXPLICIT,
    ),
    (
        "self-harm",
        r"\b(?:i|i'm|im|i've|ive|been|my)\s+(?:\w+\s+){0,2}self[\s-]?harm(?:ing)?\b"
        r"|\brelaps(?:e|ed|ing)\s+(?:on|into|with)\s+(?:cutting|self[\s-]?harm)\b",
        INDIRECT,
    ),
    ("end it all", r"\bend\s+it\s+all\b|\bwant\s+it\s+(?:all\s+)?to\s+end\b", INDIRECT),
    (
        "no reason to live",
        r"\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|go(?:ing)?\s+on|be(?:ing)?\s+alive)\b",
        INDIRECT,
    ),
    (
        "don't want to live",
        r"\b(?:don't|do\s+not|dont)\s+want\s+to\s+(?:live|be\s+alive|exist|wake\s+up|be\s+here)\b",
        INDIRECT,
    ),
    (
        "better off without me",
        r"\bbetter\s+off\s+(?:dead|without\s+me)\b|\bbetter\s+off\s+if\s+i\s+(?:was|were)\s+gone\b",
        INDIRECT,
    ),
    (
        "nobody would notice",
        r"\b(?:no\s*one|nobody)\s+(?:would|will|'d)\s+(?:even\s+)?(?:notice|care|miss\s+me)"
        r"\s+if\s+i\s+(?:was|were|'m|am)?\s*(?:gone|dead|died|disappeared)\b",
        INDIRECT,
    ),
    ("can't go on", r"\b(?:can't|cannot|cant)\s+go\s+on\b", INDIRECT),
    (
        "goodbye letter",
        r"\b(?:wrote|writing|written|write|left|leaving)\s+(?:a\s+|my\s+)?(?:goodbye|farewell|last)"
        r"\s+(?:letter|note|message)s?\b",
        INDIRECT,
    ),
    (
        "all my pills",
        r"\b(?:take|taking|swallow|swallowing|down)\s+(?:all\s+(?:of\s+)?)?(?:my|the)\s+"
        r"(?:pills|meds|medication|tablets)\b",
        INDIRECT,
    ),
    ("disappear forever", r"\bdisappear\s+forever\b|\bnot\s+be\s+here\s+anymore\b", INDIRECT),
)
# Patterns that already contain their negation: not negated again by their own cue.
_SELF_NEGATING = {"don't want to live", "can't go on", "no reason to live", "nobody would notice"}
# Every message is scanned, so each phrase has words one of which it cannot match without: a
# plain substring test skips the regex for almost all chat (about 60 us less per message).
TRIGGERS: dict[str, tuple[str, ...]] = {
    "kill myself": ("kill", "unaliv", "kms", "ctb"),
    "end my life": ("end",),
    "take my own life": ("life",),
    "suicidal": ("suicid",),
    "hurt myself": ("sel",),
    "want to die": ("die", "dead", "born", "wake"),
    "self-harm": ("harm", "cutting"),
    "end it all": ("end",),
    "no reason to live": ("reason", "point"),
    "don't want to live": ("live", "alive", "exist", "wake", "here"),
    "better off without me": ("better",),
    "nobody would notice": ("notice", "care", "miss"),
    "can't go on": ("go on",),
    "goodbye letter": ("letter", "note", "message"),
    "all my pills": ("pill", "med", "tablet"),
    "disappear forever": ("disappear", "anymore"),
}
_COMPILED = tuple((name, re.compile(rx), s, TRIGGERS[name]) for name, rx, s in PATTERNS)
# Aimed at someone else: harassment, not the author's distress.
OTHER_DIRECTED = re.compile(
    r"\b(?:kys|kill\s+(?:yo?urself|urself|yourselves)|unalive\s+(?:yo?urself|urself)"
    r"|go\s+die|hope\s+(?:you|u)\s+die|neck\s+(?:yo?urself|urself)|(?:you|u)\s+should\s+die)\b"
)

NEGATION_CUES = re.compile(
    r"\b(?:used\s+to|not|never|no|don't|dont|do\s+not|won't|wont|will\s+not|wouldn't|would\s+not|"
    r"isn't|ain't|nor|neither|cannot|can't|cant|couldn't|shan't|stop(?:ped)?\s+wanting)\b"
)
# "can't stop ...", "don't know why ..." are about the urge, not a denial of it.
NON_NEGATING = re.compile(
    r"\b(?:can't|cant|cannot|couldn't)\s+(?:stop|help|stand|take|bear|handle|cope|wait|escape)\b"
    r"|\b(?:don't|dont|do\s+not|doesn't|not)\s+(?:know|understand|care|get|even|sure)\b"
)
_CLAUSE_BREAK = re.compile(r"[.!?;,:\n]|\bbut\b|\bthough\b|\bhowever\b|\byet\b")
_QUOTED = re.compile(
    r"```[\s\S]*?(?:```|\Z)|`[^`\n]*`"  # code blocks, inline code
    r"|\"[^\"\n]*\"|“[^”\n]*”|„[^“”\n]*[“”]|«[^»\n]*»"  # double quotes
    r"|^[ \t]*>[^\n]*",  # quoted lines ("> ...")
    re.MULTILINE,
)


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str
    strength: str  # EXPLICIT | INDIRECT
    state: str  # "active" | "negated" | "quoted"
    start: int


@dataclass(frozen=True)
class Thresholds:
    """Learned-signal thresholds of one sensitivity (from the model's ``meta.json``)."""

    head_high: float = 1.01
    head_medium: float = 1.01
    match_high: float = 2.0
    match_medium: float = 2.0

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], sensitivity: str = "default") -> Thresholds:
        points = (meta.get("distress") or {}).get("operating_points") or {}
        point = points.get(sensitivity) or points.get("default")
        if not point:
            return cls()
        return cls(
            head_high=float(point["head_high"]),
            head_medium=float(point["head_medium"]),
            match_high=float(point["match_high"]),
            match_medium=float(point["match_medium"]),
        )


# Chat that laughs or talks about a game: an explicit phrase there is more often a figure of speech
# ("kms lol", "killed myself on that jump"), so it counts as medium, not high.
HYPERBOLE_CUES = re.compile(
    r"\b(?:lol|lmao|lmfao|rofl|xd|haha\w*|jk|game|boss|level|respawn|spawn|jump|ranked|grenade|"
    r"lag|noob|speedrun|raid)\b|😂|🤣|💀"
)


_QUOTE_MARKS = re.compile('[`"“„«>]')


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTED.finditer(text)]


def _negated(text: str, start: int) -> bool:
    before = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    window = " ".join(clause.split()[-NEGATION_WINDOW:])
    window = NON_NEGATING.sub(" ", window)
    return NEGATION_CUES.search(window) is not None


def scan(text: str, forms: Sequence[str] | None = None) -> list[PhraseMatch]:
    """Every phrase match in the whole of ``text``, each active, negated or quoted. No I/O.

    ``forms``: the text's normalised forms when the caller has them (:func:`variants`).
    """
    found: dict[str, PhraseMatch] = {}
    rank = {"active": 2, "negated": 1, "quoted": 0}
    for norm in forms if forms is not None else variants(text):
        hits = [
            (m, (name, strength))
            for name, regex, strength, triggers in _COMPILED
            if any(t in norm for t in triggers)
            for m in regex.finditer(norm)
        ]
        if not hits:
            continue
        quoted = _quoted_spans(norm)
        for m, (name, strength) in hits:
            if any(a <= m.start() < b for a, b in quoted):
                state = "quoted"
            elif name not in _SELF_NEGATING and _negated(norm, m.start()):
                state = "negated"
            else:
                state = "active"
            seen = found.get(name)
            if seen is None or rank[state] > rank[seen.state]:
                found[name] = PhraseMatch(name, strength, state, m.start())
    return sorted(found.values(), key=lambda m: m.start)


def has_active(matches: Sequence[PhraseMatch]) -> bool:
    return any(m.state == "active" for m in matches)


def aimed_at_others(text: str, forms: Sequence[str] | None = None) -> bool:
    return any(OTHER_DIRECTED.search(norm) for norm in (forms or variants(text)))


def mostly_quoted(text: str) -> bool:
    """Whether the words outside quotes/code are too few to carry the message (<= 3 words)."""
    spans = _quoted_spans(text)
    if not spans:
        return False
    rest, last = [], 0
    for a, b in spans:
        rest.append(text[last:a])
        last = b
    rest.append(text[last:])
    return len(" ".join(rest).split()) <= 3


@dataclass(frozen=True)
class Assessment:
    level: str  # one of LEVELS
    reason: str
    head: float | None = None
    match: Match | None = None
    phrases: tuple[PhraseMatch, ...] = field(default_factory=tuple)
    harassment: bool = False

    @property
    def score(self) -> float:
        """One number for sorting and storage: the head's score, or the phrase level's floor."""
        floor = {"none": 0.0, "low": 0.3, "medium": 0.6, "high": 0.9}[self.level]
        return round(max(floor, self.head or 0.0), 3)

    @property
    def category(self) -> str | None:
        return self.match.category_name if self.match is not None else None

    def at_least(self, level: str) -> bool:
        return LEVELS.index(self.level) >= LEVELS.index(level)


def _learned_level(head: float | None, match: Match | None, thresholds: Thresholds) -> str:
    score = match.score if match is not None else -1.0
    value = head if head is not None else -1.0
    if value >= thresholds.head_high or score >= thresholds.match_high:
        return "high"
    if value >= thresholds.head_medium or score >= thresholds.match_medium:
        return "medium"
    return "none"


def _cap(level: str, most: str) -> str:
    return level if LEVELS.index(level) <= LEVELS.index(most) else most


def assess(
    text: str,
    prediction: Prediction | None,
    matcher: ExemplarMatcher | None,
    thresholds: Thresholds,
    phrases: Sequence[PhraseMatch] | None = None,
) -> Assessment:
    """The distress level of one message (member history is the flag desk's business)."""
    forms = variants(text)
    matches = tuple(scan(text, forms) if phrases is None else phrases)
    head = prediction.distress if prediction is not None else None
    embedding = prediction.embedding if prediction is not None else None
    match = matcher.match(embedding) if matcher is not None and embedding is not None else None
    active = [m for m in matches if m.state == "active"]
    if not active and aimed_at_others(text, forms):
        return Assessment("none", "aimed at someone else", head, match, matches, harassment=True)
    if any(m.strength == EXPLICIT for m in active):
        joking = any(HYPERBOLE_CUES.search(norm) for norm in forms)
        phrase_level = "medium" if joking else "high"
    elif len({m.phrase for m in active}) >= 2:
        phrase_level = "high"  # two different indirect phrases in one message agree
    elif active:
        phrase_level = "medium"
    elif matches:
        phrase_level = "low"
    else:
        phrase_level = "none"
    learned = _learned_level(head, match, thresholds)
    if _QUOTE_MARKS.search(text) and mostly_quoted(text):
        learned = _cap(learned, "low")
    elif matches and not active:  # only negated or quoted phrases
        learned = _cap(learned, "medium")
    if phrase_level == "medium" and learned == "medium":
        level = "high"  # two signals agree
    else:
        level = max(phrase_level, learned, key=LEVELS.index)
    return Assessment(level, _reason(matches, head, match, thresholds), head, match, matches)


def _reason(
    matches: Sequence[PhraseMatch], head: float | None, match: Match | None, thresholds: Thresholds
) -> str:
    parts = []
    for state in ("active", "negated", "quoted"):
        names = sorted({m.phrase for m in matches if m.state == state})
        if names:
            label = {"active": "phrase", "negated": "negated", "quoted": "quoted"}[state]
            parts.append(f"{label}: " + ", ".join(f"“{p}”" for p in names))
    if head is not None:
        parts.append(f"risk score {head:.2f}")
    if match is not None:
        parts.append(f"closest to: {match.category_name}")
    return "; ".join(parts) if parts else "no distress signal"
