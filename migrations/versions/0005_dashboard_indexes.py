"""Indexes for a million tickets: the supervisor's queue, the dashboard (tickets by creation time
overall and per office, open tickets per office, clocks ended this month).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_office_id', ['office_id', 'id'], unique=False)
        batch_op.create_index('ix_tickets_office_kind_id', ['office_id', 'kind', 'id'], unique=False)
        batch_op.create_index('ix_tickets_created', ['created_at', 'kind', 'category'], unique=False)
        batch_op.create_index('ix_tickets_office_created', ['office_id', 'created_at', 'kind', 'category'],
                              unique=False)
        batch_op.create_index('ix_tickets_state_office', ['state', 'office_id'], unique=False)
        batch_op.create_index('ix_tickets_logged_by', ['logged_by_id', 'created_at'], unique=False)
        batch_op.create_index('ix_tickets_state_resolved', ['state', 'resolved_at'], unique=False)
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_ended_outcome', ['ended_at', 'outcome'], unique=False,
                              postgresql_where=sa.text('ended_at IS NOT NULL'),
                              sqlite_where=sa.text('ended_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_ended_outcome',
                            postgresql_where=sa.text('ended_at IS NOT NULL'),
                            sqlite_where=sa.text('ended_at IS NOT NULL'))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_state_resolved')
        batch_op.drop_index('ix_tickets_logged_by')
        batch_op.drop_index('ix_tickets_state_office')
        batch_op.drop_index('ix_tickets_office_created')
        batch_op.drop_index('ix_tickets_created')
        batch_op.drop_index('ix_tickets_office_kind_id')
        batch_op.drop_index('ix_tickets_office_id')
