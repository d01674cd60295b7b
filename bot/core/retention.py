"""Retention: delete stored rows older than the configured age.

The global retention (``RETENTION_DAYS``, :attr:`CoreOptions.retention_days`) applies to every
row through ``store.delete_older_than``. A community may set a *shorter* retention
(``/emotion settings retention DAYS``): for the communities passed in, classified messages older
than their own limit are deleted one by one as well. The scheduler runs this daily.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.deps import Deps
from bot.core.events import CommunityRef

logger = logging.getLogger(__name__)


async def purge_expired(deps: Deps, communities: tuple[CommunityRef, ...] = ()) -> int:
    """Delete expired rows; returns how many were deleted."""
    now = deps.clock()
    deleted = await deps.db(
        deps.store.delete_older_than, now - timedelta(days=deps.options.retention_days)
    )
    for community in communities:
        settings = await deps.community_settings(community)
        if settings.retention_days >= deps.options.retention_days:
            continue
        cutoff = now - timedelta(days=settings.retention_days)
        old = await deps.db(
            deps.store.messages,
            platform=community.platform,
            community_id=community.id,
            since=now - timedelta(days=deps.options.retention_days + 1),
            until=cutoff,
        )
        for row in old:
            if await deps.db(deps.store.delete_message, row.platform, row.message_id):
                deleted += 1
    logger.info("retention: %d rows deleted", deleted)
    return deleted
