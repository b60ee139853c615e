"""The customer and the regulator (issue 13): the statutory reply clock and its policies, regulator
appeals (channel, case number, deadline, reply, verdict, the complaint it escalated), customer
messages (consent, email, SMS in the outbox, one per ticket event and channel), the customer-facing
outcome, compensation in exact fen, and the office's phone and address.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 09:48:01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_policies',
    sa.Column('kind', sa.Enum('complaint', 'error', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('channel', sa.Enum('counter', 'phone', 'letter', 'online', 'hotline', 'regulator', name='channel', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('escalate_after_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('days >= 0 AND days <= 60', name=op.f('ck_reply_policies_days_range')),
    sa.CheckConstraint('escalate_after_days >= 0 AND escalate_after_days <= 30', name=op.f('ck_reply_policies_escalation_range')),
    sa.PrimaryKeyConstraint('kind', 'channel', name=op.f('pk_reply_policies'))
    )
    op.create_table('compensations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('claimed', sa.BigInteger(), nullable=False),
    sa.Column('offered', sa.BigInteger(), nullable=False),
    sa.Column('basis', sa.Enum('insured', 'uninsured', 'goodwill', name='basis', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('offered', 'over_cap', 'approved', 'paid', 'refused', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payment_ref', sa.String(length=64), nullable=True),
    sa.Column('refused_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'paid' OR (paid_on IS NOT NULL AND payment_ref IS NOT NULL)", name=op.f('ck_compensations_paid_has_date_and_reference')),
    sa.CheckConstraint('claimed >= 0 AND offered >= 0', name=op.f('ck_compensations_amounts_not_negative')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_compensations_approved_by_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_compensations_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compensations')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_compensations_ticket_id'))
    )
    with op.batch_alter_table('compensations', schema=None) as batch_op:
        batch_op.create_index('ix_compensations_created', ['created_at'], unique=False)
        batch_op.create_index('ix_compensations_paid_on', ['paid_on'], unique=False, postgresql_where=sa.text('paid_on IS NOT NULL'), sqlite_where=sa.text('paid_on IS NOT NULL'))

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=5), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('event_seq', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_outbox_pending_due'), sqlite_where=sa.text("status = 'pending'"))
        batch_op.create_index('ix_outbox_pending_due', ['channel', 'next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.create_unique_constraint('uq_outbox_ticket_event_channel', ['ticket_id', 'event_seq', 'channel'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_ticket_id_tickets'), 'tickets', ['ticket_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_tickets_channel'), type_='check')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('customer_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('regulator_case', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('regulator_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('appeal_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('regulator_reply', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('regulator_replied_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('verdict', sa.Enum('valid', 'not_valid', name='verdict', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('verdict_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.Text(), nullable=True))
        batch_op.alter_column('channel',
               existing_type=sa.VARCHAR(length=7),
               type_=sa.Enum('counter', 'phone', 'letter', 'online', 'hotline', 'regulator', name='channel', native_enum=False, create_constraint=True),
               existing_nullable=False)
        batch_op.create_index('ix_tickets_appeal_of', ['appeal_of_id'], unique=False, postgresql_where=sa.text('appeal_of_id IS NOT NULL'), sqlite_where=sa.text('appeal_of_id IS NOT NULL'))
        batch_op.create_index('ix_tickets_appeals', ['office_id', 'created_at'], unique=False, postgresql_where=sa.text("channel = 'regulator'"), sqlite_where=sa.text("channel = 'regulator'"))
        batch_op.create_foreign_key(batch_op.f('fk_tickets_appeal_of_id_tickets'), 'tickets', ['appeal_of_id'], ['id'])
        batch_op.create_check_constraint('regulator_case_iff_appeal',
                                         "(channel = 'regulator') = (regulator_case IS NOT NULL)")
        batch_op.create_check_constraint('verdict_only_for_appeals', "verdict IS NULL OR channel = 'regulator'")

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_check_constraint('channel_known', "channel IN ('email', 'sms')")
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deadlines_clock_known'), type_='check')
        batch_op.create_check_constraint('clock_known', "clock IN ('triage', 'resolve', 'follow_up', 'reply')")


def downgrade():
    # The old schema knows neither reply clocks nor regulator appeals: appeals go back as hotline calls.
    op.execute("DELETE FROM deadlines WHERE clock = 'reply'")
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deadlines_clock_known'), type_='check')
        batch_op.create_check_constraint('clock_known', "clock IN ('triage', 'resolve', 'follow_up')")
    op.execute("DELETE FROM outbox WHERE channel <> 'email'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_channel_known'), type_='check')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_tickets_regulator_case_iff_appeal'), type_='check')
        batch_op.drop_constraint(op.f('ck_tickets_verdict_only_for_appeals'), type_='check')
        batch_op.drop_constraint(op.f('ck_tickets_verdict'), type_='check')
        batch_op.drop_constraint(op.f('ck_tickets_channel'), type_='check')
    op.execute("UPDATE tickets SET channel = 'hotline' WHERE channel = 'regulator'")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_appeal_of_id_tickets'), type_='foreignkey')
        batch_op.drop_index('ix_tickets_appeals', postgresql_where=sa.text("channel = 'regulator'"), sqlite_where=sa.text("channel = 'regulator'"))
        batch_op.drop_index('ix_tickets_appeal_of', postgresql_where=sa.text('appeal_of_id IS NOT NULL'), sqlite_where=sa.text('appeal_of_id IS NOT NULL'))
        batch_op.alter_column('channel', existing_type=sa.String(length=9),
               type_=sa.Enum('counter', 'phone', 'letter', 'online', 'hotline', name='channel', native_enum=False,
                             create_constraint=True),
               existing_nullable=False)
        batch_op.drop_column('outcome')
        batch_op.drop_column('verdict_at')
        batch_op.drop_column('verdict')
        batch_op.drop_column('regulator_replied_on')
        batch_op.drop_column('regulator_reply')
        batch_op.drop_column('appeal_of_id')
        batch_op.drop_column('regulator_due')
        batch_op.drop_column('regulator_case')
        batch_op.drop_column('customer_email')
        batch_op.drop_column('customer_consent')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_constraint('uq_outbox_ticket_event_channel', type_='unique')
        batch_op.drop_index('ix_outbox_pending_due', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.create_index(batch_op.f('ix_outbox_pending_due'), ['next_attempt_at'], unique=False, sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_column('event_seq')
        batch_op.drop_column('ticket_id')
        batch_op.drop_column('channel')

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('phone')

    with op.batch_alter_table('compensations', schema=None) as batch_op:
        batch_op.drop_index('ix_compensations_paid_on', postgresql_where=sa.text('paid_on IS NOT NULL'), sqlite_where=sa.text('paid_on IS NOT NULL'))
        batch_op.drop_index('ix_compensations_created')

    op.drop_table('compensations')
    op.drop_table('reply_policies')
