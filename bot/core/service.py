"""``EmotionService``: the facade adapters call. It holds the shared collaborators
(:class:`~bot.core.deps.Deps`) and hands each event to the part of the core that handles it:

* messages: the stages of :mod:`bot.core.pipeline` (skip rules -> classify -> store ->
  distress -> empathy -> actions);
* ``/emotion`` commands: :mod:`bot.core.commands`; flag reviews: :mod:`bot.core.distress.desk`;
* summaries: :mod:`bot.core.weekly`; retention: :mod:`bot.core.retention`.

Failures never escape ``on_message``: a classifier that fails (after a retry) or a store that
fails (after a retry) leaves the event in an in-memory backlog (bounded, logged with the message
id) that is retried after the next message that goes through; ``pending`` says how many wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.core import pipeline, retention, strings, weekly
from bot.core.batching import ClassificationError
from bot.core.commands import COMMANDS, dispatch
from bot.core.deps import ChartRenderer, Deps, MessageObserver, utcnow
from bot.core.distress import desk
from bot.core.events import Action, Card, ChatMessage, CommandRequest, CommunityRef, Reply, UserRef
from bot.core.options import CoreOptions
from bot.core.pipeline import skip, store
from bot.core.ports import Classifier, MessageStore
from bot.core.summary import WeeklySummary
from classifier.scheme import LabelScheme

logger = logging.getLogger(__name__)

__all__ = ["COMMANDS", "ChartRenderer", "EmotionService", "MessageObserver", "utcnow"]


class EmotionService:
    """See the module doc. Build one per process; ``aclose()`` it on shutdown."""

    COMMANDS = COMMANDS

    def __init__(
        self,
        *,
        store: MessageStore,
        classifier: Classifier,
        clock: Callable[[], datetime] = utcnow,
        options: CoreOptions | None = None,
        chart: ChartRenderer | None = None,
        observer: MessageObserver | None = None,
    ) -> None:
        deps = Deps(
            store=store,
            classifier=classifier,
            clock=clock,
            options=options,
            chart=chart,
            observer=observer,
        )
        self.deps = deps
        # The collaborators adapters, jobs and tools use, straight from the deps.
        self.store, self.clock, self.batcher = deps.store, deps.clock, deps.batcher
        self.stats, self.texts, self.channel_names = deps.stats, deps.texts, deps.channel_names
        self.db = deps.db
        self.community_settings = deps.community_settings
        self.save_community_settings = deps.save_community_settings
        self.channel_settings = deps.channel_settings
        self.save_channel_settings = deps.save_channel_settings
        self.is_opted_out = deps.is_opted_out
        self.set_opted_out = deps.set_opted_out
        self.classify = deps.classify

    @property
    def options(self) -> CoreOptions:
        return self.deps.options

    @options.setter
    def options(self, value: CoreOptions) -> None:
        self.deps.options = value

    @property
    def observer(self) -> MessageObserver | None:
        return self.deps.observer

    @observer.setter
    def observer(self, value: MessageObserver | None) -> None:
        self.deps.observer = value

    # --- the model ---------------------------------------------------------------------------

    @property
    def classifier(self) -> Classifier:
        return self.deps.classifier

    @property
    def scheme(self) -> LabelScheme:
        return self.deps.scheme

    @property
    def labels(self) -> tuple[str, ...]:
        """The current model's label names (for command choices)."""
        return self.deps.labels

    def swap_classifier(self, new: Classifier) -> None:
        """Serve ``new`` from the next batch on; batches in flight finish on the old model."""
        old, self.deps.classifier = self.deps.classifier, new
        logger.info("classifier swapped: %s -> %s", old.version, new.version)

    # --- messages ------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Events waiting in the backlog for a retry (classification or storage failed)."""
        return self.deps.backlog.pending

    async def on_message(self, msg: ChatMessage) -> list[Action]:
        """Process one message; never raises. Returns what the adapter should do."""
        platform = msg.channel.community.platform
        try:
            actions = await pipeline.process(self.deps, msg)
        except ClassificationError:
            logger.error("message %s/%s: classifier failed; kept for a retry", platform, msg.id)
            store.keep(self.deps, "classifier", unclassified=msg)
            skip.notify_skipped(self.deps, msg, "classifier failed, kept for a retry")
            return []
        except Exception:
            logger.exception("message %s/%s: unexpected error; kept for a retry", platform, msg.id)
            store.keep(self.deps, "error", unclassified=msg)
            skip.notify_skipped(self.deps, msg, "error, kept for a retry")
            return []
        backlog = self.deps.backlog
        if backlog.pending and backlog.healthy and not backlog.draining:
            actions += await self.retry_pending()
        return actions

    async def retry_pending(self, limit: int = 100) -> list[Action]:
        """Retry backlog events (oldest first); returns any distress flags they raise."""
        return await pipeline.retry_pending(self.deps, limit)

    async def first_delivery(self, platform: str, keys: Sequence[str]) -> bool:
        """Whether this is the first delivery of a platform event (its ``keys``: an event id, a
        message key) within the last hour. Recorded in the database, so a redelivery, or the same
        event reaching another process, is acted on once. A failing store lets the event through
        (a stored message is still de-duplicated by its own insert)."""
        try:
            return await self.deps.db(self.deps.store.first_delivery, platform, tuple(keys))
        except Exception as exc:
            logger.warning("%s delivery %s not recorded (%s); handled anyway", platform, keys, exc)
            return True

    async def on_message_deleted(self, platform: str, message_id: str) -> None:
        """A message was deleted on the platform: delete its row too."""
        self.deps.texts.drop(platform, message_id)
        self.deps.backlog.drop_message(message_id)
        try:
            await self.deps.db(self.deps.store.delete_message, platform, message_id)
        except Exception:
            logger.exception("deleting message %s/%s failed", platform, message_id)

    async def on_flag_review(self, flag_id: int, state: str, moderator: UserRef) -> list[Action]:
        """A moderator pressed a flag button (acknowledged | resolved | false_alarm): record it
        and return the re-rendered card (``UpdateFlagMessage``) and a private confirmation."""
        return await desk.review_flag(self.deps, flag_id, state, moderator)

    # --- commands, summaries, retention ------------------------------------------------------

    async def handle_command(self, req: CommandRequest) -> list[Action]:
        """Run ``/emotion <name>``; never raises (a failure is logged and answered)."""
        try:
            return await dispatch(self.deps, req)
        except Exception:
            logger.exception("command %r by %s failed", req.name, req.user.id)
            return [Reply(channel=req.channel, text=strings.COMMAND_FAILED, private_to=req.user)]

    async def weekly_summary(
        self,
        community: CommunityRef,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[WeeklySummary, Card]:
        """The summary of ``[start, end)`` (default: the last 7 days) against the period before."""
        return await weekly.weekly_summary(self.deps, community, start=start, end=end)

    async def purge_expired(self, communities: tuple[CommunityRef, ...] = ()) -> int:
        """Retention: see :func:`bot.core.retention.purge_expired`."""
        return await retention.purge_expired(self.deps, communities)

    async def aclose(self) -> None:
        """Stop the batching worker and the store thread."""
        await self.deps.aclose()
