"""Community exemplars: what a community's moderators taught the matcher from reviewed flags.

A flag marked *False alarm* or *Resolved* can be added (after the moderator confirms, see
:mod:`.reviewed`) as a ``safe`` or ``risk`` exemplar of that community. They count at once, in
that community only, without retraining:

* the model's matcher is extended with them (:meth:`ExemplarMatcher.with_added`), so a message
  like a resolved one scores as risk, and one like a false alarm a little less;
* a message **near-identical** to a reviewed false alarm (cosine >= :data:`NEAR`, and no reviewed
  risk exemplar as close) is not flagged: the moderators already judged it. The learned signals
  (risk score, matcher) near it count for nothing; a phrase the false alarm did not have still
  counts as usual, so "I would never hurt myself" marked a false alarm never hides "I would hurt
  myself" (cosine 0.92 with the shipped model).

The exemplars live in the database with the embedding of the model that added them; after a
model swap they are embedded again with the new model (from their text) when first needed. A
process re-reads its community's exemplars when their count or newest id changed (checked at
most every ``settings_cache_s``), so several processes on one database agree.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from bot.core.deps import Deps
from bot.core.distress import detector
from bot.core.events import ChatMessage, CommunityRef
from classifier.exemplars import ExemplarMatcher
from classifier.prediction import Prediction

logger = logging.getLogger(__name__)

KINDS = ("risk", "safe")
SAFE_CATEGORY = "reviewed false alarm"
RISK_CATEGORY = "reviewed"  # when no model exemplar is near enough to name a category
# Near-identical, with the shipped model: case, apostrophes, "going to"/"gonna", a plural measured
# 0.97-0.996; "... in the game" against the same sentence without it 0.94, a negation removed
# 0.88-0.92. Only the first kind may be silenced by a reviewed false alarm.
NEAR = 0.96
_MEMO_KEY = "community-exemplars"


@dataclass(frozen=True)
class CommunityExemplar:
    """One exemplar a moderator added from a reviewed flag (its text is the member's message)."""

    platform: str
    community_id: str
    kind: str  # "risk" | "safe"
    category: str
    text: str
    author_id: str  # who wrote the message: their ``forget`` deletes it
    message_id: str
    added_by: str | None  # the moderator (None once they used ``forget``)
    added_at: datetime
    model_version: str  # the model whose embedding ``embedding`` is
    embedding: np.ndarray = field(compare=False, repr=False)
    flag_id: int | None = None
    id: int = 0


class ExemplarStore(Protocol):
    """What :mod:`bot.storage.exemplars` implements (``SqlStore.exemplars``)."""

    def add(self, exemplar: CommunityExemplar) -> CommunityExemplar | None: ...
    def for_community(self, platform: str, community_id: str) -> list[CommunityExemplar]: ...
    def stamp(self, platform: str, community_id: str) -> tuple[int, int]: ...
    def every(self) -> list[CommunityExemplar]: ...


def exemplar_store(deps: Deps) -> ExemplarStore | None:
    """The store's exemplars, or None where the store has none (tests' fakes): then nothing is
    offered and the model's matcher stands alone."""
    return getattr(deps.store, "exemplars", None)


@dataclass(frozen=True)
class CommunityMatcher:
    matcher: ExemplarMatcher  # the model's exemplars plus the community's
    safe: np.ndarray  # the community's safe embeddings, (n, d)
    safe_phrases: tuple[frozenset[str], ...]  # the active phrases of each safe exemplar's text
    risk: np.ndarray  # the community's risk embeddings, (m, d)


@dataclass
class _Cached:
    checked: float
    stamp: tuple[int, int]
    built: CommunityMatcher | None


def _memo(deps: Deps) -> dict[tuple[str, str], _Cached]:
    """Per model (the deps' per-model memo), so a model swap embeds the exemplars again."""
    memo: dict[str, Any] = deps.distress_model()[2]
    cached: dict[tuple[str, str], _Cached] = memo.setdefault(_MEMO_KEY, {})
    return cached


def invalidate(deps: Deps, community: CommunityRef | None = None) -> None:
    """Read the exemplars again on the next message (one community's, or all after a forget)."""
    cached = _memo(deps)
    if community is None:
        cached.clear()
    else:
        cached.pop((community.platform, community.id), None)


async def matcher_for(
    deps: Deps, community: CommunityRef, base: ExemplarMatcher | None
) -> CommunityMatcher | None:
    """The community's matcher; None when it has no exemplars (or they cannot be read now: the
    model's matcher then stands alone, and distress detection goes on)."""
    store = exemplar_store(deps)
    if base is None or store is None:
        return None
    key = (community.platform, community.id)
    cached = _memo(deps)
    entry = cached.get(key)
    now = time.monotonic()
    if entry is not None and now - entry.checked < deps.options.settings_cache_s:
        return entry.built
    try:
        stamp = await deps.db(store.stamp, *key)
        if entry is not None and entry.stamp == stamp:
            entry.checked = now
            return entry.built
        rows = await deps.db(store.for_community, *key) if stamp[0] else []
        built = await _build(deps, base, rows)
    except Exception:
        logger.exception("community %s/%s: exemplars unavailable; model's only", *key)
        return entry.built if entry is not None else None
    cached[key] = _Cached(now, stamp, built)
    return built


async def _build(
    deps: Deps, base: ExemplarMatcher, rows: list[CommunityExemplar]
) -> CommunityMatcher | None:
    version = deps.classifier.version
    width = base.embeddings.shape[1]
    stale = [r for r in rows if r.model_version != version or r.embedding.shape != (width,)]
    fresh = await asyncio.gather(*(deps.classify(r.text) for r in stale))
    again = {id(r): p.embedding for r, p in zip(stale, fresh, strict=True)}
    kept: list[tuple[CommunityExemplar, np.ndarray]] = []
    for row in rows:
        vector = again.get(id(row), row.embedding)
        if vector is not None and vector.any():
            kept.append((row, np.asarray(vector, dtype=np.float32)))
    if not kept:
        return None
    vectors = np.stack([v for _, v in kept])
    kinds = [r.kind for r, _ in kept]
    safe = np.array([k == "safe" for k in kinds], dtype=bool)
    return CommunityMatcher(
        matcher=base.with_added(vectors, kinds, [r.category for r, _ in kept]),
        safe=vectors[safe],
        safe_phrases=tuple(
            frozenset(m.phrase for m in detector.scan(r.text) if m.state == "active")
            for r, _ in kept
            if r.kind == "safe"
        ),
        risk=vectors[~safe],
    )


async def assess(
    deps: Deps,
    msg: ChatMessage,
    prediction: Prediction,
    base: ExemplarMatcher | None,
    thresholds: detector.Thresholds,
) -> detector.Assessment:
    """:func:`detector.assess` with the community's exemplars (see the module doc)."""
    community = await matcher_for(deps, msg.channel.community, base)
    matcher = community.matcher if community is not None else base
    result = detector.assess(msg.text, prediction, matcher, thresholds)
    if community is None or prediction.embedding is None or not result.at_least("medium"):
        return result
    return _reviewed_safe(deps, msg, community, prediction.embedding, result)


def _reviewed_safe(
    deps: Deps,
    msg: ChatMessage,
    community: CommunityMatcher,
    embedding: np.ndarray,
    result: detector.Assessment,
) -> detector.Assessment:
    """``result``, or at most low when the message is near-identical to a reviewed false alarm."""
    if not len(community.safe):
        return result
    similarity = community.safe @ embedding
    best = int(similarity.argmax())
    if similarity[best] < NEAR:
        return result
    if len(community.risk) and float((community.risk @ embedding).max()) >= similarity[best]:
        return result  # a reviewed risk message is at least as close
    active = {m.phrase for m in result.phrases if m.state == "active"}
    level = "low"
    if not active <= community.safe_phrases[best]:
        # A phrase the false alarm did not have: the phrases alone decide.
        phrases_only = detector.assess(msg.text, None, None, detector.Thresholds(), result.phrases)
        level = max(level, phrases_only.level, key=detector.LEVELS.index)
    if level == result.level:
        return result
    logger.info(
        "message %s: near a reviewed false alarm (%.2f): %s, not %s",
        msg.id,
        similarity[best],
        level,
        result.level,
    )
    deps.stats["distress_reviewed_safe"] += 1
    return replace(result, level=level, reason=f"{result.reason}; like a reviewed false alarm")
