"""Stage 2, classify: off the event loop, batched with concurrent messages
(:class:`~bot.core.batching.Batcher`); the text is remembered in memory only (for ``label`` and
``why`` on a recent message) and shown to the observer."""

from __future__ import annotations

import logging

from bot.core.deps import Deps
from bot.core.events import ChatMessage
from bot.core.recent import RecentText
from classifier.prediction import Prediction

logger = logging.getLogger(__name__)


async def classify(deps: Deps, msg: ChatMessage, *, replay: bool) -> Prediction:
    """Raises :class:`~bot.core.batching.ClassificationError` when the classifier fails."""
    community = msg.channel.community
    deps.channel_names[(community.platform, community.id, msg.channel.id)] = (
        msg.channel.name or msg.channel.id
    )
    limit = deps.options.max_text_chars
    if len(msg.text) > limit:
        logger.info(
            "message %s: %d characters, classifying the first %d", msg.id, len(msg.text), limit
        )
    prediction = await deps.classify(msg.text)
    deps.stats["classified"] += 1
    deps.texts.remember(
        community.platform,
        msg.id,
        RecentText(msg.text[:limit], msg.author.id, community.id, deps.clock()),
    )
    if deps.observer is not None and not replay:
        try:
            deps.observer.classified(msg, prediction)
        except Exception:
            logger.exception("observer failed")
    return prediction
