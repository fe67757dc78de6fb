"""background jobs: reports and letter batches made by job workers, state in the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ACTIVE = "state IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table('background_job',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('output', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("kind IN ('city', 'district', 'pack', 'letters')",
                       name='background_job_kind'),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')",
                       name='background_job_state'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_background_job_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_background_job_survey_id'), ['survey_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_background_job_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_background_job_expires_at'), ['expires_at'],
                              unique=False)
        batch_op.create_index('background_job_one_active', ['user_id', 'survey_id', 'kind'],
                              unique=True, postgresql_where=sa.text(ACTIVE),
                              sqlite_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_table('background_job')
