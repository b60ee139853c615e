"""An index on tickets (office_id, occurred_at): a month's tickets of many offices at once, as a
region's scorecards read them (negatives by root cause and the customers' gap per office), without
walking every month of each office's tickets.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 13:20:00

"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_office_occurred', ['office_id', 'occurred_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_office_occurred')
