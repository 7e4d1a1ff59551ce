"""document notifications: case_id nullable, report_id, natural key of a delivered document

Revision ID: c12d0c5e1a02
Revises: d13c0de0005e
Create Date: 2026-12-02 05:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c12d0c5e1a02'
down_revision = 'd13c0de0005e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_notification_report', 'report', ['report_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint('ck_notification_subject',
                                         'case_id IS NOT NULL OR report_id IS NOT NULL')
    op.create_index('uq_notification_document', 'notification', ['kind', 'recipient_id', 'source_key'],
                    unique=True, postgresql_where=sa.text('case_id IS NULL'),
                    sqlite_where=sa.text('case_id IS NULL'))


def downgrade():
    # Document notifications have no case: they cannot live in the older schema.
    op.execute("DELETE FROM notification WHERE case_id IS NULL")
    op.drop_index('uq_notification_document', table_name='notification')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('ck_notification_subject', type_='check')
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('fk_notification_report', type_='foreignkey')
        batch_op.drop_column('report_id')
