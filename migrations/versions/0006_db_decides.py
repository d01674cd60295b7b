"""The database decides what a message triggers: cooldowns, seen events, one open flag per member.

(Alembic logs the first paragraph of this docstring as one line: keep it one line.)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10

Several bot processes on one database must agree on what a message triggers, so what used to be
kept in each process's memory moves here:

* ``empathy_cooldowns``: when a member or a channel of a community last got an empathy prompt
  (primary key platform, community_id, scope, target_id); a prompt is taken with a conditional
  upsert, so exactly one process wins it;
* ``seen_events``: Slack deliveries (event ids and message keys) already taken by a process,
  kept for an hour, so a redelivery or the same event reaching two processes is acted on once;
* ``distress_flags.updated_at`` (nullable: when new evidence last updated the flag) and the
  partial unique index ``uq_distress_flags_open_member`` on (platform, user_id) where the state
  is ``open``: at most one open flag per member. Members with several open flags today keep the
  newest open; the older ones are marked ``acknowledged`` by ``emotion-bot`` (the newest one
  stands for them) before the index is built.

Expand-then-contract: new tables, a nullable column and an index, so the previous release keeps
running on the new schema. One difference it may meet: it raised a second flag for a member
whose flag stayed open for more than a day; that insert now fails on the index (its message is
stored, the open flag stays the moderators' item).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_INDEX = "uq_distress_flags_open_member"
OPEN = "state = 'open'"
SYSTEM_REVIEWER = "emotion-bot"


def upgrade() -> None:
    op.create_table(
        "empathy_cooldowns",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("last_prompt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "platform", "community_id", "scope", "target_id", name="pk_empathy_cooldowns"
        ),
    )
    op.create_table(
        "seen_events",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "event_key", name="pk_seen_events"),
    )
    op.create_index("ix_seen_events_seen_at", "seen_events", ["seen_at"])
    with op.batch_alter_table("distress_flags") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    # Older duplicates of a member's open flag: the newest open flag stands for them.
    op.execute(
        sa.text(
            "UPDATE distress_flags SET state = 'acknowledged', reviewed_by = :who,"
            " reviewed_at = CURRENT_TIMESTAMP"
            " WHERE state = 'open' AND EXISTS (SELECT 1 FROM distress_flags newer"
            " WHERE newer.platform = distress_flags.platform"
            " AND newer.user_id = distress_flags.user_id AND newer.state = 'open'"
            " AND (newer.created_at > distress_flags.created_at"
            " OR (newer.created_at = distress_flags.created_at AND newer.id > distress_flags.id)))"
        ).bindparams(who=SYSTEM_REVIEWER)
    )
    op.create_index(
        OPEN_INDEX,
        "distress_flags",
        ["platform", "user_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index(OPEN_INDEX, table_name="distress_flags")
    with op.batch_alter_table("distress_flags") as batch:
        batch.drop_column("updated_at")
    op.drop_index("ix_seen_events_seen_at", table_name="seen_events")
    op.drop_table("seen_events")
    op.drop_table("empathy_cooldowns")
