"""custom domains: a project's docs on a host of its own, at most one canonical per project

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('canonical', sa.Boolean(), nullable=False),
    sa.Column('https', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_domains_project_id_projects'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domains')),
    sa.UniqueConstraint('domain', name=op.f('uq_domains_domain'))
    )
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domains_project_id'), ['project_id'], unique=False)
        batch_op.create_index('uq_domains_one_canonical', ['project_id'], unique=True,
                              sqlite_where=sa.text('canonical'), postgresql_where=sa.text('canonical'))


def downgrade():
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_index('uq_domains_one_canonical', sqlite_where=sa.text('canonical'),
                            postgresql_where=sa.text('canonical'))
        batch_op.drop_index(batch_op.f('ix_domains_project_id'))
    op.drop_table('domains')
