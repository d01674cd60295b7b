"""The scheduler's tables come from the migrations: APScheduler's job store, and claims as leases.

(Alembic logs the first paragraph of this docstring as one line: keep it one line.)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

``apscheduler_jobs`` with exactly the columns APScheduler 3's ``SQLAlchemyJobStore`` defines (id
VARCHAR(191) primary key, next_run_time FLOAT indexed, job_state BLOB not null), and
``scheduler_claims`` (``bot.jobs.claims``): a run of a job for a period (job key + ISO week) with
the process that holds it (``owner``), until when (``lease_until``) and whether it finished
(``done_at``). Before this revision the scheduler created both tables itself at run time; on such
a database they are kept, the claims get the new columns, and the claims already there count as
done (the scheduler never ran a claimed period again).

Expand-then-contract: this revision only adds (tables, nullable columns, an index), so the
previous release keeps running on the new schema: it creates neither table (both exist), and the
claims it inserts have no lease, which this release never takes over.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOBS = "apscheduler_jobs"
CLAIMS = "scheduler_claims"
JOBS_INDEX = "ix_apscheduler_jobs_next_run_time"  # the name SQLAlchemy gives index=True
OPEN_INDEX = "ix_scheduler_claims_open"
LEASE_COLUMNS = ("owner", "lease_until", "done_at")


def _lease_columns() -> list[sa.Column]:
    return [
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("done_at", sa.Float(), nullable=True),
    ]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(JOBS):
        op.create_table(
            JOBS,
            sa.Column("id", sa.Unicode(length=191), nullable=False),
            sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
            sa.Column("job_state", sa.LargeBinary(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(JOBS_INDEX, JOBS, ["next_run_time"], unique=False)
    if not inspector.has_table(CLAIMS):
        op.create_table(
            CLAIMS,
            sa.Column("job", sa.String(length=191), nullable=False),
            sa.Column("period", sa.String(length=32), nullable=False),
            sa.Column("claimed_at", sa.Float(), nullable=False),
            *_lease_columns(),
            sa.PrimaryKeyConstraint("job", "period"),
        )
    else:
        present = {c["name"] for c in inspector.get_columns(CLAIMS)}
        for column in _lease_columns():
            if column.name not in present:
                op.add_column(CLAIMS, column)  # nullable: a plain ALTER on SQLite too
        op.execute(
            f"UPDATE {CLAIMS} SET done_at = claimed_at, lease_until = claimed_at"
            " WHERE done_at IS NULL AND lease_until IS NULL"
        )
    # The claims the recovery check looks at every minute: not done (few rows of many).
    op.create_index(
        OPEN_INDEX,
        CLAIMS,
        ["lease_until"],
        unique=False,
        postgresql_where=sa.text("done_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    # The previous release creates both tables itself at run time; the persisted jobs are
    # re-added by its reconcile, the claims of past weeks are lost.
    op.drop_index(OPEN_INDEX, table_name=CLAIMS)
    op.drop_table(CLAIMS)
    op.drop_index(JOBS_INDEX, table_name=JOBS)
    op.drop_table(JOBS)
