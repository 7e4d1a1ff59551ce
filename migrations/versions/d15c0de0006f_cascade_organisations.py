"""the cascade: organisations (city → district → township), plan parents, indicator contributions (issue 11)

Revision ID: d15c0de0006f
Revises: c12d0c5e1a02
Create Date: 2026-12-02 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd15c0de0006f'
down_revision = 'c12d0c5e1a02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('province', 'city', 'district', 'township', 'street')",
                           name='ck_organisation_kind'),
        sa.ForeignKeyConstraint(['parent_id'], ['organisation.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_department_organisation', 'organisation', ['organisation_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_plan_parent', 'plan', ['parent_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_plan_organisation', 'organisation', ['organisation_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contributes_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_indicator_contributes_to', 'indicator', ['contributes_to_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index('ix_indicator_contributes_to_id', ['contributes_to_id'], unique=False)


def downgrade():
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_contributes_to_id')
        batch_op.drop_constraint('fk_indicator_contributes_to', type_='foreignkey')
        batch_op.drop_column('contributes_to_id')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_constraint('fk_plan_organisation', type_='foreignkey')
        batch_op.drop_constraint('fk_plan_parent', type_='foreignkey')
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('parent_id')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_constraint('fk_department_organisation', type_='foreignkey')
        batch_op.drop_column('organisation_id')
    op.drop_table('organisation')
