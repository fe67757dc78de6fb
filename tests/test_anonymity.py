"""Anonymity against someone reading the database: no stored value, stamp or ordering
pairs a response with the invitation code that gave it (docs/anonymity.md)."""
from __future__ import annotations

import json
import os
import random
import secrets
import stat
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from app.extensions import db
from app.models import InvitationCode
from app.survey import service
from app.survey.used_codes import used_numbers

from .resident import STANDARD_ANSWERS, Resident, csrf_token, is_checked, start_form

CODES = 8


def table_rows(connection, table: str, postgresql: bool) -> list[tuple]:
    """Every row with every column, and the row's stamps and place: xmin and ctid on
    PostgreSQL, rowid on SQLite."""
    system = "xmin::text, ctid::text" if postgresql else "rowid"
    return [tuple(row) for row in connection.execute(
        text(f"SELECT {system}, * FROM {table} ORDER BY 1"))]


def answer_until_last_page(resident: Resident, code: str, years: int) -> None:
    """Begin with ``code`` and answer pages 1 to 9, some twice (revisions differ)."""
    resident.start(code=code)
    for number in range(1, 10):
        answers = dict(STANDARD_ANSWERS[number])
        if number == 1:
            answers["years_in_district"] = str(years)
        if number == 6:
            answers = {item: "2" for item in STANDARD_ANSWERS[6]}
        if number == 7:
            continue
        resident.post(number, answers)
        if years % 3 == 0 and number == 2:
            resident.post(number, answers, action="back")
            resident.post(1, {**STANDARD_ANSWERS[1], "years_in_district": str(years)})


@pytest.fixture
def coded_survey(survey, make_codes) -> tuple[int, list[str]]:
    return survey.id, make_codes(CODES)


def test_no_column_stamp_or_order_pairs_a_response_with_its_code(app, coded_survey,
                                                                  is_postgresql):
    survey_id, codes = coded_survey
    residents = [Resident(app.test_client()) for _ in codes]
    for index, (resident, code) in enumerate(zip(residents, codes)):
        answer_until_last_page(resident, code, years=10 + index)  # started in letter order
    with app.app_context(), db.engine.connect() as connection:
        codes_before = table_rows(connection, "invitation_code", is_postgresql)
        drafts_seen = table_rows(connection, "response_draft", is_postgresql)
        numbers = {code_hash: number for code_hash, number in connection.execute(
            select(InvitationCode.code_hash, InvitationCode.number))}
    draft_values = {value for row in drafts_seen for value in row[1:]
                    if isinstance(value, str) and len(value) >= 16}  # keys, times
    order = list(range(CODES))
    random.Random(5).shuffle(order)  # completed in an order unlike the letters'
    assert order != sorted(order)
    completed: list[int] = []
    for index in order:
        finished = residents[index].post(10, STANDARD_ANSWERS[10])
        assert finished.headers["Location"].endswith("/thanks")
        completed.append(index)
        with app.app_context(), db.engine.connect() as connection:
            # The codes' rows are exactly as they were made: same values, same stamps,
            # same place. Nothing written to them tells which were used, or when.
            assert table_rows(connection, "invitation_code", is_postgresql) == codes_before
            # Only drafts of codes still being answered are left.
            remaining = {row.code_id for row in connection.execute(
                text("SELECT code_id FROM response_draft"))}
            assert len(remaining) == CODES - len(completed)
            # Used codes are a set: one row per survey, a bitmap without any order.
            [(bitmap_survey,)] = connection.execute(text("SELECT survey_id FROM used_codes"))
            assert bitmap_survey == survey_id
            assert used_numbers(db.session, survey_id) == {
                numbers[service.hash_code(codes[i])] for i in completed}
            # No response carries a value its draft held next to the code (its key,
            # its start time), nor a column that could hold one.
            responses = table_rows(connection, "response", is_postgresql)
            assert not {value for row in responses for value in row if isinstance(value, str)
                        } & draft_values
            columns = {c["name"] for c in inspect(connection).get_columns("response")}
            assert columns == {"id", "survey_id", "district_id", "answers", "source",
                               "completed_on", "duration_minutes"}
            if is_postgresql:  # no code-side row shares a transaction with a response
                shared = connection.execute(text(
                    "SELECT count(*) FROM response r WHERE r.xmin IN (SELECT xmin FROM"
                    " invitation_code UNION ALL SELECT xmin FROM response_draft)"))
                assert shared.scalar() == 0
    with app.app_context():
        stored = db.session.execute(text(
            "SELECT answers FROM response ORDER BY id")).scalars().all()
    # The responses are in the order of completion (which the letters' order does not
    # tell): proof that the test really completed them shuffled.
    years = [(answers if isinstance(answers, dict) else json.loads(answers))
             ["years_in_district"] for answers in stored]
    assert years == [10 + index for index in order]


