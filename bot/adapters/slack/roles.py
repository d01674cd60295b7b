"""Who counts as a moderator in Slack: workspace admins and owners, or a configured list.

``users.info`` answers are cached for a few minutes, so pressing buttons or running commands does
not spend the (tier 4) rate limit; message events never call it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.translate import user_ref
from bot.core.events import UserRef

logger = logging.getLogger(__name__)


class Roles:
    """Looks members up with ``users.info`` (cached ``ttl`` seconds) -> :class:`UserRef`."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        moderators: Iterable[str] = (),
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._moderators = frozenset(m.strip() for m in moderators if m.strip())
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, UserRef]] = {}

    async def member(self, user_id: str, *, name: str = "") -> UserRef:
        """The member with ``is_moderator`` filled in (False when Slack cannot be asked)."""
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached and now - cached[0] < self._ttl:
            return cached[1]
        is_admin, is_bot, profile_name = False, False, ""
        try:
            resp = await self._client.users_info(user=user_id)
            info = resp.get("user") or {}
            is_admin = bool(
                info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner")
            )
            is_bot = bool(info.get("is_bot"))
            profile = info.get("profile") or {}
            profile_name = profile.get("display_name") or info.get("real_name") or ""
        except SlackApiError as exc:
            logger.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
            return user_ref(user_id, name=name, is_moderator=user_id in self._moderators)
        ref = user_ref(
            user_id,
            name=name or profile_name or info.get("name", ""),
            is_bot=is_bot,
            is_moderator=is_admin or user_id in self._moderators,
        )
        self._cache[user_id] = (now, ref)
        if len(self._cache) > 5000:
            oldest = min(self._cache, key=lambda k: self._cache[k][0])
            del self._cache[oldest]
        return ref
