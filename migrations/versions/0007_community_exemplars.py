"""Community exemplars from reviewed flags and the medium-risk evidence per member, in the database.

(Alembic logs the first paragraph of this docstring as one line: keep it one line.)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10

* ``community_exemplars``: a message a moderator added, after reviewing its flag, as an example of
  risk (``kind`` risk) or of what is not risk (safe) for their community: its text (the member's
  message, deleted by the author's ``forget``), its author, the moderator, and its embedding with
  the model that made it. At most one per message (platform, message_id).
* ``distress_evidence``: when a member wrote a message of medium or higher distress risk, for the
  rule "two within 24 hours flag"; rows older than the window are deleted as new ones come.

Expand-only: two new tables, so the previous release keeps running on the new schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(length=64)
PLATFORM = sa.String(length=16)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "community_exemplars",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("platform", PLATFORM, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("flag_id", BIG_ID, nullable=True),
        sa.Column("added_by", ID, nullable=True),
        sa.Column("added_at", WHEN, nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("kind IN ('risk', 'safe')", name=op.f("ck_community_exemplars_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_exemplars")),
        sa.UniqueConstraint(
            "platform", "message_id", name=op.f("uq_community_exemplars_platform_message_id")
        ),
    )
    op.create_index(
        "ix_community_exemplars_community", "community_exemplars", ["platform", "community_id"]
    )
    op.create_index(
        "ix_community_exemplars_author", "community_exemplars", ["platform", "author_id"]
    )
    op.create_table(
        "distress_evidence",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("platform", PLATFORM, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("seen_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distress_evidence")),
    )
    op.create_index(
        "ix_distress_evidence_member_seen_at",
        "distress_evidence",
        ["platform", "user_id", "seen_at"],
    )
    op.create_index("ix_distress_evidence_seen_at", "distress_evidence", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_distress_evidence_seen_at", table_name="distress_evidence")
    op.drop_index("ix_distress_evidence_member_seen_at", table_name="distress_evidence")
    op.drop_table("distress_evidence")
    op.drop_index("ix_community_exemplars_author", table_name="community_exemplars")
    op.drop_index("ix_community_exemplars_community", table_name="community_exemplars")
    op.drop_table("community_exemplars")
