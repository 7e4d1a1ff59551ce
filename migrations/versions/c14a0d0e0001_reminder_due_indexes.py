"""partial indexes of the reminder tick's due window: open deadlines, silent cases, waiting
submissions, open milestones (issue 14: the tick read every open case)

Revision ID: c14a0d0e0001
Revises: b12c0de0003c
Create Date: 2026-12-02 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c14a0d0e0001'
down_revision = 'b12c0de0003c'
branch_labels = None
depends_on = None

OPEN = "state IN ('assigned', 'in_progress', 'submitted')"
WITH_CASEWORKER = "state IN ('assigned', 'in_progress')"
# name, table, columns, WHERE (the same text on PostgreSQL and SQLite)
INDEXES = (
    ("ix_case_open_deadline", "case", ["deadline"], OPEN),
    # NOT NULL: the cases never reported on are the next index's (else this one is scanned
    # for "IS NULL", every case not yet accepted, due or not)
    ("ix_case_silent_progress", "case", ["last_progress_at"], f"{WITH_CASEWORKER} AND last_progress_at IS NOT NULL"),
    ("ix_case_silent_assigned", "case", ["assigned_at"], f"{WITH_CASEWORKER} AND last_progress_at IS NULL"),
    ("ix_case_waiting_submitted", "case", ["submitted_at"], "state = 'submitted'"),
    ("ix_milestone_open_due", "milestone", ["due_date"], "done_at IS NULL"),
)


def upgrade():
    for name, table, columns, where in INDEXES:
        op.create_index(name, table, columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade():
    for name, table, _columns, _where in INDEXES:
        op.drop_index(name, table_name=table)
