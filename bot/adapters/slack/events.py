"""Message events: de-duplicated, translated, handed to the core, its actions sent.

Slack redelivers an event it thinks was not acknowledged (``X-Slack-Retry-Num`` over HTTP,
``retry_attempt`` in Socket Mode), a message can arrive twice through different subscriptions,
and behind a load balancer the same event may reach two processes of the bot. The event id and
the message key are recorded in the database (``EmotionService.first_delivery``, an hour): only
the process that records them first handles the event. :class:`RecentEvents` remembers the keys
this process has seen, so a redelivery to it is skipped without asking the database (a key it
holds was seen for certain; one it lacks is for the database to decide).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.adapters.slack.port import Deps
from bot.adapters.slack.translate import PLATFORM, MessageDeleted, translate_message

logger = logging.getLogger(__name__)


class RecentEvents:
    """A bounded set of keys, each forgotten ``ttl`` seconds after it was first seen."""

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_size: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max_size
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen(self, *keys: str) -> bool:
        """Whether one of the keys was seen within ``ttl``."""
        now = self._clock()
        while self._seen and (
            len(self._seen) > self._max or now - next(iter(self._seen.values())) > self._ttl
        ):
            self._seen.popitem(last=False)
        return any(key in self._seen for key in keys if key)

    def remember(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            if key:
                self._seen[key] = now


def event_keys(body: dict[str, Any]) -> tuple[str, ...]:
    """The keys that identify one delivery: the event id, and for a new message channel + ts."""
    keys = []
    if body.get("event_id"):
        keys.append(f"event:{body['event_id']}")
    event = body.get("event") or {}
    if event.get("type") == "message" and not event.get("subtype") and event.get("ts"):
        keys.append(f"message:{event.get('channel')}:{event['ts']}")
    return tuple(keys)


def register(app: AsyncApp, deps: Deps, recent: RecentEvents) -> None:
    """Add the de-duplicating middleware and the ``message`` listener to ``app``."""

    async def skip_redeliveries(
        body: dict[str, Any], request: AsyncBoltRequest, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        if body.get("type") != "event_callback":
            await next()
            return None
        keys = event_keys(body)
        if not recent.seen(*keys):
            first = not keys or await deps.service.first_delivery(PLATFORM, keys)
            recent.remember(*keys)
            if first:
                await next()
                return None
        logger.info(
            "Slack: skipping a redelivered event %s (retry %s)",
            body.get("event_id"),
            (request.headers.get("x-slack-retry-num") or ["?"])[0],
        )
        return BoltResponse(status=200, body="")

    app.middleware(skip_redeliveries)

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        item = translate_message(event, deps.workspace_for(body.get("team_id")))
        if item is None:
            return
        try:
            if isinstance(item, MessageDeleted):
                await deps.service.on_message_deleted(PLATFORM, item.message_id)
                return
            actions = await deps.service.on_message(item)
        except Exception:
            logger.exception("Slack: the core failed on message %s", getattr(item, "id", item))
            return
        await deps.outbox.send(actions)
