"""account state (security stamp, lock-out) and the audit log

Revision ID: a15c0ffee002
Revises: a15c0ffee001
Create Date: 2026-12-02 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a15c0ffee002'
down_revision = 'a15c0ffee001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_state',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.String(length=32), nullable=False),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_failure_at', sa.DateTime(), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('username', sa.String(length=256), nullable=False),
        sa.Column('actor', sa.String(length=256), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_entry_event', ['event'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_event')
        batch_op.drop_index('ix_audit_entry_at')
    op.drop_table('audit_entry')
    op.drop_table('account_state')
