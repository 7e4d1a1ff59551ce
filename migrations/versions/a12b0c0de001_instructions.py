"""领导批示: leaders' instructions on a case and the lead unit's answers (issue 12, part 4)

Revision ID: a12b0c0de001
Revises: f14a0b1c2d3e
Create Date: 2026-12-02 06:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a12b0c0de001'
down_revision = 'f14a0b1c2d3e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'instruction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_name', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_by_name', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'answered')", name='ck_instruction_status'),
        sa.CheckConstraint("(status = 'open') = (answer IS NULL)", name='ck_instruction_answer'),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['answered_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('instruction', schema=None) as batch_op:
        batch_op.create_index('ix_instruction_case_id', ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('instruction', schema=None) as batch_op:
        batch_op.drop_index('ix_instruction_case_id')
    op.drop_table('instruction')
