"""难点堵点: problems raised on a case to a coordinating unit or the leaders (issue 12, part 4)

Revision ID: b12b0c0de002
Revises: e16c0de0007a
Create Date: 2026-12-02 06:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b12b0c0de002'
down_revision = 'e16c0de0007a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'problem',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_name', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('solved_by_id', sa.Integer(), nullable=True),
        sa.Column('solved_by_name', sa.Text(), nullable=True),
        sa.Column('solved_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'solved')", name='ck_problem_status'),
        sa.CheckConstraint("(status = 'open') = (answer IS NULL)", name='ck_problem_answer'),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['solved_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.create_index('ix_problem_case_id', ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_index('ix_problem_case_id')
    op.drop_table('problem')
