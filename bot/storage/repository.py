"""``SqlStore``: the SQLAlchemy implementation of :class:`bot.core.ports.MessageStore`.

Construct it with an engine from :func:`bot.storage.engine.make_engine` on a database that the
migrations have brought up to date::

    from bot.storage import SqlStore, make_engine, upgrade

    upgrade(url)  # Alembic: create or update the schema (the bot does this on start)
    store = SqlStore(make_engine(url))  # "sqlite:///path/bot.db", "postgresql+psycopg://..."

Every method is one short transaction and synchronous: the core calls it off the event loop
(``asyncio.to_thread``). Datetimes go in and come out aware, in UTC.

Behaviour worth knowing:

* ``save_classification`` inserts on (platform, message id) unless the row is there already or
  the author has opted out, and says which (:data:`~bot.core.ports.SaveOutcome`): with several
  processes on one database, only the one whose insert wins acts on the message. The opt-out is
  read in the same statement, under a share lock of the member row, so no message is stored once
  an opt-out has committed. An edit replaces the row. The community, channel and member rows are
  created on first sight.
* ``claim_empathy`` takes a member's and a channel's empathy cooldown in one transaction
  (conditional upserts of ``empathy_cooldowns``): one process wins a prompt, the others hear which
  cooldown holds. ``first_delivery`` records platform delivery keys (``seen_events``, an hour).
* ``add_flag`` keeps at most one open flag per member (a partial unique index): it returns None
  when one is open already; ``update_open_flag`` adds evidence to it only while it is open and the
  evidence is higher (or the flag has not been updated for a while).
* ``forget_user`` deletes that member's messages, the labels they gave, the labels others gave on
  their messages (those hold their text; found by ``labels.author_id`` too, so also once the
  message row was deleted or purged by retention), the distress flags about them and their
  member row; it returns how many rows it deleted. Their id is removed from ``reviewed_by`` of
  flags they reviewed as a moderator. One exception: an opted-out member keeps a bare member
  row (id and the opt-out, name cleared), so that forgetting never silently undoes an opt-out.
* ``delete_older_than(cutoff)`` deletes messages sent, labels given and *reviewed* distress flags
  raised before the cutoff; open flags stay until a moderator has looked at them.
* A SQLite database that another process keeps locked for longer than the busy timeout (5 s by
  default) makes a method raise :class:`StoreBusyError` (a ``TimeoutError``) instead of hanging;
  nothing has been written then, so the caller may log it and retry or drop the event.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    case,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from bot.core.aggregates import PeriodStats
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.ports import SaveOutcome
from bot.core.records import (
    FLAG_STATES,
    ChannelSettings,
    CommunitySettings,
    FlagRecord,
    HumanLabel,
    StoredMessage,
)
from bot.storage import convert, once, privacy, stats
from bot.storage.engine import BEGIN_OPTION
from bot.storage.exemplars import EvidenceStore, ExemplarStore
from bot.storage.tables import (
    Channel,
    Community,
    DistressFlagRow,
    EmpathyCooldown,
    JobRun,
    Label,
    Member,
    ModelVersion,
)
from bot.storage.tables import Message as MessageRow
from bot.storage.types import utcnow
from bot.storage.upsert import insert_missing, upsert
from classifier.prediction import UNREAD_LABEL, Prediction

logger = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with any lone surrogate (which UTF-8 cannot encode, so no database takes it)
    replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


NAME_LENGTH = 200  # display names are cut to the column's size rather than failing the write

communities = cast(Table, Community.__table__)
channels = cast(Table, Channel.__table__)
members = cast(Table, Member.__table__)
messages_t = cast(Table, MessageRow.__table__)
labels_t = cast(Table, Label.__table__)
flags_t = cast(Table, DistressFlagRow.__table__)
cooldowns_t = cast(Table, EmpathyCooldown.__table__)


class StoreBusyError(TimeoutError):
    """The database stayed locked by another writer for longer than the busy timeout."""


class _Blocked(Exception):
    """A cooldown still runs (raised inside the claim's transaction to roll it back)."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class SqlStore:
    """The bot's :class:`~bot.core.ports.MessageStore` on any SQLAlchemy engine (see module doc)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        self._clock = clock
        # Reads may run on connections of their own beside the writer (SQLite in WAL mode and
        # PostgreSQL), except on an in-memory SQLite database: its one connection is shared.
        self.concurrent_reads = not isinstance(engine.pool, StaticPool)
        self._deliveries = 0  # first_delivery calls (old keys are purged every PURGE_EVERY)
        # The distress stage's own rows (bot.storage.exemplars), on these transactions.
        self.exemplars = ExemplarStore(self._tx)
        self.evidence = EvidenceStore(self._tx)

    # --- transactions ----------------------------------------------------------------------------

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Connection]:
        try:
            with (self._writer if write else self.engine).begin() as conn:
                yield conn
        except OperationalError as exc:
            text = str(exc.orig).lower()
            if "locked" in text or "busy" in text:
                logger.warning("database busy: %s", exc.orig)
                raise StoreBusyError(f"database is locked: {exc.orig}") from exc
            raise

    def _ensure_community(self, conn: Connection, community: CommunityRef) -> None:
        values = {
            "platform": community.platform,
            "platform_id": community.id,
            "name": storable(community.name[:NAME_LENGTH]),
            "settings": {},
            "created_at": self._clock(),
        }
        insert_missing(conn, communities, values, keys=("platform", "platform_id"))

    def _ensure_channel(self, conn: Connection, channel: ChannelRef) -> None:
        self._ensure_community(conn, channel.community)
        values = {
            "platform": channel.community.platform,
            "community_id": channel.community.id,
            "platform_id": channel.id,
            "name": storable(channel.name[:NAME_LENGTH]),
            "is_direct": channel.is_direct,
            "settings": {},
            "created_at": self._clock(),
        }
        insert_missing(conn, channels, values, keys=("platform", "community_id", "platform_id"))

    def _ensure_member(self, conn: Connection, user: UserRef) -> None:
        values = {
            "platform": user.platform,
            "platform_id": user.id,
            "name": storable(user.name[:NAME_LENGTH]),
            "opted_out": False,
            "created_at": self._clock(),
        }
        insert_missing(conn, members, values, keys=("platform", "platform_id"))

    # --- settings ------------------------------------------------------------------------------

    def community_settings(self, community: CommunityRef) -> CommunitySettings:
        with self._tx(write=False) as conn:
            data = conn.scalar(
                select(communities.c.settings).where(
                    communities.c.platform == community.platform,
                    communities.c.platform_id == community.id,
                )
            )
        return convert.settings_from_json(CommunitySettings, data)

    def save_community_settings(self, community: CommunityRef, settings: CommunitySettings) -> None:
        with self._tx(write=True) as conn:
            self._ensure_community(conn, community)
            conn.execute(
                update(communities)
                .where(
                    communities.c.platform == community.platform,
                    communities.c.platform_id == community.id,
                )
                .values(settings=convert.settings_to_json(settings))
            )

    def channel_settings(self, channel: ChannelRef) -> ChannelSettings:
        with self._tx(write=False) as conn:
            data = conn.scalar(select(channels.c.settings).where(*_channel_key(channel)))
        return convert.settings_from_json(ChannelSettings, data)

    def save_channel_settings(self, channel: ChannelRef, settings: ChannelSettings) -> None:
        with self._tx(write=True) as conn:
            self._ensure_channel(conn, channel)
            conn.execute(
                update(channels)
                .where(*_channel_key(channel))
                .values(settings=convert.settings_to_json(settings))
            )

    # --- members -------------------------------------------------------------------------------

    def is_opted_out(self, user: UserRef) -> bool:
        with self._tx(write=False) as conn:
            value = conn.scalar(
                select(members.c.opted_out).where(*_member_key(user.platform, user.id))
            )
        return bool(value)

    def set_opted_out(self, user: UserRef, opted_out: bool) -> None:
        with self._tx(write=True) as conn:
            self._ensure_member(conn, user)
            conn.execute(
                update(members)
                .where(*_member_key(user.platform, user.id))
                .values(opted_out=opted_out, opted_out_at=self._clock() if opted_out else None)
            )

    # --- classified messages -------------------------------------------------------------------

    def save_classification(self, message: ChatMessage, prediction: Prediction) -> SaveOutcome:
        """Store the classification of ``message``: ``"stored"`` when this call wrote the row
        (the caller acts on the message), ``"duplicate"`` when the row was there already (another
        process, or a redelivery, took it), ``"opted_out"`` when its author has opted out (nothing
        stored). An edit replaces the row (``"stored"``)."""
        channel = message.channel
        values = {
            "platform": channel.community.platform,
            "message_id": message.id,
            "community_id": channel.community.id,
            "channel_id": channel.id,
            "user_id": message.author.id,
            "sent_at": message.sent_at,
            # Not read (another language, code only): no mood, so no label or scores are kept.
            "label": prediction.label if prediction.read else UNREAD_LABEL,
            "labels": list(prediction.labels) if prediction.read else [UNREAD_LABEL],
            "scores": {k: float(v) for k, v in prediction.scores.items()}
            if prediction.read
            else {},
            "model_version": prediction.model_version,
            "stored_at": self._clock(),
        }
        with self._tx(write=True) as conn:
            self._ensure_channel(conn, channel)
            self._ensure_member(conn, message.author)
            statement = once.save_message(conn.dialect.name, replace=message.is_edit)
            if conn.execute(statement, values).first() is not None:
                return "stored"
            # Nothing written: the row exists, or the author opted out (rare, so asked only now).
            author = message.author
            opted_out = conn.scalar(
                select(members.c.opted_out).where(*_member_key(author.platform, author.id))
            )
        return "opted_out" if opted_out else "duplicate"

    def insert_messages(self, rows: Iterable[StoredMessage], *, chunk: int = 10_000) -> int:
        """Bulk-insert classified messages (seeding, imports): plain inserts, one transaction per
        ``chunk`` rows; their channels and members must exist already. Returns rows inserted."""
        now, count = self._clock(), 0
        batch: list[dict[str, Any]] = []
        for r in rows:
            batch.append(
                {
                    "platform": r.platform,
                    "message_id": r.message_id,
                    "community_id": r.community_id,
                    "channel_id": r.channel_id,
                    "user_id": r.user_id,
                    "sent_at": r.sent_at,
                    "label": r.label,
                    "labels": list(r.labels),
                    "scores": r.scores,
                    "model_version": r.model_version,
                    "stored_at": now,
                }
            )
            if len(batch) >= chunk:
                count += self._insert_batch(batch)
                batch = []
        return count + (self._insert_batch(batch) if batch else 0)

    def _insert_batch(self, batch: list[dict[str, Any]]) -> int:
        with self._tx(write=True) as conn:
            conn.execute(insert(messages_t), batch)
        return len(batch)

    def highest_numbered_id(self, platform: str, prefix: str) -> int:
        """The largest N of the message ids ``{prefix}N`` that ``platform`` has stored (in
        messages, labels or flags); 0 when none. The console numbers its messages on from it,
        so a new session never reuses, and so replaces, the ids of an earlier one."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        highest = 0
        with self._tx(write=False) as conn:
            for table in (messages_t, labels_t, flags_t):
                column = table.c.message_id
                query = select(column).where(
                    table.c.platform == platform, column.like(pattern, escape="\\")
                )
                for (message_id,) in conn.execute(query):
                    number = message_id[len(prefix) :]
                    if number.isascii() and number.isdigit():
                        highest = max(highest, int(number))
        return highest

    def delete_message(self, platform: str, message_id: str) -> bool:
        with self._tx(write=True) as conn:
            result = conn.execute(
                delete(messages_t).where(
                    messages_t.c.platform == platform, messages_t.c.message_id == message_id
                )
            )
        return result.rowcount > 0

    def get_message(self, platform: str, message_id: str) -> StoredMessage | None:
        with self._tx(write=False) as conn:
            row = conn.execute(
                select(messages_t).where(
                    messages_t.c.platform == platform, messages_t.c.message_id == message_id
                )
            ).first()
        return convert.to_message(row) if row is not None else None

    def messages(
        self,
        *,
        platform: str,
        community_id: str,
        since: datetime,
        until: datetime | None = None,
        channel_id: str | None = None,
        user_id: str | None = None,
    ) -> list[StoredMessage]:
        """Messages sent in ``[since, until)``, oldest first."""
        c = messages_t.c
        query = select(messages_t).where(
            c.platform == platform, c.community_id == community_id, c.sent_at >= since
        )
        if until is not None:
            query = query.where(c.sent_at < until)
        if channel_id is not None:
            query = query.where(c.channel_id == channel_id)
        if user_id is not None:
            query = query.where(c.user_id == user_id)
        with self._tx(write=False) as conn:
            rows = conn.execute(query.order_by(c.sent_at, c.id)).all()
        return [convert.to_message(r) for r in rows]

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
    ) -> PeriodStats:
        """Counts of the messages sent in ``[since, until)``, aggregated in SQL
        (:mod:`bot.storage.stats`): per label, and per UTC bucket of ``bucket_minutes`` (60 or 15)
        and per channel when asked."""
        with self._tx(write=False) as conn:
            return stats.period_stats(
                conn,
                platform=platform,
                community_id=community_id,
                since=since,
                until=until,
                channel_id=channel_id,
                user_id=user_id,
                bucket_minutes=bucket_minutes,
                by_channel=by_channel,
            )

    # --- human labels --------------------------------------------------------------------------

    def add_label(self, label: HumanLabel) -> int:
        values = {
            "platform": label.platform,
            "community_id": label.community_id,
            "message_id": label.message_id,
            "text": label.text,
            "emotion": label.emotion,
            "model_label": label.model_label,
            "labelled_by": label.labelled_by,
            "labelled_at": label.labelled_at,
            "author_id": label.author_id,
        }
        keys = ("platform", "message_id", "labelled_by")
        with self._tx(write=True) as conn:
            if label.message_id is None:  # a text without a message: always a label of its own
                new_id = conn.execute(insert(labels_t).values(**values).returning(labels_t.c.id))
                return int(new_id.scalar_one())
            if values["author_id"] is None:  # the author of the stored message, when known
                values["author_id"] = conn.scalar(
                    select(messages_t.c.user_id).where(
                        messages_t.c.platform == label.platform,
                        messages_t.c.message_id == label.message_id,
                    )
                )
            # the same person labelling the same message again replaces their label
            changed = ("community_id", "text", "emotion", "model_label", "labelled_at", "author_id")
            upsert(conn, labels_t, values, keys=keys, update_columns=changed)
            match = [labels_t.c[k] == values[k] for k in keys]
            return int(conn.execute(select(labels_t.c.id).where(*match)).scalar_one())

    def labels(self, *, since: datetime | None = None) -> list[HumanLabel]:
        """Human labels given at or after ``since`` (all when None), oldest first."""
        query = select(labels_t).order_by(labels_t.c.labelled_at, labels_t.c.id)
        if since is not None:
            query = query.where(labels_t.c.labelled_at >= since)
        with self._tx(write=False) as conn:
            return [convert.to_label(r) for r in conn.execute(query).all()]

    # --- distress flags ------------------------------------------------------------------------

    def add_flag(self, flag: FlagRecord) -> FlagRecord | None:
        """Store a new flag (its ``id`` is ignored) and return it with the id it was given; None
        when it is an open flag and the member has one open already (at most one open flag per
        member: a partial unique index, whichever process raises it)."""
        _check_state(flag.state)
        values = {
            "platform": flag.platform,
            "community_id": flag.community_id,
            "channel_id": flag.channel_id,
            "user_id": flag.user_id,
            "message_id": flag.message_id,
            "created_at": flag.created_at,
            "reason": flag.reason,
            "score": float(flag.score),
            "state": flag.state,
            "reviewed_by": flag.reviewed_by,
            "reviewed_at": flag.reviewed_at,
            "permalink": flag.permalink,
        }
        with self._tx(write=True) as conn:
            if flag.state != "open":
                row = conn.execute(insert(flags_t).values(**values).returning(*flags_t.c)).one()
                return convert.to_flag(row)
            found = conn.execute(once.add_open_flag(conn.dialect.name), values).first()
        return convert.to_flag(found) if found is not None else None

    def open_flag_for(self, platform: str, user_id: str) -> FlagRecord | None:
        """The member's open flag (at most one), however old."""
        c = flags_t.c
        query = (
            select(flags_t)
            .where(c.platform == platform, c.user_id == user_id, c.state == "open")
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(1)
        )
        with self._tx(write=False) as conn:
            row = conn.execute(query).first()
        return convert.to_flag(row) if row is not None else None

    def update_open_flag(
        self,
        flag_id: int,
        *,
        score: float,
        reason: str,
        message_id: str,
        at: datetime,
        quiet_since: datetime,
    ) -> FlagRecord | None:
        """New evidence for an open flag: taken (and the flag returned) only while the flag is
        still open and either ``score`` is higher than its own or it was last raised or updated
        before ``quiet_since``; None otherwise. The flag keeps the higher of the two scores. One
        conditional UPDATE, so of two processes holding the same evidence only one updates (and
        pings the moderators)."""
        c = flags_t.c
        with self._tx(write=True) as conn:
            row = conn.execute(
                update(flags_t)
                .where(c.id == flag_id, c.state == "open")
                .where(
                    or_(
                        c.score < float(score),
                        c.updated_at < quiet_since,
                        (c.updated_at.is_(None)) & (c.created_at < quiet_since),
                    )
                )
                .values(
                    score=case((c.score < float(score), float(score)), else_=c.score),
                    reason=reason,
                    message_id=message_id,
                    updated_at=at,
                )
                .returning(*flags_t.c)
            ).first()
        return convert.to_flag(row) if row is not None else None

    def get_flag(self, flag_id: int) -> FlagRecord | None:
        with self._tx(write=False) as conn:
            row = conn.execute(select(flags_t).where(flags_t.c.id == flag_id)).first()
        return convert.to_flag(row) if row is not None else None

    def open_flags_for(self, platform: str, user_id: str, *, since: datetime) -> list[FlagRecord]:
        """Flags about this member still in state ``open`` raised at or after ``since``."""
        c = flags_t.c
        query = (
            select(flags_t)
            .where(c.platform == platform, c.user_id == user_id, c.state == "open")
            .where(c.created_at >= since)
            .order_by(c.created_at, c.id)
        )
        with self._tx(write=False) as conn:
            return [convert.to_flag(r) for r in conn.execute(query).all()]

    def set_flag_state(
        self, flag_id: int, state: str, *, by: str, at: datetime
    ) -> FlagRecord | None:
        """Record a moderator's review: any state may follow any other (a moderator can correct a
        mistaken review). Returns the updated flag, None when there is no such flag; an unknown
        state raises ``ValueError``."""
        _check_state(state)
        with self._tx(write=True) as conn:
            row = conn.execute(
                update(flags_t)
                .where(flags_t.c.id == flag_id)
                .values(state=state, reviewed_by=by, reviewed_at=at)
                .returning(*flags_t.c)
            ).first()
        return convert.to_flag(row) if row is not None else None

    def update_flag_evidence(
        self, flag_id: int, *, score: float, reason: str, message_id: str
    ) -> FlagRecord | None:
        """A later message of higher risk: the flag now shows its score, reason and message."""
        with self._tx(write=True) as conn:
            row = conn.execute(
                update(flags_t)
                .where(flags_t.c.id == flag_id)
                .values(score=float(score), reason=reason, message_id=message_id)
                .returning(*flags_t.c)
            ).first()
        return convert.to_flag(row) if row is not None else None

    def flags(
        self, *, platform: str, community_id: str, since: datetime, until: datetime | None = None
    ) -> list[FlagRecord]:
        """Flags raised in ``[since, until)`` in a community, oldest first."""
        c = flags_t.c
        query = select(flags_t).where(
            c.platform == platform, c.community_id == community_id, c.created_at >= since
        )
        if until is not None:
            query = query.where(c.created_at < until)
        with self._tx(write=False) as conn:
            return [convert.to_flag(r) for r in conn.execute(query.order_by(c.created_at, c.id))]

    # --- empathy cooldowns and deliveries, shared by every process ------------------------------

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
    ) -> str | None:
        """Take the member's and the channel's empathy cooldown at ``now``: None when both were
        free (both now start at ``now``); ``"member"`` or ``"channel"`` when that one still runs
        (nothing changed). Each is a conditional upsert, member first (a fixed order: no
        deadlock), so of several processes only one wins a prompt."""
        claim = once.claim_cooldown(self.engine.dialect.name)
        base = {"platform": platform, "community_id": community_id, "last_prompt_at": now}
        steps = (
            ("member", user_id, member_cooldown),
            ("channel", channel_id, channel_cooldown),
        )
        try:
            with self._tx(write=True) as conn:
                for scope, target, cooldown in steps:
                    params = {**base, "scope": scope, "target_id": target, "cutoff": now - cooldown}
                    if conn.execute(claim, params).first() is None:
                        raise _Blocked(scope)  # rolls back the member's claim too
        except _Blocked as blocked:
            return blocked.scope
        return None

    def first_delivery(self, platform: str, keys: Sequence[str]) -> bool:
        """Record delivery ``keys`` (an event id, a message key); True when none of them was
        recorded within the last hour (the caller acts on the delivery), False for a redelivery.
        Old keys are deleted now and then."""
        now = self._clock()
        statement = once.record_delivery(self.engine.dialect.name)
        fresh = True
        with self._tx(write=True) as conn:
            for key in keys:
                params = {
                    "platform": platform,
                    "event_key": key[:160],
                    "seen_at": now,
                    "cutoff": now - once.DELIVERY_TTL,
                }
                if conn.execute(statement, params).first() is None:
                    fresh = False
            self._deliveries += 1
            if self._deliveries % once.PURGE_EVERY == 1:
                once.purge_deliveries(conn, now - once.DELIVERY_TTL)
        return fresh

    # --- privacy and retention -----------------------------------------------------------------

    def forget_user(self, platform: str, user_id: str) -> int:
        """Delete everything stored about a member (see the module doc); returns rows deleted."""
        with self._tx(write=True) as conn:
            count = privacy.forget_user(conn, platform, user_id)
            count += conn.execute(
                delete(cooldowns_t).where(
                    cooldowns_t.c.platform == platform,
                    cooldowns_t.c.scope == "member",
                    cooldowns_t.c.target_id == user_id,
                )
            ).rowcount
        logger.info("forgot %s member: %d rows deleted", platform, count)
        return count

    def export_user(self, platform: str, user_id: str) -> dict[str, Any]:
        """Everything stored about a member, as a JSON-able dict."""
        with self._tx(write=False) as conn:
            return privacy.export_user(conn, platform, user_id, now=self._clock())

    def delete_older_than(self, cutoff: datetime) -> int:
        """Retention: delete messages, labels and reviewed flags older than ``cutoff``."""
        with self._tx(write=True) as conn:
            count = conn.execute(delete(messages_t).where(messages_t.c.sent_at < cutoff)).rowcount
            count += conn.execute(delete(labels_t).where(labels_t.c.labelled_at < cutoff)).rowcount
            count += conn.execute(
                delete(flags_t).where(flags_t.c.created_at < cutoff, flags_t.c.state != "open")
            ).rowcount
        logger.info("retention: %d rows older than %s deleted", count, cutoff.isoformat())
        return count

    # --- models and jobs -----------------------------------------------------------------------

    def record_model_version(self, version: str, *, path: str, metrics: dict[str, Any]) -> None:
        """Remember a model version (recording it again updates its path and metrics)."""
        values = {
            "version": version,
            "path": path,
            "metrics": metrics,
            "recorded_at": self._clock(),
        }
        with self._tx(write=True) as conn:
            upsert(
                conn,
                cast(Table, ModelVersion.__table__),
                values,
                keys=("version",),
                update_columns=("path", "metrics"),
            )

    def record_job_run(
        self,
        job: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        status: str,
        details: dict[str, Any],
    ) -> None:
        values = {
            "job": job,
            "started_at": started_at,
            "finished_at": finished_at,
            "status": status,
            "details": details,
        }
        with self._tx(write=True) as conn:
            conn.execute(insert(cast(Table, JobRun.__table__)).values(**values))

    # --- communities and channels ----------------------------------------------------------------

    def communities(self) -> list[CommunityRef]:
        """Every community in the database (``communities`` table)."""
        query = select(Community.platform, Community.platform_id, Community.name)
        with self.engine.connect() as conn:
            return [CommunityRef(p, i, n or "") for p, i, n in conn.execute(query)]

    def channel_names(self, community: CommunityRef) -> dict[str, str]:
        """Channel id -> name for one community (``channels`` table)."""
        query = select(Channel.platform_id, Channel.name).where(
            Channel.platform == community.platform, Channel.community_id == community.id
        )
        with self.engine.connect() as conn:
            return {cid: name for cid, name in conn.execute(query) if name}


def _channel_key(channel: ChannelRef) -> tuple[Any, ...]:
    return (
        channels.c.platform == channel.community.platform,
        channels.c.community_id == channel.community.id,
        channels.c.platform_id == channel.id,
    )


def _member_key(platform: str, user_id: str) -> tuple[Any, ...]:
    return (members.c.platform == platform, members.c.platform_id == user_id)


def _check_state(state: str) -> None:
    if state not in FLAG_STATES:
        raise ValueError(f"unknown flag state {state!r}; expected one of {FLAG_STATES}")


__all__ = ["SqlStore", "StoreBusyError"]
