"""reports: report options

Revision ID: e7bea3c6d29b
Revises: dcb8d331120b
Create Date: 2026-11-27 03:31:06.030308

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e7bea3c6d29b'
down_revision = 'dcb8d331120b'
branch_labels = None
depends_on = None


def upgrade():
    # What the requester chose (office remarks, red header), kept with the report.
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('options')
