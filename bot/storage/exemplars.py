"""Community exemplars (``community_exemplars``) and the medium-risk evidence per member
(``distress_evidence``): the distress stage's own rows, beside :class:`~bot.storage.SqlStore`.

``SqlStore.exemplars`` and ``SqlStore.evidence`` are these, on the store's transactions (the same
writer lock and busy handling). Forget and export reach both through :mod:`bot.storage.privacy`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Connection, Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from bot.core.distress.community import CommunityExemplar
from bot.storage.tables import CommunityExemplarRow, DistressEvidence

Transaction = Callable[..., AbstractContextManager[Connection]]  # SqlStore._tx(write=...)

exemplars_t = cast(Table, CommunityExemplarRow.__table__)
evidence_t = cast(Table, DistressEvidence.__table__)


def _to_exemplar(row: Any) -> CommunityExemplar:
    return CommunityExemplar(
        id=int(row.id),
        platform=row.platform,
        community_id=row.community_id,
        kind=row.kind,
        category=row.category,
        text=row.text,
        author_id=row.author_id,
        message_id=row.message_id,
        flag_id=row.flag_id,
        added_by=row.added_by,
        added_at=row.added_at,
        model_version=row.model_version,
        embedding=np.frombuffer(row.embedding, dtype=np.float32).copy(),
    )


class ExemplarStore:
    """:class:`bot.core.distress.community.ExemplarStore` on the database."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, exemplar: CommunityExemplar) -> CommunityExemplar | None:
        """Store it and return it with its id; None when that message is an example already."""
        values = {
            "platform": exemplar.platform,
            "community_id": exemplar.community_id,
            "kind": exemplar.kind,
            "category": exemplar.category,
            "text": exemplar.text,
            "author_id": exemplar.author_id,
            "message_id": exemplar.message_id,
            "flag_id": exemplar.flag_id,
            "added_by": exemplar.added_by,
            "added_at": exemplar.added_at,
            "model_version": exemplar.model_version,
            "embedding": np.asarray(exemplar.embedding, dtype=np.float32).tobytes(),
        }
        c = exemplars_t.c
        try:
            with self._tx(write=True) as conn:
                taken = conn.scalar(
                    select(c.id).where(
                        c.platform == exemplar.platform, c.message_id == exemplar.message_id
                    )
                )
                if taken is not None:
                    return None
                new_id = conn.execute(insert(exemplars_t).values(**values).returning(c.id)).one()
        except IntegrityError:  # another process added the same message meanwhile
            return None
        return replace(exemplar, id=int(new_id[0]))

    def for_community(self, platform: str, community_id: str) -> list[CommunityExemplar]:
        c = exemplars_t.c
        with self._tx(write=False) as conn:
            rows = conn.execute(
                select(exemplars_t)
                .where(c.platform == platform, c.community_id == community_id)
                .order_by(c.id)
            ).all()
        return [_to_exemplar(r) for r in rows]

    def stamp(self, platform: str, community_id: str) -> tuple[int, int]:
        """(how many, newest id): changes whenever one is added or deleted."""
        c = exemplars_t.c
        with self._tx(write=False) as conn:
            row = conn.execute(
                select(func.count(c.id), func.max(c.id)).where(
                    c.platform == platform, c.community_id == community_id
                )
            ).one()
        return int(row[0]), int(row[1] or 0)

    def every(self) -> list[CommunityExemplar]:
        """All communities' exemplars, oldest first (for retraining)."""
        with self._tx(write=False) as conn:
            rows = conn.execute(select(exemplars_t).order_by(exemplars_t.c.id)).all()
        return [_to_exemplar(r) for r in rows]


class EvidenceStore:
    """The medium-risk evidence per member, for the "two within the window flag" rule."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def note(
        self,
        platform: str,
        user_id: str,
        *,
        community_id: str,
        message_id: str,
        at: datetime,
        window: timedelta,
    ) -> int:
        """Record the member's message of medium or higher risk; returns how many *other*
        messages of theirs were recorded within ``window`` before ``at`` (the same message again,
        an edit or a retry, is not a second one). Evidence older than the window is deleted."""
        c = evidence_t.c
        since = at - window
        with self._tx(write=True) as conn:
            conn.execute(delete(evidence_t).where(c.seen_at < since))
            mine = (c.platform == platform, c.user_id == user_id)
            earlier = conn.scalar(
                select(func.count(func.distinct(c.message_id))).where(
                    *mine, c.seen_at >= since, c.seen_at <= at, c.message_id != message_id
                )
            )
            seen = conn.scalar(select(c.id).where(*mine, c.message_id == message_id).limit(1))
            if seen is None:
                conn.execute(
                    insert(evidence_t).values(
                        platform=platform,
                        user_id=user_id,
                        community_id=community_id,
                        message_id=message_id,
                        seen_at=at,
                    )
                )
        return int(earlier or 0)
