"""``Deps``: the collaborators every stage of the message path and every command shares.

The store (each call run in one worker thread, which suits SQLite, retried once), the current
classifier behind the batching worker, the clock, the options, the settings caches, the recent
texts kept in memory, the empathy cooldowns' fallback, the flag cards, the backlog and the
counters. The
:class:`~bot.core.service.EmotionService` facade builds one; feature modules take it.

What a message triggers is decided in the database, so that several processes on one database
agree (the save, the empathy cooldowns, the open flag): nothing here caches an answer whose
staleness could change what a person gets. The opt-out cache only remembers "not opted out", to
spare a read before classification; the save itself re-reads the opt-out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from bot.core.backlog import Backlog
from bot.core.batching import Batcher
from bot.core.events import Card, ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.lanes import in_command_lane
from bot.core.options import CoreOptions
from bot.core.policy import Cooldowns
from bot.core.ports import Classifier, MessageStore
from bot.core.recent import RecentTexts, TTLCache
from bot.core.records import ChannelSettings, CommunitySettings
from bot.core.summary import WeeklySummary
from classifier.exemplars import ExemplarMatcher
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme

logger = logging.getLogger(__name__)
T = TypeVar("T")
FLAG_CARDS_KEPT = 1000
RISK_MEMBERS_KEPT = 10_000

ChartRenderer = Callable[[WeeklySummary], bytes | None]


def utcnow() -> datetime:
    return datetime.now(UTC)


class MessageObserver(Protocol):
    """Optional hook (the console shows each classification)."""

    def classified(self, message: ChatMessage, prediction: Prediction) -> None: ...
    def skipped(self, message: ChatMessage, reason: str) -> None: ...


class Deps:
    """See the module doc. ``aclose()`` stops the batching worker and the store thread."""

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
        self.store = store
        self.classifier = classifier
        self.clock = clock
        self.options = options or CoreOptions()
        self.chart = chart
        self.observer = observer
        self.batcher = Batcher(
            lambda: self.classifier,
            max_batch=self.options.max_batch,
            wait_s=self.options.batch_wait_s,
        )
        self._db_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emotion-store")
        # Commands' store calls (bot.core.lanes) run here, not behind a flood's queued saves.
        self._command_pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="emotion-store-command"
        )
        # Long reads (summaries, /emotion channel) run beside the store thread where the store
        # allows it, so live messages never queue behind them.
        self._read_pool = (
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="emotion-store-read")
            if getattr(store, "concurrent_reads", False)
            else self._db_pool
        )
        # The empathy cooldowns live in the database (claim_empathy). The prompts this process
        # sent are remembered here too: a cooldown they started holds for certain, so it spares
        # the database a claim; and while the store fails they alone decide, so a struggling
        # member still gets a prompt then (at worst one more, from another process).
        self.cooldowns = Cooldowns(
            member=self.options.member_cooldown, channel=self.options.channel_cooldown
        )
        self.texts = RecentTexts(
            limit=self.options.recent_text_limit, ttl=self.options.recent_text_ttl
        )
        ttl = self.options.settings_cache_s
        self._communities: TTLCache[CommunitySettings] = TTLCache(ttl)
        self._channels: TTLCache[ChannelSettings] = TTLCache(ttl)
        self._optouts: TTLCache[bool] = TTLCache(ttl)
        self.flag_cards: OrderedDict[int, Card] = OrderedDict()
        self.flag_lock = asyncio.Lock()
        self.backlog = Backlog()
        self.channel_names: dict[tuple[str, str, str], str] = {}
        self.stats: Counter[str] = Counter()
        # Told the seconds each successful classification took (queue wait included); the
        # monitoring (bot.metrics) keeps a histogram of them. None: nobody listens.
        self.on_classified: Callable[[float], None] | None = None
        # Medium-risk messages per member (platform, user) -> times, for the two-in-24-h rule,
        # where the store keeps none (note_risk).
        self.risk_evidence: OrderedDict[tuple[str, str], list[datetime]] = OrderedDict()
        self._distress_for: (
            tuple[int, ExemplarMatcher | None, dict[str, Any], dict[str, Any]] | None
        ) = None

    # --- the model ---------------------------------------------------------------------------

    @property
    def scheme(self) -> LabelScheme:
        return self.classifier.scheme

    @property
    def labels(self) -> tuple[str, ...]:
        """The current model's label names (for command choices)."""
        return tuple(self.classifier.scheme.labels)

    def distress_model(self) -> tuple[ExemplarMatcher | None, dict[str, Any], dict[str, Any]]:
        """The current model's exemplar matcher, its meta (operating points) and a per-model memo
        (the distress stage keeps its thresholds there), read from the folder once per model.

        Models without a distress head (tests' fakes, older folders) give no matcher and empty
        meta: then only the phrases count.
        """
        model = self.classifier
        if self._distress_for is None or self._distress_for[0] != id(model):
            artifact = getattr(model, "artifact", None)
            meta = dict(getattr(artifact, "meta", None) or {})
            folder = getattr(artifact, "folder", None)
            matcher = ExemplarMatcher.load(folder) if folder is not None else None
            self._distress_for = (id(model), matcher, meta, {})
        _, matcher, meta, memo = self._distress_for
        return matcher, meta, memo

    async def note_risk(self, msg: ChatMessage, now: datetime, window: timedelta) -> int:
        """Record a message of medium or higher risk; returns how many other messages of its
        author's fall within ``window`` before it. In the database where the store keeps it
        (``store.evidence``: across restarts and processes, an edit is not a second message);
        in memory for stores without, or while the database fails."""
        evidence = getattr(self.store, "evidence", None)
        if evidence is not None:
            try:
                return int(
                    await self.db(
                        evidence.note,
                        msg.author.platform,
                        msg.author.id,
                        community_id=msg.channel.community.id,
                        message_id=msg.id,
                        at=now,
                        window=window,
                    )
                )
            except Exception:
                logger.exception("message %s: distress evidence not saved; kept in memory", msg.id)
        return self._note_risk_in_memory(msg.author, now, window)

    def _note_risk_in_memory(self, user: UserRef, now: datetime, window: timedelta) -> int:
        key = (user.platform, user.id)
        times = [t for t in self.risk_evidence.get(key, []) if now - t <= window]
        earlier = len(times)
        self.risk_evidence[key] = [*times, now]
        self.risk_evidence.move_to_end(key)
        while len(self.risk_evidence) > RISK_MEMBERS_KEPT:
            self.risk_evidence.popitem(last=False)
        return earlier

    async def classify(self, text: str) -> Prediction:
        """Classify one text (batched with concurrent ones); raises ClassificationError."""
        started = time.perf_counter()
        prediction = await self.batcher.predict(
            text[: self.options.max_text_chars], urgent=in_command_lane()
        )
        if self.on_classified is not None:
            self.on_classified(time.perf_counter() - started)
        return prediction

    # --- the store, off the loop ---------------------------------------------------------------

    async def db(self, fn: Callable[..., T], *args: Any, retry: bool = True, **kwargs: Any) -> T:
        """Run a store method in the store thread (a command's in its own thread, see
        :mod:`bot.core.lanes`); retry once after a short pause."""
        pool = self._command_pool if in_command_lane() else self._db_pool
        return await self._run(pool, fn, args, kwargs, retry=retry)

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store method that only reads, beside the store thread where the store allows
        concurrent reads (else in it); retry once after a short pause."""
        return await self._run(self._read_pool, fn, args, kwargs, retry=True)

    async def _run(
        self,
        pool: ThreadPoolExecutor,
        fn: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        retry: bool,
    ) -> T:
        loop = asyncio.get_running_loop()
        call = partial(fn, *args, **kwargs)
        try:
            return await loop.run_in_executor(pool, call)
        except Exception as exc:
            if not retry:
                raise
            logger.warning("store call %s failed (%s); retrying once", _name(fn), exc)
            await asyncio.sleep(self.options.store_retry_delay_s)
            return await loop.run_in_executor(pool, call)

    # --- settings and opt-outs, cached -----------------------------------------------------------

    async def community_settings(self, community: CommunityRef) -> CommunitySettings:
        key = ("community", community.platform, community.id)
        cached = self._communities.get(key)
        if cached is None:
            cached = await self.db(self.store.community_settings, community)
            self._communities.put(key, cached)
        return replace(cached)

    async def channel_settings(self, channel: ChannelRef) -> ChannelSettings:
        key = ("channel", channel.community.platform, channel.community.id, channel.id)
        cached = self._channels.get(key)
        if cached is None:
            cached = await self.db(self.store.channel_settings, channel)
            self._channels.put(key, cached)
        return replace(cached, extra=dict(cached.extra))

    async def save_community_settings(self, community: CommunityRef, s: CommunitySettings) -> None:
        await self.db(self.store.save_community_settings, community, s)
        self._communities.drop(("community", community.platform, community.id))

    async def save_channel_settings(self, channel: ChannelRef, s: ChannelSettings) -> None:
        await self.db(self.store.save_channel_settings, channel, s)
        self._channels.drop(
            ("channel", channel.community.platform, channel.community.id, channel.id)
        )

    async def is_opted_out(self, user: UserRef, *, cached: bool = False) -> bool:
        """Read from the database; ``cached`` (the skip rules, before classifying): a "not opted
        out" read within ``settings_cache_s`` stands. Only that answer is cached: a stale one
        costs a classification that the save then refuses (it re-reads the opt-out), while a
        stale "opted out" would drop the messages of someone who opted in on another process."""
        key = ("optout", user.platform, user.id)
        if cached and self._optouts.get(key) is False:
            return False
        opted_out = bool(await self.db(self.store.is_opted_out, user))
        if opted_out:
            self._optouts.drop(key)
        else:
            self._optouts.put(key, False)
        return opted_out

    def saw_opt_out(self, user: UserRef) -> None:
        """The save found ``user`` opted out: forget the cached answer and their recent texts."""
        self._optouts.drop(("optout", user.platform, user.id))
        self.texts.drop_user(user.platform, user.id)

    async def set_opted_out(self, user: UserRef, opted_out: bool) -> None:
        await self.db(self.store.set_opted_out, user, opted_out)
        if opted_out:
            self.saw_opt_out(user)
        else:
            self._optouts.put(("optout", user.platform, user.id), False)

    # --- memory ----------------------------------------------------------------------------------

    def forget_memory(self, user: UserRef) -> None:
        """Drop what is held in memory about a member (after ``forget``)."""
        self.texts.drop_user(user.platform, user.id)
        self.backlog.forget_user(user)
        self.risk_evidence.pop((user.platform, user.id), None)

    def remember_card(self, flag_id: int, card: Card) -> None:
        """Keep the card of a flag (for its re-rendering after a review); bounded."""
        self.flag_cards[flag_id] = card
        while len(self.flag_cards) > FLAG_CARDS_KEPT:
            self.flag_cards.popitem(last=False)

    async def aclose(self) -> None:
        await self.batcher.aclose()
        self._db_pool.shutdown(wait=True)
        self._read_pool.shutdown(wait=True)
        self._command_pool.shutdown(wait=True)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", repr(fn))
