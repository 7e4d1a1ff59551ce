"""indexes of a progress report's figures and files (issue 14: the case page read all
333,000 indicator figures of the province to show those of its progress reports)

Revision ID: c14a0d0e0002
Revises: c14a0d0e0001
Create Date: 2026-12-04 19:45:00

"""
from alembic import op

revision = 'c14a0d0e0002'
down_revision = 'c14a0d0e0001'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_indicator_actual_progress_update_id", "indicator_actual", ["progress_update_id"]),
    ("ix_evidence_file_progress_update_id", "evidence_file", ["progress_update_id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
