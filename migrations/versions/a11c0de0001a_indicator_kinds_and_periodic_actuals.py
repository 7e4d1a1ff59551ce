"""indicator kinds, responsible unit, frequency, baseline; actuals per statistical period

Revision ID: a11c0de0001a
Revises: a4c1e9d2f7b3
Create Date: 2026-12-02 01:50:00

Existing actuals get the local month (Asia/Shanghai) they were recorded in as their period;
existing indicators get their kind from loading the plan again (`flask plan load`), and
`cumulative` until then.
"""
import sqlalchemy as sa
from alembic import op

revision = 'a11c0de0001a'
down_revision = 'a4c1e9d2f7b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Numeric(18, 4), nullable=True)
        batch_op.add_column(sa.Column('kind', sa.String(12), nullable=False, server_default='cumulative'))
        batch_op.add_column(sa.Column('responsible_department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('frequency', sa.String(10), nullable=False, server_default='monthly'))
        batch_op.add_column(sa.Column('baseline', sa.Numeric(18, 4), nullable=True))
        batch_op.add_column(sa.Column('schedule', sa.JSON(), nullable=True))
        batch_op.create_foreign_key('fk_indicator_responsible_department', 'department',
                                    ['responsible_department_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            'ck_indicator_kind', "kind IN ('growth', 'cumulative', 'level', 'ceiling', 'qualitative')")
        batch_op.create_check_constraint(
            'ck_indicator_frequency', "frequency IN ('monthly', 'quarterly', 'yearly')")
        batch_op.create_check_constraint('ck_indicator_value', "value IS NOT NULL OR kind = 'qualitative'")

    with op.batch_alter_table('indicator_actual', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Numeric(18, 4), nullable=True)
        batch_op.add_column(sa.Column('period', sa.String(7), nullable=True))
        batch_op.add_column(sa.Column('judgement', sa.String(12), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('source', sa.String(100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_indicator_actual_author', 'ab_user', ['author_id'], ['id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE indicator_actual SET period = to_char(recorded_at + interval '8 hours', 'YYYY-MM')")
    else:
        op.execute("UPDATE indicator_actual SET period = strftime('%Y-%m', recorded_at, '+8 hours')")
    with op.batch_alter_table('indicator_actual', schema=None) as batch_op:
        batch_op.alter_column('period', existing_type=sa.String(7), nullable=False)
        batch_op.create_check_constraint(
            'ck_actual_judgement', "judgement IS NULL OR judgement IN ('done', 'mostly_done', 'not_done')")
        batch_op.create_check_constraint('ck_actual_value', 'value IS NOT NULL OR judgement IS NOT NULL')
        batch_op.create_index('ix_actual_indicator_period', ['indicator_id', 'period', 'recorded_at'])


def downgrade():
    with op.batch_alter_table('indicator_actual', schema=None) as batch_op:
        batch_op.drop_index('ix_actual_indicator_period')
        batch_op.drop_constraint('ck_actual_value', type_='check')
        batch_op.drop_constraint('ck_actual_judgement', type_='check')
        batch_op.drop_constraint('fk_indicator_actual_author', type_='foreignkey')
        for column in ('author_id', 'source', 'note', 'judgement', 'period'):
            batch_op.drop_column(column)
    op.execute("DELETE FROM indicator_actual WHERE value IS NULL")
    with op.batch_alter_table('indicator_actual', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Numeric(18, 4), nullable=False)
    op.execute("DELETE FROM indicator WHERE value IS NULL")
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_constraint('ck_indicator_value', type_='check')
        batch_op.drop_constraint('ck_indicator_frequency', type_='check')
        batch_op.drop_constraint('ck_indicator_kind', type_='check')
        batch_op.drop_constraint('fk_indicator_responsible_department', type_='foreignkey')
        for column in ('schedule', 'baseline', 'frequency', 'responsible_department_id', 'kind'):
            batch_op.drop_column(column)
        batch_op.alter_column('value', existing_type=sa.Numeric(18, 4), nullable=False)
