"""issued documents: number register, report draft/sign/issue

Revision ID: c12d0c5e1a01
Revises: a15c0ffee002
Create Date: 2026-12-02 03:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c12d0c5e1a01'
down_revision = 'a15c0ffee002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doc_state', sa.String(length=10), server_default='draft', nullable=False))
        batch_op.add_column(sa.Column('signed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('signer_name', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('signed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('issued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('doc_date', sa.Date(), nullable=True))
        batch_op.create_foreign_key('fk_report_signed_by', 'ab_user', ['signed_by_id'], ['id'])
    op.create_table(
        'issued_number',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('subject_key', sa.String(length=60), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('prefix', 'year', 'seq', name='uq_issued_number_series'),
        sa.UniqueConstraint('kind', 'subject_key', name='uq_issued_number_subject'),
    )


def downgrade():
    op.drop_table('issued_number')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_constraint('fk_report_signed_by', type_='foreignkey')
        for column in ('doc_date', 'issued_at', 'signed_at', 'signer_name', 'signed_by_id', 'doc_state'):
            batch_op.drop_column(column)
