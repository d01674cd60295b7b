"""The ``/emotion`` commands: one implementation used by every adapter.

Every reply is private to the person who asked (ephemeral where the platform has it). Moderator
commands (``summary``, ``settings``) live in :mod:`bot.core.admin`.

What each command reads from :class:`CommandRequest` (``args`` as typed, or named ``options`` on
platforms with typed options):

==========  =================================================================================
check       ``args`` joined, or ``options["text"]``
me/channel  ``args[0]`` or ``options["days"]`` (default 30 / 7)
label       ``target_message_id`` (context menu / shortcut) + ``args[0]`` or
            ``options["emotion"]``; or ``args`` (message id, emotion) / ``options["message"]``.
            ``options["text"]``: the message's text when the adapter has it; otherwise the text
            the service saw recently (kept in memory only) is used
forget      ``args == ("confirm",)`` or ``options["confirm"] == "yes"``
settings    ``args`` (name, value...) or ``options["setting"]``, ``["value"]``, ``["scope"]``
==========  =================================================================================
"""

from __future__ import annotations

import asyncio
import json
import logging
import textwrap
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core import strings as msgs
from bot.core.batching import ClassificationError
from bot.core.events import Action, Card, CommandRequest, FileReply, Reply
from bot.core.records import HumanLabel, StoredMessage
from bot.core.summary import FAMILY_ORDER
from classifier.explain import Explanation, Word, explain
from classifier.scheme import LabelScheme

if TYPE_CHECKING:
    from bot.core.service import EmotionService

logger = logging.getLogger(__name__)

Handler = Callable[["EmotionService", CommandRequest], Awaitable[list[Action]]]
ME_DEFAULT_DAYS = 30
CHANNEL_DEFAULT_DAYS = 7
BAR_WIDTH = 10


def reply(req: CommandRequest, text: str = "", card: Card | None = None) -> list[Action]:
    return [Reply(channel=req.channel, text=text, card=card, private_to=req.user, thread_id=None)]


