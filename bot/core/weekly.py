"""The weekly summary of a community: this period's rows against the period before, as a card
with a chart (``/emotion summary``, the weekly job, ``emotion-bot summary``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.core.deps import Deps
from bot.core.events import Card, CommunityRef
from bot.core.summary import WeeklySummary, build_summary, summary_card

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
    platform, cid = community.platform, community.id
    store = deps.store
    rows = await deps.db(
        store.messages, platform=platform, community_id=cid, since=start, until=end
    )
    prev = await deps.db(
        store.messages, platform=platform, community_id=cid, since=prev_start, until=start
    )
    flags = await deps.db(store.flags, platform=platform, community_id=cid, since=start, until=end)
    names = {c: n for (p, i, c), n in deps.channel_names.items() if (p, i) == (platform, cid)}
    summary = build_summary(
        community=community,
        start=start,
        end=end,
        rows=rows,
        prev_rows=prev,
        flags=flags,
        scheme=deps.scheme,
        min_group_size=settings.min_group_size,
        timezone=settings.timezone,
        channel_names=names,
    )
    png = None
    if deps.chart is not None and not (summary.empty or summary.hidden):
        try:
            png = await asyncio.to_thread(deps.chart, summary)
        except Exception:
            logger.exception("summary chart failed; sending the summary without it")
    return summary, summary_card(summary, png)
