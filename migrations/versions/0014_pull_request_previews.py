"""Pull-request previews: where an external version came from, when it closed; the PR a build was for;
the token an integration reports commit statuses with; each build's site manifest

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_url', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('external_repo', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('external_integration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('external_closed', app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_versions_external_integration_id_integrations'),
                                    'integrations', ['external_integration_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_url', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('manifest', sa.JSON(), nullable=True))
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_token_encrypted', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.drop_column('status_token_encrypted')
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_column('manifest')
        batch_op.drop_column('external_url')
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_versions_external_integration_id_integrations'),
                                 type_='foreignkey')
        batch_op.drop_column('external_closed')
        batch_op.drop_column('external_integration_id')
        batch_op.drop_column('external_repo')
        batch_op.drop_column('external_url')
