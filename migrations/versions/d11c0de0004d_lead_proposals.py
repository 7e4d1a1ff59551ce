"""lead-unit proposals of task-force leads for lead-less cases (issue 11)

Revision ID: d11c0de0004d
Revises: c12d0c5e1a01
Create Date: 2026-12-02 05:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd11c0de0004d'
down_revision = 'c12d0c5e1a01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lead_proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('proposed_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_comment', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name='ck_lead_proposal_status'),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('lead_proposal', schema=None) as batch_op:
        batch_op.create_index('ix_lead_proposal_case_id', ['case_id'], unique=False)
        batch_op.create_index('uq_lead_proposal_pending', ['case_id'], unique=True,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table('lead_proposal', schema=None) as batch_op:
        batch_op.drop_index('uq_lead_proposal_pending')
        batch_op.drop_index('ix_lead_proposal_case_id')
    op.drop_table('lead_proposal')
