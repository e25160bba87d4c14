"""add assignment plans and expert daily rates (batch assignment and teams, issue 17)

A plan is a batch of cases (or one case's team) solved at once by a background job, reviewed
and applied; each item keeps the case version it was planned on, so a stale plan is refused.
Experts gain an optional daily rate for team budgets.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:14:53.914048

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignment_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('uncovered', sa.JSON(), nullable=True),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_assignment_plans_applied_by_id_users')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_assignment_plans_centre_id_centres')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assignment_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_assignment_plans_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_plans'))
    )
    with op.batch_alter_table('assignment_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_plans_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_plans_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('assignment_plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_version', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('fit', sa.Double(), nullable=True),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.JSON(), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=True),
    sa.Column('greedy_expert_id', sa.Integer(), nullable=True),
    sa.Column('greedy_fit', sa.Double(), nullable=True),
    sa.Column('included', sa.Boolean(), nullable=False),
    sa.Column('adjusted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_cases.id'], name=op.f('fk_assignment_plan_items_case_id_dispute_cases')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert_profiles.id'], name=op.f('fk_assignment_plan_items_expert_id_expert_profiles')),
    sa.ForeignKeyConstraint(['greedy_expert_id'], ['expert_profiles.id'], name=op.f('fk_assignment_plan_items_greedy_expert_id_expert_profiles')),
    sa.ForeignKeyConstraint(['plan_id'], ['assignment_plans.id'], name=op.f('fk_assignment_plan_items_plan_id_assignment_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_plan_items'))
    )
    with op.batch_alter_table('assignment_plan_items', schema=None) as batch_op:
        batch_op.create_index('ix_plan_items_plan_case', ['plan_id', 'case_id'], unique=False)

    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_rate', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.drop_column('daily_rate')

    with op.batch_alter_table('assignment_plan_items', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_items_plan_case')

    op.drop_table('assignment_plan_items')
    with op.batch_alter_table('assignment_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_plans_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_plans_centre_id'))

    op.drop_table('assignment_plans')
