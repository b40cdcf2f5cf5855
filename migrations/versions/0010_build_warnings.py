"""build warnings: what a build could not do as asked (a nearest Python, a skipped package, a failed PDF)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_column('warnings')
