"""a delivery's first failed attempt: the status page says since when a target fails (issue 10)

Revision ID: e10d0a1170a5
Revises: d12e7a1c0b01
Create Date: 2026-12-02 05:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e10d0a1170a5'
down_revision = 'd12e7a1c0b01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_delivery') as batch:
        batch.add_column(sa.Column('failing_since', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_delivery') as batch:
        batch.drop_column('failing_since')
