"""``/emotion me [days]`` and ``/emotion channel [days]``: moods over time (a channel only as a
group, hidden below the minimum group size)."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core import strings as msgs
from bot.core.aggregates import label_counts, without_unread
from bot.core.commands.common import mood_fields, parse_days, reply
from bot.core.deps import Deps
from bot.core.events import Action, Card, CommandRequest

logger = logging.getLogger(__name__)
ME_DEFAULT_DAYS = 30
CHANNEL_DEFAULT_DAYS = 7


async def cmd_me(deps: Deps, req: CommandRequest) -> list[Action]:
    days = parse_days(req, ME_DEFAULT_DAYS, deps.options.max_days)
    if days is None:
        return reply(req, msgs.BAD_DAYS.format(max_days=deps.options.max_days))
    community = req.channel.community
    stats = await deps.read(
        deps.store.message_stats,
        platform=community.platform,
        community_id=community.id,
        user_id=req.user.id,
        since=deps.clock() - timedelta(days=days),
    )
    read, unread = without_unread(stats)
    note = msgs.OPTED_OUT_NOTE if await deps.is_opted_out(req.user) else ""
    if not stats.messages:
        return reply(req, " ".join(filter(None, [msgs.ME_EMPTY.format(days=days), note])))
    card = Card(
        title=msgs.ME_TITLE.format(days=days),
        body=note,
        fields=mood_fields(label_counts(read.labels), deps.scheme, unread),
        footer=msgs.ME_FOOTER,
    )
    return reply(req, card=card)


async def cmd_channel(deps: Deps, req: CommandRequest) -> list[Action]:
    days = parse_days(req, CHANNEL_DEFAULT_DAYS, deps.options.max_days)
    if days is None:
        return reply(req, msgs.BAD_DAYS.format(max_days=deps.options.max_days))
    community = req.channel.community
    settings = await deps.community_settings(community)
    stats = await deps.read(
        deps.store.message_stats,
        platform=community.platform,
        community_id=community.id,
        channel_id=req.channel.id,
        since=deps.clock() - timedelta(days=days),
    )
    if not stats.messages:
        return reply(req, msgs.CHANNEL_EMPTY.format(days=days))
    members = stats.members
    read, unread = without_unread(stats)
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
        fields=mood_fields(label_counts(read.labels), deps.scheme, unread),
        footer=msgs.CHANNEL_FOOTER.format(messages=stats.messages, members=members),
    )
    return reply(req, card=card)
