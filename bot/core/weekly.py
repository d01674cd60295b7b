"""The weekly summary of a community: this period's rows against the period before, as a card
with a chart (``/emotion summary``, the weekly job, ``emotion-bot summary``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.aggregates import PeriodStats, bucket_minutes
from bot.core.deps import Deps
from bot.core.events import Card, CommunityRef
from bot.core.summary import WeeklySummary, summary_card, summary_from_stats

logger = logging.getLogger(__name__)


async def weekly_summary(
    deps: Deps,
    community: CommunityRef,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[WeeklySummary, Card]:
    """The summary of ``[start, end)`` (default: the last 7 days) against the period before."""
    end = end or deps.clock() + timedelta(seconds=1)  # include messages of this second
    start = start or end - timedelta(days=7)
    prev_start = start - (end - start)
    settings = await deps.community_settings(community)
    tz = ZoneInfo(settings.timezone)
    minutes = bucket_minutes(tz, prev_start, end)
    platform, cid = community.platform, community.id
    store = deps.store

    def period(since: datetime, until: datetime) -> Awaitable[PeriodStats]:
        return deps.read(
            store.message_stats,
            platform=platform,
            community_id=cid,
            since=since,
            until=until,
            bucket_minutes=minutes,
            by_channel=True,
        )

    stats, prev, flags = await asyncio.gather(
        period(start, end),
        period(prev_start, start),
        deps.read(store.flags, platform=platform, community_id=cid, since=start, until=end),
    )
    names = {c: n for (p, i, c), n in deps.channel_names.items() if (p, i) == (platform, cid)}
    summary = summary_from_stats(
        community=community,
        start=start,
        end=end,
        stats=stats,
        prev=prev,
        flags=flags,
        scheme=deps.scheme,
        min_group_size=settings.min_group_size,
        timezone=tz,
        channel_names=names,
    )
    png = None
    if deps.chart is not None and not (summary.empty or summary.hidden):
        try:
            png = await asyncio.to_thread(deps.chart, summary)
        except Exception:
            logger.exception("summary chart failed; sending the summary without it")
    return summary, summary_card(summary, png)
