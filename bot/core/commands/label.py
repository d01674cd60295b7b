"""``/emotion label MESSAGE EMOTION``: a person labels or corrects a message (its text is kept
for retraining)."""

from __future__ import annotations

import logging

from bot.core import strings as msgs
from bot.core.commands.common import reply
from bot.core.deps import Deps
from bot.core.events import Action, CommandRequest
from bot.core.records import HumanLabel

logger = logging.getLogger(__name__)


def _label_args(req: CommandRequest) -> tuple[str | None, str | None]:
    if req.target_message_id:
        emotion = req.options.get("emotion") or (req.args[0] if req.args else None)
        return req.target_message_id, emotion
    message_id = req.options.get("message") or (req.args[0] if req.args else None)
    emotion = req.options.get("emotion") or (req.args[1] if len(req.args) > 1 else None)
    return message_id, emotion


async def cmd_label(deps: Deps, req: CommandRequest) -> list[Action]:
    labels = ", ".join(deps.labels)
    message_id, emotion = _label_args(req)
    if not message_id or not emotion:
        return reply(req, msgs.LABEL_USAGE.format(labels=labels))
    known = {label.lower(): label for label in deps.labels}
    if emotion.lower() not in known:
        return reply(req, msgs.LABEL_UNKNOWN_EMOTION.format(emotion=emotion, labels=labels))
    emotion = known[emotion.lower()]
    community = req.channel.community
    recent = deps.texts.get(community.platform, message_id, deps.clock())
    stored = await deps.db(deps.store.get_message, community.platform, message_id)
    text = req.options.get("text") or (recent.text if recent else None)
    author = recent.user_id if recent else (stored.user_id if stored else None)
    if not text or author is None:
        return reply(req, msgs.LABEL_NO_TEXT)
    settings = await deps.community_settings(community)
    if author != req.user.id and not (req.user.is_moderator or req.user.id in settings.moderators):
        return reply(req, msgs.LABEL_NOT_YOURS)
    model_label = stored.label if stored else None
    await deps.db(
        deps.store.add_label,
        HumanLabel(
            platform=community.platform,
            community_id=community.id,
            text=text,
            emotion=emotion,
            labelled_by=req.user.id,
            labelled_at=deps.clock(),
            message_id=message_id,
            model_label=model_label,
            author_id=author,
        ),
    )
    was = msgs.LABEL_WAS.format(label=model_label) if model_label and model_label != emotion else ""
    return reply(req, msgs.LABEL_SAVED.format(emotion=emotion, was=was))
