"""Initial schema: every table of bot/storage/tables.py.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

The whole schema of bot/storage/tables.py. SQLite and PostgreSQL both run it unchanged;
autogenerate against the models afterwards finds no difference (tests/storage).

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint(
            "platform", "platform_id", name=op.f("uq_communities_platform_platform_id")
        ),
    )
    op.create_table(
        "distress_flags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("permalink", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'acknowledged', 'resolved', 'false_alarm')",
            name=op.f("ck_distress_flags_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distress_flags")),
    )
    op.create_index(
        "ix_distress_flags_community_created_at",
        "distress_flags",
        ["platform", "community_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_distress_flags_user_created_at",
        "distress_flags",
        ["platform", "user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_index("ix_job_runs_job_started_at", "job_runs", ["job", "started_at"], unique=False)
    op.create_table(
        "labels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("emotion", sa.String(length=64), nullable=False),
        sa.Column("model_label", sa.String(length=64), nullable=True),
        sa.Column("labelled_by", sa.String(length=64), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
    )
    op.create_index("ix_labels_labelled_at", "labels", ["labelled_at"], unique=False)
    op.create_index("ix_labels_labelled_by", "labels", ["platform", "labelled_by"], unique=False)
    op.create_index("ix_labels_message", "labels", ["platform", "message_id"], unique=False)
    op.create_table(
        "members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint(
            "platform", "platform_id", name=op.f("uq_members_platform_platform_id")
        ),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_model_versions_version")),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_direct", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform", "community_id"],
            ["communities.platform", "communities.platform_id"],
            name=op.f("fk_channels_platform_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint(
            "platform",
            "community_id",
            "platform_id",
            name=op.f("uq_channels_platform_community_id_platform_id"),
        ),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform", "community_id", "channel_id"],
            ["channels.platform", "channels.community_id", "channels.platform_id"],
            name=op.f("fk_messages_platform_community_id_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform", "user_id"],
            ["members.platform", "members.platform_id"],
            name=op.f("fk_messages_platform_user_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("platform", "message_id", name=op.f("uq_messages_platform_message_id")),
    )
    op.create_index(
        "ix_messages_author_sent_at", "messages", ["platform", "user_id", "sent_at"], unique=False
    )
    op.create_index(
        "ix_messages_community_sent_at",
        "messages",
        ["platform", "community_id", "sent_at"],
        unique=False,
    )
    op.create_index("ix_messages_sent_at", "messages", ["sent_at"], unique=False)


def downgrade() -> None:
    for table in (
        "messages",
        "channels",
        "model_versions",
        "members",
        "labels",
        "job_runs",
        "distress_flags",
        "communities",
    ):
        op.drop_table(table)  # drops the table's indexes and constraints with it
