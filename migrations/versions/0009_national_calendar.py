"""The national calendar (China's days off and make-up working days, 调休) shared by every
office, and open days among an office's own exceptions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa



revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('national_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.CheckConstraint("kind IN ('off', 'work')", name=op.f('ck_national_days_kind_known')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_national_days'))
    )
    with op.batch_alter_table('holidays', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_open', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('holidays', schema=None) as batch_op:
        batch_op.drop_column('is_open')
    op.drop_table('national_days')
