"""store what the intake reader inferred from each case's text (issue 16)

One row per case and field: the value read, its confidence and evidence words, and whether the
enterprise kept it or a person confirmed or corrected it (corrections are training data).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_inferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('evidence', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('corrected_value', sa.JSON(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'field', name='uq_case_inferences_case_field')
    )
    with op.batch_alter_table('case_inferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_inferences_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_inferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_inferences_case_id'))
    op.drop_table('case_inferences')
