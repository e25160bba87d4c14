"""add referrals, risk warnings and suggestion dismissals (the response network, issue 8)

Referrals move a case between centres (services.access opens pending and accepted ones to
the receiving centre); risk warnings carry their targets as JSON lists of codes; dismissals
remember which cluster suggestion a centre set aside and at what size.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 11:54:51.435923

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('risk_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('industries', sa.JSON(), nullable=False),
    sa.Column('countries', sa.JSON(), nullable=False),
    sa.Column('forums', sa.JSON(), nullable=False),
    sa.Column('dispute_types', sa.JSON(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('suggestion_key', sa.String(length=64), nullable=True),
    sa.Column('suggestion_cases', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_risk_warnings_centre_id_centres')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_risk_warnings_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_warnings'))
    )
    with op.batch_alter_table('risk_warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_warnings_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_warnings_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_warnings_suggestion_key'), ['suggestion_key'], unique=False)

    op.create_table('suggestion_dismissals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_key', sa.String(length=64), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('case_count', sa.Integer(), nullable=False),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_suggestion_dismissals_centre_id_centres')),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'], name=op.f('fk_suggestion_dismissals_dismissed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_dismissals'))
    )
    with op.batch_alter_table('suggestion_dismissals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_dismissals_suggestion_key'), ['suggestion_key'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_centre_id', sa.Integer(), nullable=True),
    sa.Column('to_centre_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('response_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_cases.id'], name=op.f('fk_referrals_case_id_dispute_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_referrals_created_by_id_users')),
    sa.ForeignKeyConstraint(['from_centre_id'], ['centres.id'], name=op.f('fk_referrals_from_centre_id_centres')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_referrals_responded_by_id_users')),
    sa.ForeignKeyConstraint(['to_centre_id'], ['centres.id'], name=op.f('fk_referrals_to_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_referrals_to_centre_status', ['to_centre_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_to_centre_status')
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('suggestion_dismissals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_dismissals_suggestion_key'))

    op.drop_table('suggestion_dismissals')
    with op.batch_alter_table('risk_warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_warnings_suggestion_key'))
        batch_op.drop_index(batch_op.f('ix_risk_warnings_published_at'))
        batch_op.drop_index(batch_op.f('ix_risk_warnings_centre_id'))

    op.drop_table('risk_warnings')
