"""Messages: covering indexes for the aggregates of summaries and ``/emotion channel``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09

Summaries, ``/emotion channel`` and ``/emotion me`` count messages in SQL (``GROUP BY`` UTC hour,
channel and label). Two indexes hold every column those queries read, so they scan an index range
and never the table: (platform, community_id, sent_at, channel_id, user_id, label) and
(platform, community_id, channel_id, sent_at, user_id, label). The first begins with the columns of
``ix_messages_community_sent_at``, which it replaces. Plain ``CREATE INDEX`` on SQLite and
PostgreSQL alike (no table rebuild); the release before this one runs unchanged on the new schema.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMUNITY = "ix_messages_community_sent_at_cover"
CHANNEL = "ix_messages_channel_sent_at_cover"
OLD = "ix_messages_community_sent_at"


def upgrade() -> None:
    op.create_index(
        COMMUNITY,
        "messages",
        ["platform", "community_id", "sent_at", "channel_id", "user_id", "label"],
    )
    op.create_index(
        CHANNEL,
        "messages",
        ["platform", "community_id", "channel_id", "sent_at", "user_id", "label"],
    )
    op.drop_index(OLD, table_name="messages")


def downgrade() -> None:
    op.create_index(OLD, "messages", ["platform", "community_id", "sent_at"])
    op.drop_index(CHANNEL, table_name="messages")
    op.drop_index(COMMUNITY, table_name="messages")
