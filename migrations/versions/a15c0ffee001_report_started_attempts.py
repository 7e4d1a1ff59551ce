"""report started_at and attempts (a report whose worker died is re-queued or failed)

Revision ID: a15c0ffee001
Revises: c11c0de0003c
Create Date: 2026-12-02 01:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a15c0ffee001'
down_revision = 'c11c0de0003c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('attempts', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('started_at')
