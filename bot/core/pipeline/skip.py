"""Stage 1, skip rules: bot, system, empty, direct, disabled channel, opted-out member (opt-out
stops processing before classification; the save re-reads it, so an opt-out made on another
process a moment ago still keeps the message out of the database). A direct message is not
classified or stored; an active distress phrase in it gets the crisis resources back, privately."""

from __future__ import annotations

import logging

from bot.core import strings
from bot.core.deps import Deps
from bot.core.distress import detector
from bot.core.distress.resources import community_resources
from bot.core.events import Action, ChatMessage, Reply

logger = logging.getLogger(__name__)


async def reason(deps: Deps, msg: ChatMessage) -> str | None:
    """Why ``msg`` is not classified, or None."""
    if msg.author.is_bot:
        return "bot"
    if msg.is_system:
        return "system"
    if not msg.text.strip():
        return "empty"
    if msg.channel.is_direct:
        return "direct"
    if not (await deps.channel_settings(msg.channel)).enabled:
        return "channel_disabled"
    if await deps.is_opted_out(msg.author, cached=True):
        return "opted_out"
    return None


def skipped(deps: Deps, msg: ChatMessage, why: str) -> list[Action]:
    deps.stats[f"skipped_{why}"] += 1
    logger.debug("message %s skipped: %s", msg.id, why)
    notify_skipped(deps, msg, why)
    return []


def notify_skipped(deps: Deps, msg: ChatMessage, why: str) -> None:
    if deps.observer is not None:
        try:
            deps.observer.skipped(msg, why)
        except Exception:
            logger.exception("observer failed")


async def direct(deps: Deps, msg: ChatMessage) -> list[Action]:
    """Direct messages are not classified or stored; an active distress phrase gets the crisis
    resources back, privately (there is no moderator audience in a DM)."""
    skipped(deps, msg, "direct")
    if not detector.has_active(detector.scan(msg.text)):
        return []
    logger.info("direct message %s: distress phrase, crisis resources sent", msg.id)
    settings = await deps.community_settings(msg.channel.community)
    resources = community_resources(
        settings.crisis_resources, settings.crisis_country, deps.options.crisis_resources
    )
    text = strings.DM_CRISIS_REPLY.format(resources=resources)
    return [Reply(channel=msg.channel, text=text, private_to=msg.author)]
