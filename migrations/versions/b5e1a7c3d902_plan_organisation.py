"""plan organisation: district, issuing offices and number prefixes as data

Revision ID: b5e1a7c3d902
Revises: a11c0de0001a
Create Date: 2026-12-02 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5e1a7c3d902'
down_revision = 'a11c0de0001a'
branch_labels = None
depends_on = None


def upgrade():
    # Filled by `flask plan load` from the plan file's `organisation:` block (scripts/run
    # loads the plan at every start); until then the names are derived from plan.issuer.
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('organisation')
