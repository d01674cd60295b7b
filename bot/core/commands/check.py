"""``/emotion check TEXT``: how the bot reads a text (nothing is stored)."""

from __future__ import annotations

import logging

from bot.core import strings as msgs
from bot.core.batching import ClassificationError
from bot.core.commands.common import arg_text, bar, reply
from bot.core.deps import Deps
from bot.core.events import Action, Card, CommandRequest

logger = logging.getLogger(__name__)


async def cmd_check(deps: Deps, req: CommandRequest) -> list[Action]:
    text = arg_text(req)
    if not text.strip():
        return reply(req, msgs.CHECK_USAGE)
    try:
        prediction = await deps.classify(text)
    except ClassificationError:
        logger.error("check by %s: classifier failed", req.user.id)
        return reply(req, msgs.CLASSIFIER_UNAVAILABLE)
    if not prediction.read:  # another language, or nothing but code and links
        body = msgs.CHECK_UNREAD if prediction.note == "unread" else msgs.CHECK_NOTHING
        footer = msgs.CHECK_FOOTER.format(version=prediction.model_version)
        return reply(req, card=Card(title=msgs.CHECK_RESULT_TITLE, body=body, footer=footer))
    top = sorted(prediction.scores.items(), key=lambda kv: -kv[1])[:3]
    lines = "\n".join(
        f"{label:<15} {bar(score)} {score:.2f} ({deps.scheme.family.get(label, 'other')})"
        for label, score in top
    )
    card = Card(
        title=msgs.CHECK_RESULT_TITLE,
        body=lines,
        footer=msgs.CHECK_FOOTER.format(version=prediction.model_version),
    )
    return reply(req, card=card)
