"""The database schema: SQLAlchemy 2 declarative models.

Rows refer to one another by the platforms' own ids (``platform`` + ``community_id`` + ...), with
composite foreign keys onto the unique keys of ``communities``, ``channels`` and ``members``, so the
repository's queries need no joins. Every timestamp is an aware UTC datetime
(:class:`~bot.storage.types.UTCDateTime`). Message text is stored in ``labels`` and
``community_exemplars`` only (both chosen by a person).

The schema is created by the Alembic migrations in ``migrations/``, never by ``create_all`` in the
bot; a test checks that the migrations and these models agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.core.records import FLAG_STATES
from bot.storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Platform ids (Discord snowflakes, Slack ids, console names) fit comfortably in 64 characters.
ID = String(64)
PLATFORM = String(16)
# An auto-incrementing key: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Community(Base):
    """A Discord guild or a Slack workspace; ``settings`` holds a CommunitySettings as JSON."""

    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("platform", "platform_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    platform_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Channel(Base):
    """A channel of a community; ``settings`` holds a ChannelSettings (enabled, empathy, ...)."""

    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("platform", "community_id", "platform_id"),
        ForeignKeyConstraint(
            ["platform", "community_id"],
            ["communities.platform", "communities.platform_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    community_id: Mapped[str] = mapped_column(ID)
    platform_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(200), default="")
    is_direct: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Member(Base):
    """A person on a platform, and whether (and since when) they opted out."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "platform_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    platform_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(200), default="")
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Message(Base):
    """One classified message: ids, time, labels and scores. Deliberately no text column."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("platform", "message_id"),
        ForeignKeyConstraint(
            ["platform", "community_id", "channel_id"],
            ["channels.platform", "channels.community_id", "channels.platform_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["platform", "user_id"],
            ["members.platform", "members.platform_id"],
            ondelete="CASCADE",
        ),
        # summaries and /emotion channel read only these indexes (GROUP BY in SQL)
        Index(
            "ix_messages_community_sent_at_cover",
            *("platform", "community_id", "sent_at", "channel_id", "user_id", "label"),
        ),
        Index(
            "ix_messages_channel_sent_at_cover",
            *("platform", "community_id", "channel_id", "sent_at", "user_id", "label"),
        ),
        Index("ix_messages_author_sent_at", "platform", "user_id", "sent_at"),
        Index("ix_messages_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    message_id: Mapped[str] = mapped_column(ID)
    community_id: Mapped[str] = mapped_column(ID)
    channel_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    sent_at: Mapped[datetime]
    label: Mapped[str] = mapped_column(String(64))
    labels: Mapped[list[str]] = mapped_column(JSON)
    scores: Mapped[dict[str, Any]]
    model_version: Mapped[str] = mapped_column(String(128))
    stored_at: Mapped[datetime]


class Label(Base):
    """A human label: the only table holding message text (given by a person for training)."""

    __tablename__ = "labels"
    __table_args__ = (
        Index("ix_labels_labelled_at", "labelled_at"),
        Index("ix_labels_labelled_by", "platform", "labelled_by"),
        Index("ix_labels_author", "platform", "author_id"),
        # one label per message and labeller: labelling it again replaces the label
        UniqueConstraint("platform", "message_id", "labelled_by"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    community_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str | None] = mapped_column(ID)
    text: Mapped[str] = mapped_column(Text)
    emotion: Mapped[str] = mapped_column(String(64))
    model_label: Mapped[str | None] = mapped_column(String(64))
    labelled_by: Mapped[str] = mapped_column(ID)
    labelled_at: Mapped[datetime]
    # who wrote the labelled message (NULL: not known), so forget finds it once the message is gone
    author_id: Mapped[str | None] = mapped_column(ID)


_STATES = ", ".join(f"'{s}'" for s in FLAG_STATES)
OPEN_FLAG = "state = 'open'"


class DistressFlagRow(Base):
    """A distress flag raised to the moderators, and its review state."""

    __tablename__ = "distress_flags"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        Index("ix_distress_flags_user_created_at", "platform", "user_id", "created_at"),
        Index("ix_distress_flags_community_created_at", "platform", "community_id", "created_at"),
        # at most one open flag per member, whichever process raises it (0006)
        Index(
            "uq_distress_flags_open_member",
            "platform",
            "user_id",
            unique=True,
            postgresql_where=text(OPEN_FLAG),
            sqlite_where=text(OPEN_FLAG),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    community_id: Mapped[str] = mapped_column(ID)
    channel_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default="open")
    reviewed_by: Mapped[str | None] = mapped_column(ID)
    reviewed_at: Mapped[datetime | None]
    permalink: Mapped[str | None] = mapped_column(String(500))
    # when new evidence last updated the flag (None: never since it was raised)
    updated_at: Mapped[datetime | None]


class ModelVersion(Base):
    """A classifier version the bot has served, with where it came from and its metrics."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(500))
    metrics: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime]


class JobRun(Base):
    """One run of a scheduled job (weekly summary, retention, retraining)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started_at", "job", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]]


class EmpathyCooldown(Base):
    """When a member (``scope`` "member") or a channel ("channel") of a community last got an
    empathy prompt: the cooldowns hold across processes and restarts (taken with a conditional
    upsert, so only one process wins a prompt)."""

    __tablename__ = "empathy_cooldowns"
    __table_args__ = (PrimaryKeyConstraint("platform", "community_id", "scope", "target_id"),)

    platform: Mapped[str] = mapped_column(PLATFORM)
    community_id: Mapped[str] = mapped_column(ID)
    scope: Mapped[str] = mapped_column(String(8))
    target_id: Mapped[str] = mapped_column(ID)
    last_prompt_at: Mapped[datetime]


class SeenEvent(Base):
    """A platform delivery already taken by one process (Slack event ids and message keys, which
    Slack redelivers on retries), kept for an hour."""

    __tablename__ = "seen_events"
    __table_args__ = (
        PrimaryKeyConstraint("platform", "event_key"),
        Index("ix_seen_events_seen_at", "seen_at"),
    )

    platform: Mapped[str] = mapped_column(PLATFORM)
    event_key: Mapped[str] = mapped_column(String(160))
    seen_at: Mapped[datetime]


class CommunityExemplarRow(Base):
    """A message a moderator added, after reviewing its flag, as an example of risk or of what is
    not risk for their community (:mod:`bot.core.distress.community`); its author's forget
    deletes it. ``embedding``: float32 bytes from ``model_version``."""

    __tablename__ = "community_exemplars"
    __table_args__ = (
        CheckConstraint("kind IN ('risk', 'safe')", name="kind"),
        UniqueConstraint("platform", "message_id"),
        Index("ix_community_exemplars_community", "platform", "community_id"),
        Index("ix_community_exemplars_author", "platform", "author_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    community_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str] = mapped_column(ID)
    flag_id: Mapped[int | None] = mapped_column(BigId)
    added_by: Mapped[str | None] = mapped_column(ID)
    added_at: Mapped[datetime]
    model_version: Mapped[str] = mapped_column(String(128))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)


class DistressEvidence(Base):
    """A member's message of medium or higher distress risk, kept for the pair window ("two
    within 24 hours flag"), so the rule holds across restarts and processes."""

    __tablename__ = "distress_evidence"
    __table_args__ = (
        Index("ix_distress_evidence_member_seen_at", "platform", "user_id", "seen_at"),
        Index("ix_distress_evidence_seen_at", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(PLATFORM)
    user_id: Mapped[str] = mapped_column(ID)
    community_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str] = mapped_column(ID)
    seen_at: Mapped[datetime]


metadata = Base.metadata
