"""督查 → 整改: inspections and their findings, each a rectification case (issue 12, part 4)

Revision ID: b12c0de0003c
Revises: b12b0c0de002
Create Date: 2026-12-02 10:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b12c0de0003c'
down_revision = 'b12b0c0de002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'inspection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('inspected_on', sa.Date(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('inspectors', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_name', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_plan_id', ['plan_id'], unique=False)
    op.create_table(
        'finding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', name='uq_finding_case'),
        sa.UniqueConstraint('inspection_id', 'position', name='uq_finding_position'),
    )


def downgrade():
    op.drop_table('finding')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_plan_id')
    op.drop_table('inspection')
