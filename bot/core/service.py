"""``EmotionService``: the platform-neutral heart of the bot. Adapters call only this.

Message flow: skip (bot, system, direct, empty, disabled channel, opted-out member) -> classify
off the event loop (:class:`~bot.core.batching.Batcher`) -> store (one worker thread serialises
every store call, which suits SQLite) -> distress detector -> empathy policy -> actions.

Failures never escape ``on_message``: a classifier that fails (after a retry) or a store that
fails (after a retry) leaves the event in an in-memory backlog (bounded, logged with the message
id) that is retried after the next message that goes through; ``pending`` says how many wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from bot.core import policy
from bot.core import strings as msgs
from bot.core.batching import Batcher, ClassificationError
from bot.core.distress import desk as flagging
from bot.core.distress import detector as distress
from bot.core.events import (
    Action,
    Card,
    ChannelRef,
    ChatMessage,
    CommandRequest,
    CommunityRef,
    EmpathyPrompt,
    Reply,
    UserRef,
)
from bot.core.options import CoreOptions
from bot.core.ports import Classifier, MessageStore
from bot.core.recent import RecentText, RecentTexts, TTLCache
from bot.core.records import ChannelSettings, CommunitySettings
from bot.core.summary import WeeklySummary, build_summary, summary_card
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme

logger = logging.getLogger(__name__)
T = TypeVar("T")

# A backlog message that keeps failing (a text the classifier cannot read) is given up, with its
# id logged, after this many retries; storage failures are retried until the store works again.
MAX_RETRIES = 3

COMMANDS = (
    "check",
    "me",
    "channel",
    "label",
    "optout",
    "optin",
    "forget",
    "export",
    "summary",
    "settings",
    "why",
    "help",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class MessageObserver(Protocol):
    """Optional hook (the console shows each classification)."""

    def classified(self, message: ChatMessage, prediction: Prediction) -> None: ...
    def skipped(self, message: ChatMessage, reason: str) -> None: ...


ChartRenderer = Callable[[WeeklySummary], bytes | None]


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
        self.store = store
        self.clock = clock
        self.options = options or CoreOptions()
        self.chart = chart
        self.observer = observer
        self._classifier = classifier
        self.batcher = Batcher(
            lambda: self._classifier,
            max_batch=self.options.max_batch,
            wait_s=self.options.batch_wait_s,
        )
        self._db_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emotion-store")
        self.cooldowns = policy.Cooldowns(
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
        self._unclassified: deque[ChatMessage] = deque()
        self._unsaved: deque[tuple[ChatMessage, Prediction]] = deque()
        self._draining = False
        self._healthy = True
        self._retries: Counter[str] = Counter()
        self.channel_names: dict[tuple[str, str, str], str] = {}
        self.stats: Counter[str] = Counter()

    # --- the model ---------------------------------------------------------------------------

    @property
    def classifier(self) -> Classifier:
        return self._classifier

    @property
    def scheme(self) -> LabelScheme:
        return self._classifier.scheme

    @property
    def labels(self) -> tuple[str, ...]:
        """The current model's label names (for command choices)."""
        return tuple(self._classifier.scheme.labels)

    def swap_classifier(self, new: Classifier) -> None:
        """Serve ``new`` from the next batch on; batches in flight finish on the old model."""
        old = self._classifier
        self._classifier = new
        logger.info("classifier swapped: %s -> %s", old.version, new.version)

    async def classify(self, text: str) -> Prediction:
        """Classify one text (batched with concurrent ones); raises ClassificationError."""
        return await self.batcher.predict(text[: self.options.max_text_chars])

    # --- the store, off the loop ---------------------------------------------------------------

    async def db(self, fn: Callable[..., T], *args: Any, retry: bool = True, **kwargs: Any) -> T:
        """Run a store method in the store thread; retry once after a short pause."""
        loop = asyncio.get_running_loop()
        call = partial(fn, *args, **kwargs)
        try:
            return await loop.run_in_executor(self._db_pool, call)
        except Exception as exc:
            if not retry:
                raise
            logger.warning("store call %s failed (%s); retrying once", _name(fn), exc)
            await asyncio.sleep(self.options.store_retry_delay_s)
            return await loop.run_in_executor(self._db_pool, call)

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

    async def is_opted_out(self, user: UserRef) -> bool:
        key = ("optout", user.platform, user.id)
        cached = self._optouts.get(key)
        if cached is None:
            cached = await self.db(self.store.is_opted_out, user)
            self._optouts.put(key, cached)
        return bool(cached)

    async def set_opted_out(self, user: UserRef, opted_out: bool) -> None:
        await self.db(self.store.set_opted_out, user, opted_out)
        self._optouts.put(("optout", user.platform, user.id), opted_out)
        if opted_out:
            self.texts.drop_user(user.platform, user.id)

    def forget_memory(self, user: UserRef) -> None:
        """Drop what the service holds in memory about a member (after ``forget``)."""
        self.texts.drop_user(user.platform, user.id)
        self._unclassified = deque(m for m in self._unclassified if m.author != user)
        self._unsaved = deque(p for p in self._unsaved if p[0].author != user)

    # --- messages ------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Events waiting in the backlog for a retry (classification or storage failed)."""
        return len(self._unclassified) + len(self._unsaved)

    async def on_message(self, msg: ChatMessage) -> list[Action]:
        """Process one message; never raises. Returns what the adapter should do."""
        platform = msg.channel.community.platform
        try:
            actions = await self._on_message(msg)
        except ClassificationError:
            logger.error("message %s/%s: classifier failed; kept for a retry", platform, msg.id)
            self._keep(self._unclassified, msg, "classifier")
            self._notify_skipped(msg, "classifier failed, kept for a retry")
            return []
        except Exception:
            logger.exception("message %s/%s: unexpected error; kept for a retry", platform, msg.id)
            self._keep(self._unclassified, msg, "error")
            self._notify_skipped(msg, "error, kept for a retry")
            return []
        if self.pending and self._healthy and not self._draining:
            actions += await self.retry_pending()
        return actions

    def _skip(self, msg: ChatMessage, reason: str) -> list[Action]:
        self.stats[f"skipped_{reason}"] += 1
        logger.debug("message %s skipped: %s", msg.id, reason)
        self._notify_skipped(msg, reason)
        return []

    def _notify_skipped(self, msg: ChatMessage, reason: str) -> None:
        if self.observer is not None:
            try:
                self.observer.skipped(msg, reason)
            except Exception:
                logger.exception("observer failed")

    async def _on_message(self, msg: ChatMessage, *, replay: bool = False) -> list[Action]:
        if msg.author.is_bot:
            return self._skip(msg, "bot")
        if msg.is_system:
            return self._skip(msg, "system")
        if not msg.text.strip():
            return self._skip(msg, "empty")
        if msg.channel.is_direct:
            return await self._on_direct(msg)
        if not (await self.channel_settings(msg.channel)).enabled:
            return self._skip(msg, "channel_disabled")
        if await self.is_opted_out(msg.author):
            return self._skip(msg, "opted_out")
        community = msg.channel.community
        self.channel_names[(community.platform, community.id, msg.channel.id)] = (
            msg.channel.name or msg.channel.id
        )
        if len(msg.text) > self.options.max_text_chars:
            logger.info(
                "message %s: %d characters, classifying the first %d",
                msg.id,
                len(msg.text),
                self.options.max_text_chars,
            )
        prediction = await self.classify(msg.text)
        return await self._after_classified(msg, prediction, replay=replay)

    async def _after_classified(
        self, msg: ChatMessage, prediction: Prediction, *, replay: bool
    ) -> list[Action]:
        self.stats["classified"] += 1
        platform = msg.channel.community.platform
        self.texts.remember(
            platform,
            msg.id,
            RecentText(
                msg.text[: self.options.max_text_chars],
                msg.author.id,
                msg.channel.community.id,
                self.clock(),
            ),
        )
        if self.observer is not None and not replay:
            try:
                self.observer.classified(msg, prediction)
            except Exception:
                logger.exception("observer failed")
        try:
            await self.db(self.store.save_classification, msg, prediction)
            self.stats["stored"] += 1
            self._healthy = True
        except Exception as exc:
            logger.error("message %s/%s: not stored (%s); kept for a retry", platform, msg.id, exc)
            self._healthy = False
            self._keep(self._unsaved, (msg, prediction), "store")
        actions: list[Action] = []
        matches = distress.scan(msg.text[: self.options.max_text_chars])
        if distress.has_active(matches):
            actions += await flagging.raise_flag(self, msg, prediction, matches)
        if not actions and not msg.is_edit and not replay:
            actions += await self._empathy(msg, prediction)
        return actions

    def _keep(self, queue: deque[Any], item: Any, why: str) -> None:
        self.stats[f"backlog_{why}"] += 1
        if queue is self._unclassified:  # a full re-run also covers a pending save
            self._unsaved = deque(p for p in self._unsaved if p[0].id != item.id)
        if len(queue) >= self.options.backlog_limit:
            dropped = queue.popleft()
            msg = dropped[0] if isinstance(dropped, tuple) else dropped
            logger.error("backlog full: message %s dropped", msg.id)
            self.stats["dropped"] += 1
        queue.append(item)

    async def retry_pending(self, limit: int = 100) -> list[Action]:
        """Retry backlog events (oldest first); returns any distress flags they raise."""
        self._draining = True
        actions: list[Action] = []
        try:
            for _ in range(min(limit, len(self._unsaved))):
                msg, prediction = self._unsaved.popleft()
                try:
                    await self.db(self.store.save_classification, msg, prediction, retry=False)
                    self.stats["stored"] += 1
                    logger.info("message %s stored on retry", msg.id)
                except Exception:
                    self._unsaved.appendleft((msg, prediction))
                    return actions
            for _ in range(min(limit, len(self._unclassified))):
                msg = self._unclassified.popleft()
                try:
                    actions += await self._on_message(msg, replay=True)
                except Exception as exc:
                    self._retries[msg.id] += 1
                    if self._retries[msg.id] >= MAX_RETRIES:
                        logger.error(
                            "message %s: given up after %d retries (%s)", msg.id, MAX_RETRIES, exc
                        )
                        self.stats["given_up"] += 1
                        del self._retries[msg.id]
                    else:
                        logger.info("message %s: retry failed again (%s)", msg.id, exc)
                        self._unclassified.appendleft(msg)
                    return actions
                self._retries.pop(msg.id, None)
                logger.info("message %s processed on retry", msg.id)
        finally:
            self._draining = False
        return actions

    async def _on_direct(self, msg: ChatMessage) -> list[Action]:
        """Direct messages are not classified or stored; an active distress phrase gets the crisis
        resources back, privately (there is no moderator audience in a DM)."""
        self._skip(msg, "direct")
        if not distress.has_active(distress.scan(msg.text)):
            return []
        logger.info("direct message %s: distress phrase, crisis resources sent", msg.id)
        settings = await self.community_settings(msg.channel.community)
        resources = settings.crisis_resources or self.options.crisis_resources
        text = msgs.DM_CRISIS_REPLY.format(resources=resources)
        return [Reply(channel=msg.channel, text=text, private_to=msg.author)]

    async def on_message_deleted(self, platform: str, message_id: str) -> None:
        """A message was deleted on the platform: delete its row too."""
        self.texts.drop(platform, message_id)
        self._unsaved = deque(p for p in self._unsaved if p[0].id != message_id)
        self._unclassified = deque(m for m in self._unclassified if m.id != message_id)
        try:
            await self.db(self.store.delete_message, platform, message_id)
        except Exception:
            logger.exception("deleting message %s/%s failed", platform, message_id)

    # --- policies ----------------------------------------------------------------------------

    async def _empathy(self, msg: ChatMessage, prediction: Prediction) -> list[Action]:
        community = await self.community_settings(msg.channel.community)
        channel = await self.channel_settings(msg.channel)
        platform = msg.channel.community.platform
        decision = policy.decide_empathy(
            prediction,
            self.scheme,
            community=community,
            channel=channel,
            default_threshold=self.options.empathy_threshold,
            cooldowns=self.cooldowns,
            member_key=(platform, msg.channel.community.id, msg.author.id),
            channel_key=(platform, msg.channel.community.id, msg.channel.id),
            now=self.clock(),
        )
        self.stats[f"empathy_{decision.reason}"] += 1
        if not decision.prompt:
            return []
        logger.info(
            "empathy prompt for message %s (%s %.2f >= %.2f)",
            msg.id,
            decision.label,
            decision.score,
            decision.threshold,
        )
        text = msgs.empathy_prompt(msg.author.name, msg.id)
        return [
            EmpathyPrompt(
                user=msg.author,
                channel=msg.channel,
                text=text,
                message_id=msg.id,
                thread_id=msg.thread_id,
                mode=community.empathy_mode,
            )
        ]

    def remember_card(self, flag_id: int, card: Card) -> None:
        """Keep the card of a flag (for its re-rendering after a review); bounded."""
        self.flag_cards[flag_id] = card
        while len(self.flag_cards) > 1000:
            self.flag_cards.popitem(last=False)

    async def on_flag_review(self, flag_id: int, state: str, moderator: UserRef) -> list[Action]:
        """A moderator pressed a flag button (acknowledged | resolved | false_alarm): record it
        and return the re-rendered card (``UpdateFlagMessage``) and a private confirmation."""
        return await flagging.review_flag(self, flag_id, state, moderator)

    # --- commands, summaries, retention ------------------------------------------------------

    async def handle_command(self, req: CommandRequest) -> list[Action]:
        """Run ``/emotion <name>``; never raises (a failure is logged and answered)."""
        from bot.core.commands import dispatch

        try:
            return await dispatch(self, req)
        except Exception:
            logger.exception("command %r by %s failed", req.name, req.user.id)
            return [Reply(channel=req.channel, text=msgs.COMMAND_FAILED, private_to=req.user)]

    async def weekly_summary(
        self,
        community: CommunityRef,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[WeeklySummary, Card]:
        """The summary of ``[start, end)`` (default: the last 7 days) against the period before."""
        end = end or self.clock() + timedelta(seconds=1)  # include messages of this second
        start = start or end - timedelta(days=7)
        prev_start = start - (end - start)
        settings = await self.community_settings(community)
        platform, cid = community.platform, community.id
        rows = await self.db(
            self.store.messages, platform=platform, community_id=cid, since=start, until=end
        )
        prev = await self.db(
            self.store.messages, platform=platform, community_id=cid, since=prev_start, until=start
        )
        flags = await self.db(
            self.store.flags, platform=platform, community_id=cid, since=start, until=end
        )
        names = {c: n for (p, i, c), n in self.channel_names.items() if (p, i) == (platform, cid)}
        summary = build_summary(
            community=community,
            start=start,
            end=end,
            rows=rows,
            prev_rows=prev,
            flags=flags,
            scheme=self.scheme,
            min_group_size=settings.min_group_size,
            timezone=settings.timezone,
            channel_names=names,
        )
        png = None
        if self.chart is not None and not (summary.empty or summary.hidden):
            try:
                png = await asyncio.to_thread(self.chart, summary)
            except Exception:
                logger.exception("summary chart failed; sending the summary without it")
        return summary, summary_card(summary, png)

    async def purge_expired(self, communities: tuple[CommunityRef, ...] = ()) -> int:
        """Retention: see :func:`bot.core.retention.purge_expired`."""
        from bot.core.retention import purge_expired

        return await purge_expired(self, communities)

    async def aclose(self) -> None:
        """Stop the batching worker and the store thread."""
        await self.batcher.aclose()
        self._db_pool.shutdown(wait=True)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", repr(fn))
