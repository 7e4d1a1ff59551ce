"""evaluation as data: scheme versions, office scores, results with their facts

The office's three typed numbers (table `evaluation`) become office scores of the 三评 and
三比 criteria (scaled to the default scheme's weights; 三看 is now computed), then the old
table goes. Downgrade recreates it empty.

Revision ID: d12e7a1c0b01
Revises: d11c0de0004d
Create Date: 2026-12-02 05:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd12e7a1c0b01'
down_revision = 'd11c0de0004d'
branch_labels = None
depends_on = None

# The default scheme's office-scored criteria and their weights (workflows.evaluation).
OLD_COLUMNS = {
    'ping_score': (('ping.results', 10), ('ping.duty', 10), ('ping.hard_problems', 10)),
    'bi_score': (('bi.drive', 7), ('bi.performance', 7), ('bi.conduct', 6)),
}


def upgrade():
    op.create_table(
        'evaluation_scheme',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('rules', sa.JSON(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
    )
    op.create_table(
        'evaluation_score',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_key', sa.String(length=20), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('criterion', sa.String(length=60), nullable=False),
        sa.Column('scorer_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('scored_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['scorer_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('period_key', 'department_id', 'criterion', 'scorer_id', name='uq_evaluation_score'),
    )
    op.create_index('ix_evaluation_score_period', 'evaluation_score', ['period_key', 'department_id'])
    op.create_table(
        'evaluation_result',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('period_key', sa.String(length=20), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('group_key', sa.String(length=30), nullable=False),
        sa.Column('scheme_version', sa.Integer(), nullable=False),
        sa.Column('kan', sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column('ping', sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column('bi', sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column('total', sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['published_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('plan_id', 'period_key', 'department_id', name='uq_evaluation_result'),
    )
    op.create_index('ix_evaluation_result_period', 'evaluation_result', ['period_key', 'plan_id'])
    for column, criteria in OLD_COLUMNS.items():
        for n, (criterion, weight) in enumerate(criteria):
            comment = "remarks" if n == 0 and column == 'ping_score' else "''"
            op.execute(
                "INSERT INTO evaluation_score (period_key, department_id, criterion, scorer_id, score, comment,"
                " scored_at) SELECT period_key, department_id, '" + criterion + "', scored_by_id,"
                f" ROUND(CASE WHEN {column} > 100 THEN 100 ELSE {column} END * {weight} / 100.0, 1), {comment}, scored_at"
                " FROM evaluation WHERE scored_by_id IS NOT NULL"
            )
    op.drop_table('evaluation')


def downgrade():
    op.create_table(
        'evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_key', sa.String(length=20), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('kan_score', sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column('ping_score', sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column('bi_score', sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column('remarks', sa.Text(), nullable=False),
        sa.Column('scored_by_id', sa.Integer(), nullable=True),
        sa.Column('scored_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['scored_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('period_key', 'department_id', name='uq_evaluation_period_department'),
    )
    op.drop_index('ix_evaluation_result_period', table_name='evaluation_result')
    op.drop_table('evaluation_result')
    op.drop_index('ix_evaluation_score_period', table_name='evaluation_score')
    op.drop_table('evaluation_score')
    op.drop_table('evaluation_scheme')
