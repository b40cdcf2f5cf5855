"""repository credentials

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repository_credentials_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('repository_credentials_encrypted', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('repository_credentials_encrypted')
        batch_op.drop_column('repository_credentials_kind')
