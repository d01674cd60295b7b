"""The distress detector as it was until 2026-12 (phrases + 0.3 x negative emotion), kept unchanged
only as the baseline of ``emotion-bot bench distress``; the bot uses :mod:`bot.core.distress`.

Phrases, negation, quotation, model scores and recent history.

How a message is scored (every number is a named constant below, every phrase is in
:data:`PATTERNS`):

1. **Phrases.** First-person self-harm / suicidal-ideation phrases, each *explicit* ("kill myself",
   "end my life", "suicidal") or *indirect* ("want to die", "no reason to live").
2. **Negation.** A match is *negated* when a negation cue ("not", "never", "don't", "won't",
   "wouldn't", ...) stands in the same clause within :data:`NEGATION_WINDOW` words before it:
   "I'm not going to hurt myself", "I would never kill myself". "can't stop", "can't take" and the
   like are not negations of the act ("I can't stop thinking about killing myself" stays active).
3. **Quotation.** Text inside code blocks, inline code, double quotes, and lines starting with
   ``>`` (quoted messages, song lyrics) is *quoted*: it counts only :data:`QUOTED_FACTOR` of its
   weight and can never raise a flag on its own.
4. **Score** = strongest active phrase weight (or the quoted share)
   + :data:`MODEL_WEIGHT` x the model's strongest negative-family score
   + :data:`HISTORY_WEIGHT` x the share of the member's recent stored messages whose top label is
   negative. A flag needs an *active* phrase and a score of at least :data:`FLAG_THRESHOLD`:
   an explicit phrase flags alone; an indirect one needs the model or the history to agree.

The detector never decides anything about a person: it asks moderators to look.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from classifier.prediction import Prediction
from classifier.scheme import LabelScheme

EXPLICIT_WEIGHT = 0.75
INDIRECT_WEIGHT = 0.5
QUOTED_FACTOR = 0.25
MODEL_WEIGHT = 0.3
HISTORY_WEIGHT = 0.2
FLAG_THRESHOLD = 0.7
NEGATION_WINDOW = 4  # words before the phrase, within its clause
HISTORY_SIZE = 10  # recent stored messages of the member that count

_ME = r"(?:my\s*self|myself|meself)"
# (name, regex, weight). Written for lower-cased text with straight apostrophes.
PATTERNS: tuple[tuple[str, str, float], ...] = (
    ("kill myself", rf"\b(?:kill(?:ing|ed)?\s+{_ME}|kms)\b", EXPLICIT_WEIGHT),
    ("end my life", r"\bend(?:ing)?\s+my\s+(?:own\s+)?life\b", EXPLICIT_WEIGHT),
    ("take my own life", r"\btak(?:e|ing)\s+my\s+(?:own\s+)?life\b", EXPLICIT_WEIGHT),
    (
        "suicidal",
        r"\bsuicidal\b|\b(?:commit(?:ting)?|attempt(?:ing)?)\s+suicide\b",
        EXPLICIT_WEIGHT,
    ),
    ("hurt myself", rf"\b(?:hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?)\s+{_ME}\b", EXPLICIT_WEIGHT),
    ("self-harm", r"\bself[\s-]?harm(?:ing)?\b", INDIRECT_WEIGHT),
    (
        "want to die",
        r"\b(?:(?:want|wanted|wish)\s+to|wanna)\s+die\b|\bwish\s+i\s+(?:was|were)\s+dead\b",
        INDIRECT_WEIGHT,
    ),
    ("end it all", r"\bend\s+it\s+all\b", INDIRECT_WEIGHT),
    (
        "no reason to live",
        r"\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|go(?:ing)?\s+on)\b",
        INDIRECT_WEIGHT,
    ),
    (
        "don't want to live",
        r"\b(?:don't|do\s+not|dont)\s+want\s+to\s+(?:live|be\s+alive|exist|wake\s+up)\b",
        INDIRECT_WEIGHT,
    ),
    ("better off dead", r"\bbetter\s+off\s+(?:dead|without\s+me)\b", INDIRECT_WEIGHT),
    ("can't go on", r"\b(?:can't|cannot|cant)\s+go\s+on\b", INDIRECT_WEIGHT),
    ("disappear forever", r"\bdisappear\s+forever\b", INDIRECT_WEIGHT),
)
# Patterns that already contain their negation: not negated again by their own cue.
_SELF_NEGATING = {"don't want to live", "can't go on", "no reason to live"}
_COMPILED = tuple((name, re.compile(rx), w) for name, rx, w in PATTERNS)

NEGATION_CUES = re.compile(
    r"\b(?:not|never|no|don't|dont|do\s+not|won't|wont|will\s+not|wouldn't|would\s+not|"
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
    weight: float
    state: str  # "active" | "negated" | "quoted"
    start: int


def normalise(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTED.finditer(text)]


def _negated(text: str, start: int) -> bool:
    before = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    window = " ".join(clause.split()[-NEGATION_WINDOW:])
    window = NON_NEGATING.sub(" ", window)
    return NEGATION_CUES.search(window) is not None


def scan(text: str) -> list[PhraseMatch]:
    """Every phrase match in ``text``, each marked active, negated or quoted. Cheap: no I/O."""
    norm = normalise(text)
    quoted = _quoted_spans(norm)
    found: list[PhraseMatch] = []
    for name, regex, weight in _COMPILED:
        for m in regex.finditer(norm):
            if any(a <= m.start() < b for a, b in quoted):
                state = "quoted"
            elif name not in _SELF_NEGATING and _negated(norm, m.start()):
                state = "negated"
            else:
                state = "active"
            found.append(PhraseMatch(name, weight, state, m.start()))
    return found


def has_active(matches: Sequence[PhraseMatch]) -> bool:
    return any(m.state == "active" for m in matches)


@dataclass(frozen=True)
class DistressAssessment:
    flagged: bool
    score: float
    reason: str
    phrase_score: float
    model_score: float
    model_label: str | None
    history_share: float
    history_count: int


def assess(
    matches: Sequence[PhraseMatch],
    prediction: Prediction | None,
    scheme: LabelScheme,
    history_labels: Sequence[str],
    *,
    threshold: float = FLAG_THRESHOLD,
) -> DistressAssessment:
    """Combine phrases, the model's negative scores and the member's recent top labels."""
    active = [m for m in matches if m.state == "active"]
    quoted = [m for m in matches if m.state == "quoted"]
    if active:
        phrase_score = max(m.weight for m in active)
    elif quoted:
        phrase_score = QUOTED_FACTOR * max(m.weight for m in quoted)
    else:
        phrase_score = 0.0
    model_label, model_score = None, 0.0
    if prediction is not None:
        for label in scheme.labels_in("negative"):
            score = float(prediction.scores.get(label, 0.0))
            if score > model_score:
                model_label, model_score = label, score
    recent = list(history_labels)[:HISTORY_SIZE]
    negative = sum(1 for label in recent if scheme.family.get(label) == "negative")
    history_share = negative / len(recent) if recent else 0.0
    score = min(1.0, phrase_score + MODEL_WEIGHT * model_score + HISTORY_WEIGHT * history_share)
    flagged = bool(active) and score >= threshold
    return DistressAssessment(
        flagged=flagged,
        score=round(score, 3),
        reason=_reason(matches, model_label, model_score, negative, len(recent)),
        phrase_score=phrase_score,
        model_score=model_score,
        model_label=model_label,
        history_share=history_share,
        history_count=len(recent),
    )


def _reason(
    matches: Sequence[PhraseMatch],
    model_label: str | None,
    model_score: float,
    negative: int,
    recent: int,
) -> str:
    parts = []
    for state in ("active", "negated", "quoted"):
        phrases = sorted({m.phrase for m in matches if m.state == state})
        if phrases:
            label = {"active": "phrase", "negated": "negated", "quoted": "quoted"}[state]
            parts.append(f"{label}: " + ", ".join(f"“{p}”" for p in phrases))
    if model_label is not None:
        parts.append(f"model: {model_label} {model_score:.2f}")
    if recent:
        parts.append(f"recent: {negative} of last {recent} messages negative")
    return "; ".join(parts) if parts else "no distress phrase"
