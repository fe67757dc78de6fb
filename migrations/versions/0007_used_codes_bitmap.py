"""used codes as one bitmap per survey: no code row is written when a response is stored

Replaces the per-code ``used`` flag, the waiting completed drafts and the responses'
submission key (a value that the draft held next to its code): see docs/anonymity.md.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _bitmap(numbers: set[int], size: int) -> bytes:
    bits = bytearray((size + 7) // 8)
    for number in numbers:
        bits[number // 8] |= 1 << (number % 8)
    return bytes(bits)


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    op.create_table(
        'used_codes',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('bitmap', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('survey_id'),
    )
    completed = {row.code_id for row in connection.execute(sa.text(
        "SELECT code_id FROM response_draft WHERE completed AND code_id IS NOT NULL"))}
    rows = connection.execute(sa.text(
        "SELECT id, survey_id, used FROM invitation_code ORDER BY survey_id, id")).all()
    numbers: dict[int, int] = {}
    used: dict[int, set[int]] = defaultdict(set)
    sizes: dict[int, int] = defaultdict(int)
    for row in rows:
        number = numbers[row.id] = sizes[row.survey_id]
        sizes[row.survey_id] += 1
        if row.used or row.id in completed:
            used[row.survey_id].add(number)
    if numbers:
        connection.execute(sa.text("UPDATE invitation_code SET number = :number WHERE id = :id"),
                           [{"id": code_id, "number": n} for code_id, n in numbers.items()])
    if sizes:
        connection.execute(sa.text("INSERT INTO used_codes (survey_id, bitmap) "
                                   "VALUES (:survey_id, :bitmap)"),
                           [{"survey_id": survey_id, "bitmap": _bitmap(used[survey_id], size)}
                            for survey_id, size in sizes.items()])
    connection.execute(sa.text("DELETE FROM response_draft WHERE completed"))
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('invitation_code_number_unique',
                                          ['survey_id', 'number'])
        batch_op.create_check_constraint('invitation_code_number_not_negative', 'number >= 0')
        batch_op.drop_column('used')
    with op.batch_alter_table('response_draft', schema=None) as batch_op:
        batch_op.drop_column('completed')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('submission_key')


def downgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('response_submission_key_key', ['submission_key'])
    with op.batch_alter_table('response_draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed', sa.Boolean(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('used', sa.Boolean(), server_default='0',
                                      nullable=False))
    bitmaps = {row.survey_id: bytes(row.bitmap) for row in connection.execute(
        sa.text("SELECT survey_id, bitmap FROM used_codes"))}
    used = [row.id for row in connection.execute(
        sa.text("SELECT id, survey_id, number FROM invitation_code"))
        if row.number // 8 < len(bitmaps.get(row.survey_id, b""))
        and bitmaps[row.survey_id][row.number // 8] >> (row.number % 8) & 1]
    if used:
        connection.execute(sa.text("UPDATE invitation_code SET used = :used WHERE id = :id"),
                           [{"id": code_id, "used": True} for code_id in used])
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.drop_constraint('invitation_code_number_unique', type_='unique')
        batch_op.drop_constraint('invitation_code_number_not_negative', type_='check')
        batch_op.drop_column('number')
    op.drop_table('used_codes')
