"""Labels: one per message and labeller; labelling a message again replaces the label.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Older databases may hold repeated labels of one message by one person: the newest (highest id)
is kept. The index on (platform, message_id) gives way to a unique constraint on (platform,
message_id, labelled_by), which serves the same lookups. Batch mode: SQLite rebuilds the table,
PostgreSQL alters it in place. Labels without a message id (NULL) are never duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE = "uq_labels_platform_message_id_labelled_by"


def upgrade() -> None:
    op.execute(
        "DELETE FROM labels WHERE message_id IS NOT NULL AND id NOT IN ("
        " SELECT keep FROM (SELECT MAX(id) AS keep FROM labels WHERE message_id IS NOT NULL"
        " GROUP BY platform, message_id, labelled_by) AS newest)"
    )
    with op.batch_alter_table("labels") as batch:
        batch.drop_index("ix_labels_message")
        batch.create_unique_constraint(UNIQUE, ["platform", "message_id", "labelled_by"])


def downgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.create_index("ix_labels_message", ["platform", "message_id"], unique=False)
