"""What the store keeps, as plain dataclasses the core reads and writes through :mod:`ports`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class StoredMessage:
    """One classified message. No text: only ids, time, labels and scores."""

    platform: str
    message_id: str
    community_id: str
    channel_id: str
    user_id: str
    sent_at: datetime
    label: str
    labels: tuple[str, ...]
    scores: dict[str, float]
    model_version: str


@dataclass(frozen=True)
class HumanLabel:
    """A label a person gave, the only place message text is kept (it was given for training)."""

    platform: str
    community_id: str
    text: str
    emotion: str
    labelled_by: str
    labelled_at: datetime
    message_id: str | None = None
    model_label: str | None = None  # what the bot had said, when this corrects it
    id: int | None = None
    author_id: str | None = None  # who wrote the labelled message (forget and export use it)


FLAG_STATES = ("open", "acknowledged", "resolved", "false_alarm")


@dataclass(frozen=True)
class FlagRecord:
    id: int
    platform: str
    community_id: str
    channel_id: str
    user_id: str
    message_id: str
    created_at: datetime
    reason: str
    score: float
    state: str = "open"
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    permalink: str | None = None


@dataclass
class CommunitySettings:
    mod_channel_id: str | None = None
    empathy_enabled: bool = True
    # How empathy prompts are delivered where no private reply exists (Discord): dm | thread | off.
    empathy_mode: str = "dm"
    crisis_resources: str | None = None  # None: the country's list, else the international one
    crisis_country: str | None = None  # ISO 3166 alpha-2 (bot.core.distress.resources)
    distress_sensitivity: str | None = None  # low | default | high; None: the bot's setting
    retention_days: int = 90
    min_group_size: int = 3
    timezone: str = "UTC"
    moderators: tuple[str, ...] = ()  # extra moderator user ids
    owner_told_no_mod_channel: bool = False


@dataclass
class ChannelSettings:
    enabled: bool = True
    empathy_enabled: bool = True
    empathy_threshold: float | None = None  # None: the model's default
    extra: dict[str, str] = field(default_factory=dict)