def bar(share: float) -> str:
    filled = round(max(0.0, min(1.0, share)) * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def arg_text(req: CommandRequest, option: str = "text") -> str:
    return req.options.get(option) or " ".join(req.args)


def parse_days(req: CommandRequest, default: int, max_days: int) -> int | None:
    raw = req.options.get("days") or (req.args[0] if req.args else None)
    if raw is None:
        return default
    try:
        days = int(raw)
    except ValueError:
        return None
    return days if 1 <= days <= max_days else None


def mood_fields(rows: Sequence[StoredMessage], scheme: LabelScheme) -> tuple[tuple[str, str], ...]:
    """Family mix with bars, then the top emotions: the body of ``me`` and ``channel``."""
    families = Counter(scheme.family.get(r.label, "other") for r in rows)
    total = len(rows)
    mix = "\n".join(
        f"{msgs.FAMILY_NAMES[f]:<16} {bar(families[f] / total)} {round(100 * families[f] / total)}%"
        for f in FAMILY_ORDER
        if families.get(f)
    )
    top = Counter(r.label for r in rows).most_common(5)
    finer = ", ".join(f"{label} {round(100 * n / total)}%" for label, n in top)
    return ((msgs.SUMMARY_MIX, mix), (msgs.SUMMARY_FINER, finer))


# --- commands ------------------------------------------------------------------------------------


async def cmd_check(svc: EmotionService, req: CommandRequest) -> list[Action]:
    text = arg_text(req)
    if not text.strip():
        return reply(req, msgs.CHECK_USAGE)
    try:
        prediction = await svc.classify(text)
    except ClassificationError:
        logger.error("check by %s: classifier failed", req.user.id)
        return reply(req, msgs.CLASSIFIER_UNAVAILABLE)
    top = sorted(prediction.scores.items(), key=lambda kv: -kv[1])[:3]
    lines = "\n".join(
        f"{label:<15} {bar(score)} {score:.2f} ({svc.scheme.family.get(label, 'other')})"
        for label, score in top
    )
    card = Card(
        title=msgs.CHECK_RESULT_TITLE,
        body=lines,
        footer=msgs.CHECK_FOOTER.format(version=prediction.model_version),
    )
    return reply(req, card=card)


async def cmd_me(svc: EmotionService, req: CommandRequest) -> list[Action]:
    days = parse_days(req, ME_DEFAULT_DAYS, svc.options.max_days)
    if days is None:
        return reply(req, msgs.BAD_DAYS.format(max_days=svc.options.max_days))
    community = req.channel.community
    rows = await svc.db(
        svc.store.messages,
        platform=community.platform,
        community_id=community.id,
        user_id=req.user.id,
        since=svc.clock() - timedelta(days=days),
    )
    note = msgs.OPTED_OUT_NOTE if await svc.is_opted_out(req.user) else ""
    if not rows:
        return reply(req, " ".join(filter(None, [msgs.ME_EMPTY.format(days=days), note])))
    card = Card(
        title=msgs.ME_TITLE.format(days=days),
        body=note,
        fields=mood_fields(rows, svc.scheme),
        footer=msgs.ME_FOOTER,
    )
    return reply(req, card=card)


async def cmd_channel(svc: EmotionService, req: CommandRequest) -> list[Action]:
    days = parse_days(req, CHANNEL_DEFAULT_DAYS, svc.options.max_days)
    if days is None:
        return reply(req, msgs.BAD_DAYS.format(max_days=svc.options.max_days))
    community = req.channel.community
    settings = await svc.community_settings(community)
    rows = await svc.db(
        svc.store.messages,
        platform=community.platform,
        community_id=community.id,
        channel_id=req.channel.id,
        since=svc.clock() - timedelta(days=days),
    )
    if not rows:
        return reply(req, msgs.CHANNEL_EMPTY.format(days=days))
    members = len({r.user_id for r in rows})
    if members < settings.min_group_size:
        logger.info(
            "channel %s: %d members < %d, mood hidden",
            req.channel.id,
            members,
            settings.min_group_size,
        )
        return reply(req, msgs.CHANNEL_HIDDEN.format(days=days, min_group=settings.min_group_size))
    card = Card(
        title=msgs.CHANNEL_TITLE.format(channel=req.channel.name or req.channel.id, days=days),
        fields=mood_fields(rows, svc.scheme),
        footer=msgs.CHANNEL_FOOTER.format(messages=len(rows), members=members),
    )
    return reply(req, card=card)


def _label_args(req: CommandRequest) -> tuple[str | None, str | None]:
    if req.target_message_id:
        emotion = req.options.get("emotion") or (req.args[0] if req.args else None)
        return req.target_message_id, emotion
    message_id = req.options.get("message") or (req.args[0] if req.args else None)
    emotion = req.options.get("emotion") or (req.args[1] if len(req.args) > 1 else None)
    return message_id, emotion


async def cmd_label(svc: EmotionService, req: CommandRequest) -> list[Action]:
    labels = ", ".join(svc.labels)
    message_id, emotion = _label_args(req)
    if not message_id or not emotion:
        return reply(req, msgs.LABEL_USAGE.format(labels=labels))
    known = {label.lower(): label for label in svc.labels}
    if emotion.lower() not in known:
        return reply(req, msgs.LABEL_UNKNOWN_EMOTION.format(emotion=emotion, labels=labels))
    emotion = known[emotion.lower()]
    community = req.channel.community
    recent = svc.texts.get(community.platform, message_id, svc.clock())
    stored = await svc.db(svc.store.get_message, community.platform, message_id)
    text = req.options.get("text") or (recent.text if recent else None)
    author = recent.user_id if recent else (stored.user_id if stored else None)
    if not text or author is None:
        return reply(req, msgs.LABEL_NO_TEXT)
    settings = await svc.community_settings(community)
    if author != req.user.id and not (req.user.is_moderator or req.user.id in settings.moderators):
        return reply(req, msgs.LABEL_NOT_YOURS)
    model_label = stored.label if stored else None
    await svc.db(
        svc.store.add_label,
        HumanLabel(
            platform=community.platform,
            community_id=community.id,
            text=text,
            emotion=emotion,
            labelled_by=req.user.id,
            labelled_at=svc.clock(),
            message_id=message_id,
            model_label=model_label,
        ),
    )
    was = msgs.LABEL_WAS.format(label=model_label) if model_label and model_label != emotion else ""
    return reply(req, msgs.LABEL_SAVED.format(emotion=emotion, was=was))


async def cmd_optout(svc: EmotionService, req: CommandRequest) -> list[Action]:
    if await svc.is_opted_out(req.user):
        return reply(req, msgs.ALREADY_OPTED_OUT)
    await svc.set_opted_out(req.user, True)
    logger.info("member %s/%s opted out", req.user.platform, req.user.id)
    return reply(req, msgs.OPTED_OUT)


async def cmd_optin(svc: EmotionService, req: CommandRequest) -> list[Action]:
    if not await svc.is_opted_out(req.user):
        return reply(req, msgs.ALREADY_OPTED_IN)
    await svc.set_opted_out(req.user, False)
    logger.info("member %s/%s opted in", req.user.platform, req.user.id)
    return reply(req, msgs.OPTED_IN)


async def cmd_forget(svc: EmotionService, req: CommandRequest) -> list[Action]:
    confirmed = req.options.get("confirm", "").lower() in ("yes", "true", "confirm") or (
        [a.lower() for a in req.args] == ["confirm"]
    )
    if not confirmed:
        return reply(req, msgs.FORGET_CONFIRM)
    svc.forget_memory(req.user)
    rows = await svc.db(svc.store.forget_user, req.user.platform, req.user.id)
    logger.info("member %s/%s forgotten: %d rows", req.user.platform, req.user.id, rows)
    return reply(req, msgs.FORGOTTEN.format(rows=rows))


async def cmd_export(svc: EmotionService, req: CommandRequest) -> list[Action]:
    data = await svc.db(svc.store.export_user, req.user.platform, req.user.id)
    content = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in req.user.id)
    return [
        FileReply(
            user=req.user,
            channel=req.channel,
            content=content,
            filename=msgs.EXPORT_FILENAME.format(user=safe),
            text=msgs.EXPORT_TEXT,
        )
    ]


