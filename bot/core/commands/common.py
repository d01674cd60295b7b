"""What the commands share: the private reply, bars, arguments, the mood fields."""

from __future__ import annotations

import logging
from collections import Counter

from bot.core import strings as msgs
from bot.core.events import Action, Card, CommandRequest, Reply
from bot.core.summary import FAMILY_ORDER
from classifier.scheme import LabelScheme

logger = logging.getLogger(__name__)
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


def mood_fields(
    labels: Counter[str], scheme: LabelScheme, unread: int = 0
) -> tuple[tuple[str, str], ...]:
    """Family mix with bars, then the top emotions: the body of ``me`` and ``channel``.
    ``labels``: messages per label, labels in the order they first appear; ``unread``: messages
    that were not read (other languages, code only), said apart and in no share."""
    note: tuple[tuple[str, str], ...] = ()
    if unread:
        n = unread
        text = msgs.UNREAD_FIELD.format(
            n=n, messages="message" if n == 1 else "messages", were="was" if n == 1 else "were"
        )
        note = ((msgs.UNREAD_TITLE, text),)
    if not labels:
        return note
    families: Counter[str] = Counter()
    for label, n in labels.items():
        families[scheme.family.get(label, "other")] += n
    total = sum(labels.values())
    mix = "\n".join(
        f"{msgs.FAMILY_NAMES[f]:<16} {bar(families[f] / total)} {round(100 * families[f] / total)}%"
        for f in FAMILY_ORDER
        if families.get(f)
    )
    top = labels.most_common(5)
    finer = ", ".join(f"{label} {round(100 * n / total)}%" for label, n in top)
    return ((msgs.SUMMARY_MIX, mix), (msgs.SUMMARY_FINER, finer), *note)
