"""The interfaces the core needs from the outside world (implemented by storage and classifier).

The store is synchronous (SQLAlchemy); the service calls it off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from bot.core.aggregates import PeriodStats
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.records import (
    ChannelSettings,
    CommunitySettings,
    FlagRecord,
    HumanLabel,
    StoredMessage,
)
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme

# What saving a classification did: "stored" (this process wrote the row and acts on the
# message), "duplicate" (the row was there: another process or a redelivery took it), "opted_out"
# (the author had opted out: nothing stored).
SaveOutcome = Literal["stored", "duplicate", "opted_out"]


class Classifier(Protocol):
    """What the core needs of a model: :class:`classifier.EmotionClassifier` fits."""

    @property
    def scheme(self) -> LabelScheme: ...

    @property
    def version(self) -> str: ...

    @property
    def thresholds(self) -> dict[str, float]: ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...


class MessageStore(Protocol):
    """Persistence for everything the bot remembers. Every method is one transaction."""

    # whether reads may run in threads of their own beside the one writing thread
    concurrent_reads: bool

    # settings
    def community_settings(self, community: CommunityRef) -> CommunitySettings: ...
    def save_community_settings(
        self, community: CommunityRef, settings: CommunitySettings
    ) -> None: ...
    def channel_settings(self, channel: ChannelRef) -> ChannelSettings: ...
    def save_channel_settings(self, channel: ChannelRef, settings: ChannelSettings) -> None: ...

    # members
    def is_opted_out(self, user: UserRef) -> bool: ...
    def set_opted_out(self, user: UserRef, opted_out: bool) -> None: ...

    # classified messages (insert on (platform, message id), unless there or opted out: only the
    # process whose insert wins acts on a message; an edit replaces the row)
    def save_classification(self, message: ChatMessage, prediction: Prediction) -> SaveOutcome: ...
    def delete_message(self, platform: str, message_id: str) -> bool: ...
    def get_message(self, platform: str, message_id: str) -> StoredMessage | None: ...
    def messages(
        self,
        *,
        platform: str,
        community_id: str,
        since: datetime,
        until: datetime | None = None,
        channel_id: str | None = None,
        user_id: str | None = None,
    ) -> list[StoredMessage]: ...
    def message_stats(
        self,
        *,
        platform: str,
        community_id: str,
        since: datetime,
        until: datetime | None = None,
        channel_id: str | None = None,
        user_id: str | None = None,
        bucket_minutes: int = 0,
        by_channel: bool = False,
    ) -> PeriodStats: ...

    # human labels
    def add_label(self, label: HumanLabel) -> int: ...
    def labels(self, *, since: datetime | None = None) -> list[HumanLabel]: ...

    # empathy cooldowns and deliveries, held in the database for every process
    def claim_empathy(
        self,
        *,
        platform: str,
        community_id: str,
        user_id: str,
        channel_id: str,
        now: datetime,
        member_cooldown: timedelta,
        channel_cooldown: timedelta,
    ) -> str | None: ...  # None: taken; "member" | "channel": that cooldown still runs
    def first_delivery(self, platform: str, keys: Sequence[str]) -> bool: ...

    # distress flags (at most one open per member)
    def add_flag(self, flag: FlagRecord) -> FlagRecord | None: ...  # None: one is open already
    def open_flag_for(self, platform: str, user_id: str) -> FlagRecord | None: ...
    def update_open_flag(
        self,
        flag_id: int,
        *,
        score: float,
        reason: str,
        message_id: str,
        at: datetime,
        quiet_since: datetime,
    ) -> FlagRecord | None: ...
    def get_flag(self, flag_id: int) -> FlagRecord | None: ...
    def update_flag_evidence(
        self, flag_id: int, *, score: float, reason: str, message_id: str
    ) -> FlagRecord | None: ...
    def open_flags_for(
        self, platform: str, user_id: str, *, since: datetime
    ) -> list[FlagRecord]: ...
    def set_flag_state(
        self, flag_id: int, state: str, *, by: str, at: datetime
    ) -> FlagRecord | None: ...
    def flags(
        self, *, platform: str, community_id: str, since: datetime, until: datetime | None = None
    ) -> list[FlagRecord]: ...

    # privacy and retention
    def forget_user(self, platform: str, user_id: str) -> int: ...  # rows deleted
    def export_user(self, platform: str, user_id: str) -> dict[str, Any]: ...
    def delete_older_than(self, cutoff: datetime) -> int: ...

    # models and jobs
    def record_model_version(self, version: str, *, path: str, metrics: dict[str, Any]) -> None: ...
    def record_job_run(
        self,
        job: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        status: str,
        details: dict[str, Any],
    ) -> None: ...
