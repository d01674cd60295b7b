"""Labels record the author of the labelled message (``author_id``).

Forget and export then find a label's text even once the message row is gone (Alembic logs the
first paragraph of this docstring as one line: keep it one line).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A nullable column and an index on (platform, author_id). Existing labels get the author from
``messages`` where that row still exists; labels whose message was already deleted or purged by
retention stay NULL (nobody can tell whose text they hold; forget still finds them by
``labelled_by``). Batch mode: SQLite rebuilds the table, PostgreSQL alters it in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_labels_author"


def upgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        batch.add_column(sa.Column("author_id", sa.String(length=64), nullable=True))
        batch.create_index(INDEX, ["platform", "author_id"], unique=False)
    op.execute(
        "UPDATE labels SET author_id = (SELECT m.user_id FROM messages m"
        " WHERE m.platform = labels.platform AND m.message_id = labels.message_id)"
        " WHERE message_id IS NOT NULL AND author_id IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        batch.drop_index(INDEX)
        batch.drop_column("author_id")