def test_a_used_code_cannot_give_a_second_response_even_from_a_draft_begun_before(
        app, coded_survey):
    _survey_id, codes = coded_survey
    first, second = Resident(app.test_client()), Resident(app.test_client())
    answer_until_last_page(first, codes[0], years=3)
    second.start(code=codes[0])  # the same code on a second device: the same draft
    token = csrf_token(second.page(10).get_data(as_text=True))
    assert first.post(10, STANDARD_ANSWERS[10]).headers["Location"].endswith("/thanks")
    late = second.client.post("/s/kassel-2026/page/10",
                              data=dict(STANDARD_ANSWERS[10], csrf_token=token))
    assert late.headers["Location"].endswith("/thanks?already=1")
    assert Resident(app.test_client()).start(code=codes[0]).status_code == 409
    with app.app_context():
        # A draft begun for the code just before its response was stored elsewhere (the
        # check at the start page passed a moment too early) stores nothing either.
        context = service.survey_context(db.session, "kassel-2026")
        code = db.session.scalar(select(InvitationCode).where(
            InvitationCode.code_hash == service.hash_code(codes[0])))
        draft = service.start_draft(db.draft_engine, context.survey, code)
        draft.answers = {"district": "11", "safety_night": 2}
        assert service.complete(db.engine, context, draft) is False
        assert db.session.execute(text("SELECT count(*) FROM response")).scalar() == 1
        assert db.session.execute(text("SELECT count(*) FROM response_draft")).scalar() == 0


def sqlite_files(app) -> list[Path]:
    database = Path(db.engine.url.database)
    return [path for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
            if path.exists()]


def test_sqlite_files_keep_no_earlier_draft_and_are_private(app, coded_survey,
                                                            is_postgresql):
    if is_postgresql:
        pytest.skip("SQLite's files; PostgreSQL's are the server's (docs/anonymity.md)")
    _survey_id, codes = coded_survey
    resident = Resident(app.test_client())
    answer_until_last_page(resident, codes[1], years=4)
    trace = f"Spur-{secrets.token_hex(8)}"
    resident.post(8, {"unsafe_places": trace}, action="back")
    with app.app_context():
        assert any(trace.encode() in path.read_bytes() for path in sqlite_files(app))
    for number in (8, 9):  # the resident changes their mind before finishing
        resident.post(number, STANDARD_ANSWERS[number])
    assert resident.post(10, STANDARD_ANSWERS[10]).headers["Location"].endswith("/thanks")
    with app.app_context():
        files = sqlite_files(app)
        assert not any(trace.encode() in path.read_bytes() for path in files)
        wal = [path for path in files if path.name.endswith("-wal")]
        assert all(path.stat().st_size == 0 for path in wal)  # checkpointed and truncated
        for path in files:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_a_planted_draft_key_is_never_adopted_by_another_resident(app, survey):
    """Someone who began the open survey plants their key in another resident's
    browser: once that resident continues, the planted key reaches nothing."""
    planter, resident = Resident(app.test_client()), Resident(app.test_client())
    planter.start()
    planter.post(1, STANDARD_ANSWERS[1])
    planted = planter.key
    resident.key = planted
    start = resident.client.get("/s/kassel-2026").get_data(as_text=True)
    resumed = resident.client.post("/s/kassel-2026/start", data=start_form(start))
    assert resumed.headers["Location"].endswith("/page/2")
    assert resident.key.split(".")[0] != planted.split(".")[0]
    resident.post(2, {"safety_day": "4", "safety_night": "4"})
    # The planter's key shows nothing of what the resident answered, and saves nothing.
    assert planter.page(2).headers["Location"].endswith("/thanks?already=1")
    refused = planter.client.post("/s/kassel-2026/page/2", data={
        "safety_day": "1", "safety_night": "1", "action": "next",
        "csrf_token": start_form(start)["csrf_token"]})
    assert refused.status_code in (302, 400)
    assert resident.page(3).status_code == 200
    assert is_checked(resident.page(2).get_data(as_text=True), "safety_night", "4")
