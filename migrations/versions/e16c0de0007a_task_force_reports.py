"""task-force submissions (专班报送: 亮点, 难点堵点, 下步计划 per dekad/month); their reminder is a
notification with neither case nor report

Revision ID: e16c0de0007a
Revises: a12b0c0de001
Create Date: 2026-12-02 06:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e16c0de0007a'
down_revision = 'a12b0c0de001'
branch_labels = None
depends_on = None

OLD_SUBJECT = "case_id IS NOT NULL OR report_id IS NOT NULL"
NEW_SUBJECT = "case_id IS NOT NULL OR report_id IS NOT NULL OR kind = 'task_force_report_due'"


def upgrade():
    op.create_table(
        'task_force_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('period_key', sa.String(length=20), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('highlights', sa.Text(), nullable=False),
        sa.Column('difficulties', sa.Text(), nullable=False),
        sa.Column('next_steps', sa.Text(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('dekad', 'monthly')", name='ck_task_force_report_kind'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'period_key', 'department_id', name='uq_task_force_report_period'),
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('ck_notification_subject', type_='check')
        batch_op.create_check_constraint('ck_notification_subject', NEW_SUBJECT)


def downgrade():
    op.execute("DELETE FROM notification WHERE case_id IS NULL AND report_id IS NULL")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('ck_notification_subject', type_='check')
        batch_op.create_check_constraint('ck_notification_subject', OLD_SUBJECT)
    op.drop_table('task_force_report')
