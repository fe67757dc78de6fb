"""municipality legal texts and resident contact: Impressum, privacy notice, accessibility
statement (German and English), contact for questions, how to get a paper questionnaire

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = (
    ('imprint', sa.Text()),
    ('privacy_notice', sa.Text()),
    ('privacy_notice_en', sa.Text()),
    ('accessibility_statement', sa.Text()),
    ('accessibility_statement_en', sa.Text()),
    ('contact_name', sa.String(length=200)),
    ('contact_phone', sa.String(length=60)),
    ('contact_email', sa.String(length=254)),
    ('paper_questionnaire', sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
