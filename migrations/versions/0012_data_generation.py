"""data generation: the counter every committed write moves, in the same transaction

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('data_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_generation'))
    )
    op.bulk_insert(table, [{'id': 1, 'value': 1}])


def downgrade():
    op.drop_table('data_generation')
