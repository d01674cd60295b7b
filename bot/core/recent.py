"""Short-lived, in-memory helpers of the service: recent message texts and a TTL cache.

Message text is never written to the database. To let people label a message they just saw
(``/emotion label``), the service remembers the text of recent messages *in memory only*, for a
bounded number of messages and a bounded time; a restart, an opt-out or ``forget`` clears it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class RecentText:
    text: str
    user_id: str
    community_id: str
    seen_at: datetime


class RecentTexts:
    """(platform, message id) -> text, at most ``limit`` entries, each for at most ``ttl``."""

    def __init__(self, *, limit: int = 5000, ttl: timedelta = timedelta(hours=24)) -> None:
        self.limit = limit
        self.ttl = ttl
        self._items: OrderedDict[tuple[str, str], RecentText] = OrderedDict()

    def remember(self, platform: str, message_id: str, item: RecentText) -> None:
        if self.limit <= 0:
            return
        key = (platform, message_id)
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def get(self, platform: str, message_id: str, now: datetime) -> RecentText | None:
        item = self._items.get((platform, message_id))
        if item is None or now - item.seen_at > self.ttl:
            return None
        return item

    def drop(self, platform: str, message_id: str) -> None:
        self._items.pop((platform, message_id), None)

    def drop_user(self, platform: str, user_id: str) -> None:
        for key in [k for k, v in self._items.items() if k[0] == platform and v.user_id == user_id]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


class TTLCache(Generic[V]):
    """A tiny read-through cache (settings, opt-outs) on a monotonic clock."""

    def __init__(
        self, ttl_s: float, *, limit: int = 10_000, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.limit = limit
        self._now = monotonic
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        hit = self._items.get(key)
        if hit is None or hit[0] < self._now():
            return None
        return hit[1]

    def put(self, key: Hashable, value: V) -> None:
        if self.ttl_s <= 0:
            return
        self._items[key] = (self._now() + self.ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def drop(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()
