"""build log chunks: the log as an append-only stream (log.txt?offset=N)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('build_log_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('build_id', sa.Integer(), nullable=False),
    sa.Column('command_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.id'], name=op.f('fk_build_log_chunks_build_id_builds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['command_id'], ['build_commands.id'], name=op.f('fk_build_log_chunks_command_id_build_commands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_build_log_chunks')),
    sa.UniqueConstraint('build_id', 'start', name='uq_build_log_chunks_build_id_start')
    )
    with op.batch_alter_table('build_log_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_build_log_chunks_command_id'), ['command_id'], unique=False)


def downgrade():
    with op.batch_alter_table('build_log_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_build_log_chunks_command_id'))
    op.drop_table('build_log_chunks')
