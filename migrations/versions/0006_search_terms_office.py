"""Search terms carry their ticket's office, indexed (office, term, ticket): a supervisor's
search walks the terms of their offices only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('search_terms', sa.Column('office_id', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('UPDATE search_terms s SET office_id = t.office_id FROM tickets t WHERE t.id = s.ticket_id')
    else:
        op.execute('UPDATE search_terms SET office_id = '
                   '(SELECT office_id FROM tickets WHERE tickets.id = search_terms.ticket_id)')
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.alter_column('office_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_search_terms_office_term_ticket', ['office_id', 'term', 'ticket_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_office_term_ticket')
        batch_op.drop_column('office_id')
