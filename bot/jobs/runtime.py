"""What the scheduled jobs do, against the running service: weekly summaries, retraining, the
model watch, and moderator notices. The scheduler (:mod:`bot.jobs.scheduler`) decides when.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.core.events import Card, CommunityRef
from bot.core.ports import Classifier
from bot.core.service import EmotionService
from bot.core.summary import WeeklySummary
from bot.jobs.notify import ModeratorNotifier
from bot.jobs.options import JobOptions
from bot.jobs.retrain import Retrainer, RetrainOutcome, notice_card, take_notices
from bot.jobs.weeks import parse_week, previous_week, week_bounds, zone
from bot.modelstore.loader import load_model as modelstore_load
from bot.modelstore.registry import ModelRegistry

logger = logging.getLogger(__name__)

CommunityLister = Callable[[], Sequence[CommunityRef]]
ChannelNamer = Callable[[CommunityRef], Mapping[str, str]]


class JobRuntime:
    """The jobs' view of the bot: the service, the notifiers of the running adapters (by
    platform), how to list the known communities, and the models store.

    ``communities`` and ``channel_names`` are store queries (run in the service's store thread).
    """

    def __init__(
        self,
        *,
        service: EmotionService,
        options: JobOptions,
        default_model_dir: Path,
        notifiers: Mapping[str, ModeratorNotifier] | None = None,
        communities: CommunityLister | None = None,
        channel_names: ChannelNamer | None = None,
        registry: ModelRegistry | None = None,
        load_model: Callable[[Path], Classifier] | None = None,
    ) -> None:
        self.service = service
        self.options = options
        self.default_model_dir = default_model_dir
        self.notifiers: dict[str, ModeratorNotifier] = dict(notifiers or {})
        self._communities = communities
        self._channel_names = channel_names
        self.registry = registry or ModelRegistry(options.models_store, keep=options.models_keep)
        self._load = load_model or (
            lambda p: modelstore_load(p, threads=options.classifier_threads)
        )
        self._retrain_lock = asyncio.Lock()
        self._bad_versions: set[str] = set()

    # --- communities --------------------------------------------------------------------------

    async def known_communities(self) -> list[CommunityRef]:
        """Every community in the database, on any platform."""
        if self._communities is None:
            return []
        return list(await self.service.db(self._communities))

    async def communities(self) -> list[CommunityRef]:
        """Known communities on a platform with a running adapter (a notifier)."""
        return [c for c in await self.known_communities() if c.platform in self.notifiers]

    # --- weekly summary -----------------------------------------------------------------------

    async def summary_week(
        self, community: CommunityRef, week: str | None = None
    ) -> tuple[str, Any, Any]:
        """(label, start, end) of ``week`` or of the last complete week, in the community's zone."""
        settings = await self.service.community_settings(community)
        tz = zone(self.options.summary_timezone or settings.timezone)
        if week is None:
            return previous_week(self.service.clock(), tz)
        year, number = parse_week(week)
        start, end = week_bounds(year, number, tz)
        return f"{year}-W{number:02d}", start, end

    async def build_summary(
        self, community: CommunityRef, week: str | None = None
    ) -> tuple[str, WeeklySummary, Card]:
        """The same summary and card as ``/emotion summary``, for one ISO week."""
        label, start, end = await self.summary_week(community, week)
        if self._channel_names is not None:
            names = await self.service.db(self._channel_names, community)
            for channel_id, name in names.items():
                key = (community.platform, community.id, channel_id)
                self.service.channel_names.setdefault(key, name)
        summary, card = await self.service.weekly_summary(community, start=start, end=end)
        return label, summary, card

    async def post_summary(self, community: CommunityRef, week: str | None = None) -> str:
        """Build and post one community's weekly summary; returns the status recorded."""
        started = self.service.clock()
        details: dict[str, Any] = {"platform": community.platform, "community": community.id}
        status = "failed"
        try:
            label, summary, card = await self.build_summary(community, week)
            details.update(
                week=label,
                messages=summary.messages,
                members=summary.members,
                hidden=summary.hidden,
                empty=summary.empty,
                flags=summary.flags,
            )
            notifier = self.notifiers.get(community.platform)
            if notifier is None:
                status = "skipped"
                details["reason"] = f"no adapter running for {community.platform}"
            else:
                await notifier.post_summary(community, card)
                status = "posted"
        except Exception as exc:
            logger.exception("weekly summary for %s/%s failed", community.platform, community.id)
            details["error"] = f"{type(exc).__name__}: {exc}"
        await self._record("summary", started, status, details)
        return status

    # --- retraining and the model -------------------------------------------------------------

    def serving_dir(self) -> Path:
        """The folder of the model that serves now."""
        folder = getattr(self.service.classifier, "folder", None)
        if isinstance(folder, Path) and folder.is_dir():
            return folder
        return self.registry.current_dir(self.default_model_dir)

    def retrainer(self) -> Retrainer:
        return Retrainer(
            store=self.service.store,
            registry=self.registry,
            options=self.options.retrain,
            serving_dir=self.serving_dir,
            clock=self.service.clock,
            db=self.service.db,
        )

    async def retrain(self, *, trigger: str, force: bool = False) -> RetrainOutcome:
        """One retraining run; a promoted model is swapped in, a failure notice is posted."""
        async with self._retrain_lock:
            outcome = await self.retrainer().run(trigger=trigger, force=force)
        if outcome.entry is not None:
            await self.swap_to(outcome.entry.folder, outcome.entry.version)
        await self.post_notices()
        return outcome

    async def swap_to(self, folder: Path, version: str) -> bool:
        """Load a model off the event loop and swap it in; the old one keeps serving on error."""
        try:
            model = await asyncio.to_thread(self._load, folder)
        except Exception:
            if version not in self._bad_versions:
                logger.exception(
                    "model %s at %s cannot be loaded; keeping %s",
                    version,
                    folder,
                    self.service.classifier.version,
                )
            self._bad_versions.add(version)
            return False
        self.service.swap_classifier(model)
        return True

    async def sync_model(self) -> bool:
        """Swap to the registry's current version when it changed (``models promote`` or
        ``rollback`` in another process); True when a swap happened."""
        entry = await asyncio.to_thread(self.registry.current)
        if entry is None or entry.version == self.service.classifier.version:
            return False
        if entry.version in self._bad_versions:
            return False
        logger.info("models store points at %s: swapping it in", entry.version)
        return await self.swap_to(entry.folder, entry.version)

    async def post_notices(self) -> int:
        """Post queued job notices once to every served community; kept while none is served."""
        targets = await self.communities()
        if not targets:
            return 0
        pending = await asyncio.to_thread(take_notices, self.registry)
        posted = 0
        for notice in pending:
            card = notice_card(notice)
            for community in targets:
                try:
                    await self.notifiers[community.platform].post_summary(community, card)
                    posted += 1
                except Exception:
                    logger.exception("notice to %s/%s failed", community.platform, community.id)
        return posted

    async def _record(self, job: str, started: Any, status: str, details: dict[str, Any]) -> None:
        try:
            await self.service.db(
                self.service.store.record_job_run,
                job,
                started_at=started,
                finished_at=self.service.clock(),
                status=status,
                details=details,
            )
        except Exception:
            logger.exception("could not record the %s job run", job)
