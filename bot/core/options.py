"""The core's tunables, as one frozen dataclass (built from :class:`bot.config.Settings` by the
composition root; tests build their own). Defaults are the documented policy defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core.policy import (
    DEFAULT_CHANNEL_COOLDOWN,
    DEFAULT_EMPATHY_THRESHOLD,
    DEFAULT_MEMBER_COOLDOWN,
    FLAG_THRESHOLD,
)
from bot.core.strings import DEFAULT_CRISIS_RESOURCES


@dataclass(frozen=True)
class CoreOptions:
    empathy_threshold: float = DEFAULT_EMPATHY_THRESHOLD
    member_cooldown: timedelta = DEFAULT_MEMBER_COOLDOWN
    channel_cooldown: timedelta = DEFAULT_CHANNEL_COOLDOWN
    distress_threshold: float = FLAG_THRESHOLD
    # One open flag per member within this window (later messages are logged, not re-flagged).
    distress_dedup: timedelta = timedelta(hours=24)
    history_window: timedelta = timedelta(days=14)  # recent messages the detector looks at
    crisis_resources: str = DEFAULT_CRISIS_RESOURCES
    retention_days: int = 90  # global retention; a community's own setting may only shorten it
    max_batch: int = 32
    batch_wait_s: float = 0.0
    store_retry_delay_s: float = 0.2
    settings_cache_s: float = 30.0
    max_text_chars: int = 20_000  # longer texts are cut before classification
    backlog_limit: int = 10_000  # events kept in memory for a retry after a failure
    recent_text_limit: int = 5_000
    recent_text_ttl: timedelta = timedelta(hours=24)
    max_days: int = 365  # the largest `me` / `channel` window