WHY_WORDS = 5  # words shown that pushed towards the emotion (and at most 2 that held it back)


async def _why_text(svc: EmotionService, req: CommandRequest) -> tuple[str, str | None]:
    """The text to explain, or an error reply. A message id (context menu, ``options["message"]``,
    or a lone argument naming a recent message) needs its text: from the adapter
    (``options["text"]``) or the recent texts kept in memory; only its author or a moderator may
    ask. Anything else is the text itself."""
    community = req.channel.community
    now = svc.clock()
    message_id = req.target_message_id or req.options.get("message")
    lone = req.args[0] if len(req.args) == 1 else None
    if not message_id and lone and svc.texts.get(community.platform, lone, now):
        message_id = lone
    if not message_id:
        text = arg_text(req)
        return (text, None) if text.strip() else ("", msgs.WHY_USAGE)
    recent = svc.texts.get(community.platform, message_id, now)
    stored = None if recent else await svc.db(svc.store.get_message, community.platform, message_id)
    text = req.options.get("text") or (recent.text if recent else "")
    author = recent.user_id if recent else (stored.user_id if stored else None)
    if not text or author is None:
        return "", msgs.WHY_NO_TEXT
    if author != req.user.id:
        settings = await svc.community_settings(community)
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


async def cmd_why(svc: EmotionService, req: CommandRequest) -> list[Action]:
    """The top emotion of a text (or of a recent message the member may ask about) and the words
    that drove it, by occlusion on the model (:mod:`classifier.explain`)."""
    text, problem = await _why_text(svc, req)
    if problem:
        return reply(req, problem)
    try:
        result = await asyncio.to_thread(
            explain, svc.classifier, text[: svc.options.max_text_chars]
        )
    except Exception:
        logger.exception("why by %s: explanation failed", req.user.id)
        return reply(req, msgs.CLASSIFIER_UNAVAILABLE)
    if not result.words:
        return reply(req, msgs.WHY_EMPTY)
    return reply(req, card=why_card(result))


async def cmd_help(svc: EmotionService, req: CommandRequest) -> list[Action]:
    return reply(req, msgs.HELP)


def handlers() -> dict[str, Handler]:
    from bot.core.admin import cmd_settings, cmd_summary

    return {
        "check": cmd_check,
        "me": cmd_me,
        "channel": cmd_channel,
        "label": cmd_label,
        "optout": cmd_optout,
        "optin": cmd_optin,
        "forget": cmd_forget,
        "export": cmd_export,
        "summary": cmd_summary,
        "settings": cmd_settings,
        "why": cmd_why,
        "help": cmd_help,
    }


async def dispatch(svc: EmotionService, req: CommandRequest) -> list[Action]:
    """Run the handler for ``req.name``; an unknown name gets a hint, not an error."""
    name = req.name.strip().lower()
    handler = handlers().get(name)
    if handler is None:
        logger.info("unknown command %r from %s", req.name, req.user.id)
        return reply(req, msgs.UNKNOWN_COMMAND.format(name=req.name))
    logger.debug("command %s by %s", name, req.user.id)
    return await handler(svc, req)
