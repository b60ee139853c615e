"""Deadlines carry their ticket's office (a ticket never changes office), indexed with the ended and
the running clocks: a region's dashboard and a province supervisor's figures read a range of
clocks per office instead of probing the clocks of each ticket of a thousand offices.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 17:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
    op.execute("UPDATE deadlines SET office_id = (SELECT t.office_id FROM tickets t WHERE t.id = deadlines.ticket_id)")
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.alter_column('office_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_deadlines_office_id_offices'), 'offices', ['office_id'], ['id'])
        batch_op.create_index('ix_deadlines_office_ended', ['office_id', 'ended_at', 'outcome', 'clock'],
                              postgresql_where=sa.text('ended_at IS NOT NULL'),
                              sqlite_where=sa.text('ended_at IS NOT NULL'))
        batch_op.create_index('ix_deadlines_office_open', ['office_id', 'due_at', 'clock'],
                              postgresql_where=sa.text('ended_at IS NULL'),
                              sqlite_where=sa.text('ended_at IS NULL'))


def downgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_office_open', postgresql_where=sa.text('ended_at IS NULL'),
                            sqlite_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index('ix_deadlines_office_ended', postgresql_where=sa.text('ended_at IS NOT NULL'),
                            sqlite_where=sa.text('ended_at IS NOT NULL'))
        batch_op.drop_constraint(batch_op.f('fk_deadlines_office_id_offices'), type_='foreignkey')
        batch_op.drop_column('office_id')
