"""The message path's backlog: events whose classification or storage failed, kept in memory
(bounded) and retried after the next message that goes through."""

from __future__ import annotations

import logging
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from bot.core.events import ChatMessage, UserRef
from classifier.prediction import Prediction

logger = logging.getLogger(__name__)

# A backlog message that keeps failing (a text the classifier cannot read) is given up, with its
# id logged, after this many retries; storage failures are retried until the store works again.
MAX_RETRIES = 3
# A classification the store keeps rejecting (a row the database refuses) goes to the dead letters
# after this many failed saves, so it never blocks the classifications queued behind it.
MAX_SAVE_RETRIES = 5
DEAD_LETTERS_KEPT = 1_000


@dataclass(frozen=True)
class DeadLetter:
    """A message given up for good: its id and why (never its text)."""

    platform: str
    message_id: str
    reason: str


class Backlog:
    """Unclassified messages and unsaved classifications, oldest first."""

    def __init__(self) -> None:
        self.unclassified: deque[ChatMessage] = deque()
        self.unsaved: deque[tuple[ChatMessage, Prediction]] = deque()
        self.draining = False
        self.healthy = True  # the last store call worked
        self.retries: Counter[str] = Counter()
        self.save_failures: Counter[str] = Counter()
        self.dead_letters: deque[DeadLetter] = deque(maxlen=DEAD_LETTERS_KEPT)

    @property
    def pending(self) -> int:
        return len(self.unclassified) + len(self.unsaved)

    def keep(self, queue: deque[Any], item: Any, *, limit: int, stats: Counter[str]) -> None:
        """Append ``item`` to ``queue`` (one of this backlog's), dropping the oldest when full."""
        if queue is self.unclassified:  # a full re-run also covers a pending save
            self.unsaved = deque(p for p in self.unsaved if p[0].id != item.id)
        if len(queue) >= limit:
            dropped = queue.popleft()
            msg = dropped[0] if isinstance(dropped, tuple) else dropped
            logger.error("backlog full: message %s dropped", msg.id)
            stats["dropped"] += 1
        queue.append(item)

    def forget_user(self, user: UserRef) -> None:
        self.unclassified = deque(m for m in self.unclassified if m.author != user)
        self.unsaved = deque(p for p in self.unsaved if p[0].author != user)

    def drop_message(self, message_id: str) -> None:
        self.unsaved = deque(p for p in self.unsaved if p[0].id != message_id)
        self.unclassified = deque(m for m in self.unclassified if m.id != message_id)
