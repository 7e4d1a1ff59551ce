"""case search: trigram indexes (PostgreSQL) and saved filters per user

Revision ID: a4c1e9d2f7b3
Revises: 3d2b31259322
Create Date: 2026-12-02 01:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a4c1e9d2f7b3'
down_revision = '3d2b31259322'
branch_labels = None
depends_on = None

# Substring search (ILIKE '%word%') on these columns uses a pg_trgm GIN index.
TRIGRAM_INDEXES = {
    "ix_case_title_trgm": ("case", "title"),
    "ix_case_text_trgm": ("case", "text"),
    "ix_department_name_trgm": ("department", "name"),
}


def upgrade():
    op.create_table(
        'saved_filter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('list_name', sa.String(length=60), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'list_name', 'name', name='uq_saved_filter_user_list_name'),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite: LIKE without an index (small installations)
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. Where
    # it cannot be had, search still works (sequential ILIKE), so do not fail the upgrade.
    available = bind.execute(sa.text(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar()
    if not available:
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        savepoint.commit()
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return
    for name, (table, column) in TRIGRAM_INDEXES.items():
        op.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" USING gin ("{column}" gin_trgm_ops)'
        )


def downgrade():
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_table('saved_filter')
