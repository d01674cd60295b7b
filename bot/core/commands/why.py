"""``/emotion why TEXT|MESSAGE``: which words made the model read it that way."""

from __future__ import annotations

import asyncio
import logging
import textwrap
from collections.abc import Sequence

from bot.core import strings as msgs
from bot.core.commands.common import arg_text, bar, reply
from bot.core.deps import Deps
from bot.core.events import Action, Card, CommandRequest
from classifier.explain import Explanation, Word, explain

logger = logging.getLogger(__name__)


WHY_WORDS = 5  # words shown that pushed towards the emotion (and at most 2 that held it back)


async def _why_text(deps: Deps, req: CommandRequest) -> tuple[str, str | None]:
    """The text to explain, or an error reply. A message id (context menu, ``options["message"]``,
    or a lone argument naming a recent message) needs its text: from the adapter
    (``options["text"]``) or the recent texts kept in memory; only its author or a moderator may
    ask. Anything else is the text itself."""
    community = req.channel.community
    now = deps.clock()
    message_id = req.target_message_id or req.options.get("message")
    lone = req.args[0] if len(req.args) == 1 else None
    if not message_id and lone and deps.texts.get(community.platform, lone, now):
        message_id = lone
    if not message_id:
        text = arg_text(req)
        return (text, None) if text.strip() else ("", msgs.WHY_USAGE)
    recent = deps.texts.get(community.platform, message_id, now)
    stored = (
        None if recent else await deps.db(deps.store.get_message, community.platform, message_id)
    )
    text = req.options.get("text") or (recent.text if recent else "")
    author = recent.user_id if recent else (stored.user_id if stored else None)
    if not text or author is None:
        return "", msgs.WHY_NO_TEXT
    if author != req.user.id:
        settings = await deps.community_settings(community)
        if not (req.user.is_moderator or req.user.id in settings.moderators):
            return "", msgs.WHY_NOT_YOURS
    return text, None


def why_card(result: Explanation) -> Card:
    """The explanation as a card: the emotion, the message, the words with bars."""
    scale = max(abs(w.contribution) for w in result.words) or 1.0

    def lines(words: Sequence[Word]) -> str:
        return "\n".join(
            f"{textwrap.shorten(w.word, 20, placeholder='…'):<20} "
            f"{bar(abs(w.contribution) / scale)} {w.contribution:+.2f}"
            for w in words
        )

    up = [w for w in result.words if w.contribution > 0][:WHY_WORDS]
    down = [w for w in result.words if w.contribution < 0][:2]
    fields = [(msgs.WHY_UP.format(emotion=result.emotion), lines(up) or msgs.WHY_NONE)]
    if down:
        fields.append((msgs.WHY_DOWN, lines(down)))
    footer = msgs.WHY_FOOTER.format(version=result.model_version)
    if result.note == "cut":
        cut = msgs.WHY_CUT.format(shown=len(result.words), total=result.words_total)
        footer = f"{cut} {footer}"
    return Card(
        title=msgs.WHY_TITLE.format(emotion=result.emotion, score=result.base_score),
        body=msgs.WHY_QUOTE.format(text=textwrap.shorten(result.text, 300, placeholder=" …")),
        fields=tuple(fields),
        footer=footer,
    )


async def cmd_why(deps: Deps, req: CommandRequest) -> list[Action]:
    """The top emotion of a text (or of a recent message the member may ask about) and the words
    that drove it, by occlusion on the model (:mod:`classifier.explain`)."""
    text, problem = await _why_text(deps, req)
    if problem:
        return reply(req, problem)
    try:
        result = await asyncio.to_thread(
            explain, deps.classifier, text[: deps.options.max_text_chars]
        )
    except Exception:
        logger.exception("why by %s: explanation failed", req.user.id)
        return reply(req, msgs.CLASSIFIER_UNAVAILABLE)
    if not result.words:
        return reply(req, msgs.WHY_EMPTY)
    return reply(req, card=why_card(result))
