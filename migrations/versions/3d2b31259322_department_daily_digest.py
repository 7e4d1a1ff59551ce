"""department daily digest

Revision ID: 3d2b31259322
Revises: e7bea3c6d29b
Create Date: 2026-11-27 04:25:28.686248

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3d2b31259322'
down_revision = 'e7bea3c6d29b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('daily_digest', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('daily_digest')
