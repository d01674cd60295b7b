"""The core's tunables, as one frozen dataclass (built from :class:`bot.config.Settings` by the
composition root; tests build their own). Defaults are the documented policy defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core.policy import (
    DEFAULT_CHANNEL_COOLDOWN,
    DEFAULT_EMPATHY_THRESHOLD,
    DEFAULT_MEMBER_COOLDOWN,
)
from bot.core.strings import DEFAULT_CRISIS_RESOURCES


@dataclass(frozen=True)
class CoreOptions:
    empathy_threshold: float = DEFAULT_EMPATHY_THRESHOLD
    member_cooldown: timedelta = DEFAULT_MEMBER_COOLDOWN
    channel_cooldown: timedelta = DEFAULT_CHANNEL_COOLDOWN
    # Which budget of the model's distress operating points applies (low | default | high; a
    # community may choose its own with /emotion settings distress-sensitivity).
    distress_sensitivity: str = "default"
    # One open flag per member within this window: a later message of higher risk updates it (and
    # pings the moderators again); others are logged, not re-flagged.
    distress_dedup: timedelta = timedelta(hours=24)
    # Two medium-risk messages of one member within this window make a flag.
    distress_pair_window: timedelta = timedelta(hours=24)
    crisis_resources: str = DEFAULT_CRISIS_RESOURCES
    retention_days: int = 90  # global retention; a community's own setting may only shorten it
    max_batch: int = 32
    batch_wait_s: float = 0.0
    store_retry_delay_s: float = 0.2
    settings_cache_s: float = 30.0
    # Longer texts are cut before classification; the distress phrases read the whole text.
    max_text_chars: int = 20_000
    backlog_limit: int = 10_000  # events kept in memory for a retry after a failure
    recent_text_limit: int = 5_000
    recent_text_ttl: timedelta = timedelta(hours=24)
    max_days: int = 365  # the largest `me` / `channel` window
