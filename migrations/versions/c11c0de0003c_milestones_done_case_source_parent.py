"""milestones reported done (by whom, with a note); a case's source and parent case

Revision ID: c11c0de0003c
Revises: b11c0de0002b
Create Date: 2026-12-02 02:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c11c0de0003c'
down_revision = 'b11c0de0002b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('done_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key('fk_milestone_done_by', 'ab_user', ['done_by_id'], ['id'])
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_case_parent', 'case', ['parent_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_case_parent_id', ['parent_id'])


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_parent_id')
        batch_op.drop_constraint('fk_case_parent', type_='foreignkey')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('source')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_constraint('fk_milestone_done_by', type_='foreignkey')
        batch_op.drop_column('done_note')
        batch_op.drop_column('done_by_id')
