"""search index: one row per section or API object of a published page, with the engine's index

SQLite gets an FTS5 table over the rows (kept in step by triggers), PostgreSQL a tsvector column under
a GIN index. The lead re-chains down_revision to "0013" at merge (written in parallel with 0013).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql



#: As app/models/search.py creates them for the tests' create_all (kept here as they were at 0014).
SQLITE_FTS_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, content, page_title, content='search_sections', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_sections_ai AFTER INSERT ON search_sections BEGIN "
    "INSERT INTO search_fts(rowid, title, content, page_title) "
    "VALUES (new.id, new.title, new.content, new.page_title); END",
    "CREATE TRIGGER search_sections_ad AFTER DELETE ON search_sections BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, content, page_title) "
    "VALUES ('delete', old.id, old.title, old.content, old.page_title); END",
)
SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS search_sections_ad",
    "DROP TRIGGER IF EXISTS search_sections_ai",
    "DROP TABLE IF EXISTS search_fts",
)
# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('page_title', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('anchor', sa.String(length=500), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('rank', sa.SmallInteger(), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_search_sections_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_search_sections_version_id_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_sections'))
    )
    with op.batch_alter_table('search_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_sections_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_search_sections_version_path', ['version_id', 'path'], unique=False)
    op.create_index('ix_search_sections_document', 'search_sections', ['document'], unique=False,
                    postgresql_using='gin')
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_FTS_CREATE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_FTS_DROP:
            op.execute(statement)
    op.drop_index('ix_search_sections_document', table_name='search_sections', postgresql_using='gin')
    with op.batch_alter_table('search_sections', schema=None) as batch_op:
        batch_op.drop_index('ix_search_sections_version_path')
        batch_op.drop_index(batch_op.f('ix_search_sections_project_id'))
    op.drop_table('search_sections')
