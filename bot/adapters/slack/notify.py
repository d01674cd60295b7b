"""The Slack adapter's notifier for the jobs (:class:`bot.jobs.notify.ModeratorNotifier`).

It exists before :func:`bot.adapters.slack.run` has checked the tokens and built the app, so the
scheduler can be started alongside; ``run`` attaches its :class:`Outbox` once built, and a post
made before that waits for it.
"""

from __future__ import annotations

import asyncio
import logging

from bot.adapters.slack import strings
from bot.adapters.slack.outbox import Outbox
from bot.adapters.slack.port import Service
from bot.core.events import Card, CommunityRef

logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 300.0


class NoModChannelError(RuntimeError):
    """A card for the moderators could not be posted: no moderators' channel is set."""


class NotRunningError(RuntimeError):
    """A card could not be posted: the adapter did not start (in time)."""


class SlackNotifier:
    """Posts cards (the weekly summary, job notices) to a workspace's moderators' channel."""

    def __init__(self, service: Service, *, ready_timeout: float = READY_TIMEOUT_S) -> None:
        self.service = service
        self.ready_timeout = ready_timeout
        self._outbox: Outbox | None = None
        self._attached = asyncio.Event()

    def attach(self, outbox: Outbox) -> None:
        """Called by ``run`` once the app is built: posts go out through ``outbox``."""
        self._outbox = outbox
        self._attached.set()

    async def outbox(self) -> Outbox:
        """The attached outbox; waits up to ``ready_timeout`` for ``run`` to attach it."""
        try:
            await asyncio.wait_for(self._attached.wait(), self.ready_timeout)
        except TimeoutError as exc:
            raise NotRunningError(strings.NOT_RUNNING.format(seconds=self.ready_timeout)) from exc
        assert self._outbox is not None
        return self._outbox

    async def post_summary(self, community: CommunityRef, card: Card) -> None:
        """Post ``card`` as Block Kit in the workspace's moderators' channel, its chart uploaded
        after it. Without a moderators' channel nothing is posted: a warning is logged and
        :class:`NoModChannelError` raised, so the job records the post as failed. Slack's errors
        (``not_in_channel`` when the bot was not invited) propagate the same way."""
        settings = await self.service.community_settings(community)
        if not settings.mod_channel_id:
            message = strings.SUMMARY_NO_MOD_CHANNEL.format(team=community.name or community.id)
            logger.warning("Slack: %s", message)
            raise NoModChannelError(message)
        outbox = await self.outbox()
        ts = await outbox.post_card(settings.mod_channel_id, card)
        logger.info(
            "Slack: posted %r to the moderators' channel %s (ts %s) of %s",
            card.title,
            settings.mod_channel_id,
            ts,
            community.id,
        )
