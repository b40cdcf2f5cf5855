"""notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:55:00.000000

"""
from alembic import op
import sqlalchemy as sa
import app.models.base


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('build_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('format_values', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('dismissable', sa.Boolean(), nullable=False),
    sa.Column('news', sa.Boolean(), nullable=False),
    sa.Column('created', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('modified', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.id'], name=op.f('fk_notifications_build_id_builds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_notifications_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_build_id'), ['build_id'], unique=False)
        batch_op.create_index('ix_notifications_project_build', ['project_id', 'build_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_project_build')
        batch_op.drop_index(batch_op.f('ix_notifications_build_id'))

    op.drop_table('notifications')
