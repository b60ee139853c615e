"""Regions, improvement actions and commendations (issue 14): the tree of regions with its closure
table (region_links) and who covers which region (user_regions), offices placed in it; the actions a
supervisor records against a clerk's factor; the commendation kind of ticket (表扬) and the setting
that may make each verified one add highlight points.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 12:23:44.686491

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

KIND_TABLES = ('tickets', 'sla_policies', 'reply_policies')
OLD_KINDS = ('complaint', 'error')
NEW_KINDS = ('complaint', 'error', 'commendation')


def _kind(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='kind', native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def upgrade():
    op.create_table('regions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_regions_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['regions.id'], name=op.f('fk_regions_parent_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions')),
    sa.UniqueConstraint('code', name=op.f('uq_regions_code'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_parent_id'), ['parent_id'], unique=False)

    op.create_table('region_links',
    sa.Column('ancestor_id', sa.Integer(), nullable=False),
    sa.Column('descendant_id', sa.Integer(), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.CheckConstraint('depth >= 0', name=op.f('ck_region_links_depth_not_negative')),
    sa.ForeignKeyConstraint(['ancestor_id'], ['regions.id'], name=op.f('fk_region_links_ancestor_id_regions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['descendant_id'], ['regions.id'], name=op.f('fk_region_links_descendant_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ancestor_id', 'descendant_id', name=op.f('pk_region_links'))
    )
    with op.batch_alter_table('region_links', schema=None) as batch_op:
        batch_op.create_index('ix_region_links_descendant', ['descendant_id', 'depth'], unique=False)

    op.create_table('user_regions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_user_regions_region_id_regions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_regions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'region_id', name=op.f('pk_user_regions'))
    )
    with op.batch_alter_table('user_regions', schema=None) as batch_op:
        batch_op.create_index('ix_user_regions_region', ['region_id'], unique=False)

    op.create_table('improvement_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clerk_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('factor', sa.Enum('attitude', 'skill', 'responsibility', 'hardware', 'management', 'highlights', 'complaints', 'errors', name='factor', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('action', sa.Enum('training', 'coaching', 'counter_change', 'other', name='action', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('start_month', sa.String(length=7), nullable=False),
    sa.Column('review_month', sa.String(length=7), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('review_month > start_month', name=op.f('ck_improvement_actions_review_after_start')),
    sa.ForeignKeyConstraint(['clerk_id'], ['users.id'], name=op.f('fk_improvement_actions_clerk_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_improvement_actions_created_by_id_users')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_improvement_actions_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_actions'))
    )
    with op.batch_alter_table('improvement_actions', schema=None) as batch_op:
        batch_op.create_index('ix_improvement_actions_clerk', ['clerk_id', 'start_month'], unique=False)
        batch_op.create_index('ix_improvement_actions_office_review', ['office_id', 'review_month'], unique=False)

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_offices_region_id'), ['region_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_offices_region_id_regions'), 'regions', ['region_id'], ['id'])

    with op.batch_alter_table('score_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commendation_points', sa.Integer(), server_default='0', nullable=False))

    # The kind's CHECK constraint names the kinds: drop it, then the new type brings the new one.
    for table in KIND_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('kind', existing_type=sa.VARCHAR(length=9), type_=_kind(NEW_KINDS),
                                  existing_nullable=False)



def downgrade():
    # Commendations have no place in the older schema: they go, with what hangs on them.
    doomed = "SELECT id FROM tickets WHERE kind = 'commendation'"
    op.execute(f"UPDATE tickets SET duplicate_of_id = NULL WHERE duplicate_of_id IN ({doomed})")
    op.execute(f"UPDATE tickets SET appeal_of_id = NULL WHERE appeal_of_id IN ({doomed})")
    op.execute(f"DELETE FROM ticket_events WHERE ticket_id IN ({doomed})")
    op.execute(f"DELETE FROM ticket_items WHERE ticket_id IN ({doomed})")
    op.execute(f"DELETE FROM compensations WHERE ticket_id IN ({doomed})")
    op.execute(f"DELETE FROM tickets WHERE kind = 'commendation'")
    op.execute("DELETE FROM sla_policies WHERE kind = 'commendation'")
    op.execute("DELETE FROM reply_policies WHERE kind = 'commendation'")
    for table in KIND_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('kind', existing_type=sa.String(length=12), type_=_kind(OLD_KINDS),
                                  existing_nullable=False)

    with op.batch_alter_table('score_settings', schema=None) as batch_op:
        batch_op.drop_column('commendation_points')

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_offices_region_id_regions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_offices_region_id'))
        batch_op.drop_column('region_id')

    with op.batch_alter_table('improvement_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_improvement_actions_office_review')
        batch_op.drop_index('ix_improvement_actions_clerk')

    op.drop_table('improvement_actions')
    with op.batch_alter_table('user_regions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_regions_region')

    op.drop_table('user_regions')
    with op.batch_alter_table('region_links', schema=None) as batch_op:
        batch_op.drop_index('ix_region_links_descendant')

    op.drop_table('region_links')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_parent_id'))

    op.drop_table('regions')
