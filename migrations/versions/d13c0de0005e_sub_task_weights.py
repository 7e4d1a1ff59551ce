"""sub-task weights in the parent's rolled-up percent (issue 11)

Revision ID: d13c0de0005e
Revises: e10d0a1170a5
Create Date: 2026-12-02 05:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd13c0de0005e'
down_revision = 'e10d0a1170a5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weight', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('ck_case_weight', 'weight IS NULL OR weight BETWEEN 1 AND 100')


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint('ck_case_weight', type_='check')
        batch_op.drop_column('weight')
