"""The interfaces the core needs from the outside world (implemented by storage and classifier).

The store is synchronous (SQLAlchemy); the service calls it off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

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

    # classified messages (upsert on (platform, message id): an edit replaces the row)
    def save_classification(self, message: ChatMessage, prediction: Prediction) -> None: ...
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

    # distress flags
    def add_flag(self, flag: FlagRecord) -> FlagRecord: ...  # returns it with its id
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
