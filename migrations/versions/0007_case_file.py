"""The postal case file: category becomes what went wrong (the regulator's terms), the root
cause of a substantiated ticket is recorded apart from it, postal items, attachments.

Existing tickets: an old factor category becomes the root cause where the ticket was found
substantiated (hardware only where no clerk was attributed: hardware means nobody at the
counter is at fault, and the attribution behind past scorecards is kept); the new category is
`counter` (counter service) for old `attitude` tickets and `other` for the rest.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_CATEGORIES = ('attitude', 'skill', 'responsibility', 'hardware', 'management', 'highlights', 'complaints',
                  'errors')
CATEGORIES = ('delay', 'loss', 'damage', 'delivery', 'acceptance', 'charges', 'cod', 'counter', 'other')
ROOT_CAUSES = ('attitude', 'skill', 'responsibility', 'hardware', 'management')
PRODUCTS = ('letter', 'registered', 'printed', 'parcel', 'ems', 'express', 'remittance', 'other')
NO_CLERK_FOR_HARDWARE = "root_cause IS NULL OR root_cause <> 'hardware' OR attributed_clerk_id IS NULL"


def _in(values):
    return ', '.join(f"'{v}'" for v in values)


def upgrade():
    # 1. Room for both: the root cause column, and the category freed of its old values.
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('root_cause', sa.String(length=14), nullable=True))
        batch_op.drop_constraint(op.f('ck_tickets_category'), type_='check')
    # 2. Carry the tickets over.
    op.execute("UPDATE tickets SET root_cause = category WHERE finding = 'substantiated' "
               f"AND category IN ({_in(r for r in ROOT_CAUSES if r != 'hardware')})")
    op.execute("UPDATE tickets SET root_cause = 'hardware' WHERE finding = 'substantiated' "
               "AND category = 'hardware' AND attributed_clerk_id IS NULL")
    op.execute("UPDATE tickets SET category = CASE WHEN category = 'attitude' THEN 'counter' ELSE 'other' END")
    # 3. The new rules.
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=14),
                              type_=sa.Enum(*CATEGORIES, name='category', native_enum=False,
                                            create_constraint=True),
                              nullable=False, server_default='other')
        batch_op.alter_column('root_cause', existing_type=sa.String(length=14),
                              type_=sa.Enum(*ROOT_CAUSES, name='root_cause', native_enum=False,
                                            create_constraint=True),
                              existing_nullable=True)
        batch_op.create_check_constraint('no_clerk_for_hardware', NO_CLERK_FOR_HARDWARE)

    op.create_table('ticket_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('product', sa.Enum(*PRODUCTS, name='product', native_enum=False, create_constraint=True),
              nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_items_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_items')),
    sa.UniqueConstraint('ticket_id', 'number', name='uq_ticket_items_ticket_number')
    )
    with op.batch_alter_table('ticket_items', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_items_number', ['number', 'ticket_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=100), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('has_script', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('redacted_by_id', sa.Integer(), nullable=True),
    sa.Column('redaction_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('size >= 0', name=op.f('ck_attachments_size_not_negative')),
    sa.ForeignKeyConstraint(['redacted_by_id'], ['users.id'], name=op.f('fk_attachments_redacted_by_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_attachments_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_ticket_id', ['ticket_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_ticket_id')
    op.drop_table('attachments')
    with op.batch_alter_table('ticket_items', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_items_number')
    op.drop_table('ticket_items')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_tickets_no_clerk_for_hardware'), type_='check')
        batch_op.drop_constraint(op.f('ck_tickets_category'), type_='check')
        batch_op.drop_constraint(op.f('ck_tickets_root_cause'), type_='check')
        # Room for the old values first: most tickets have no root cause and get no category back.
        batch_op.alter_column('category', existing_type=sa.String(length=10), type_=sa.String(length=14),
                              nullable=True, server_default=None)
    # The old category was the factor: the root cause where there is one, else unknown.
    op.execute("UPDATE tickets SET category = root_cause")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=14),
                              type_=sa.Enum(*OLD_CATEGORIES, name='category', native_enum=False,
                                            create_constraint=True),
                              existing_nullable=True)
        batch_op.drop_column('root_cause')
