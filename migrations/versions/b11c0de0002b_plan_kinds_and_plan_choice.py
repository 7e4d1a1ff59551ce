"""plan kinds, an implementation plan's action, and each user's chosen plan

Revision ID: b11c0de0002b
Revises: b5e1a7c3d902
Create Date: 2026-12-02 02:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b11c0de0002b'
down_revision = 'b5e1a7c3d902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(20), nullable=False, server_default='overall'))
        batch_op.add_column(sa.Column('action_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_plan_action', 'action', ['action_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            'ck_plan_kind', "kind IN ('overall', 'implementation', 'livelihood', 'meeting')")
    op.create_table(
        'plan_choice',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('ab_user.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('plan_id', sa.Integer(), sa.ForeignKey('plan.id', ondelete='CASCADE'), nullable=True),
    )


def downgrade():
    op.drop_table('plan_choice')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_constraint('ck_plan_kind', type_='check')
        batch_op.drop_constraint('fk_plan_action', type_='foreignkey')
        batch_op.drop_column('action_id')
        batch_op.drop_column('kind')
