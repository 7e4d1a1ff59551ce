"""indexes of the hot paths: milestones and extension requests by case, members by department,
indicators by plan (issue 14: the lists' light read every milestone per case)

Revision ID: f14a0b1c2d3e
Revises: d15c0de0006f
Create Date: 2026-12-02 06:00:00

"""
from alembic import op

revision = 'f14a0b1c2d3e'
down_revision = 'd15c0de0006f'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_milestone_case", "milestone", ["case_id", "due_date"]),
    ("ix_extension_case", "extension_request", ["case_id"]),
    ("ix_user_department_department", "user_department", ["department_id"]),
    ("ix_indicator_plan", "indicator", ["plan_id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
