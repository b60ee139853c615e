"""Volumes (issue 14): items handled per office and month (the month's first day), the
denominator of the rates per million items. No row means no figure yet.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 11:16:57

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('office_volumes',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('items', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('items >= 0', name=op.f('ck_office_volumes_items_not_negative')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_office_volumes_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_office_volumes_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('office_id', 'month', name=op.f('pk_office_volumes'))
    )


def downgrade():
    op.drop_table('office_volumes')
