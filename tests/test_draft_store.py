"""Drafts read and saved straight on the driver, as the ORM reads them back."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from app.models import ResponseDraft, Survey
from app.survey import service

from .resident import STANDARD_ANSWERS, Resident, csrf_token


def test_answers_saved_on_the_driver_read_back_through_the_orm(app, client, survey):
    resident = Resident(client)
    resident.start()
    resident.post(1, {**STANDARD_ANSWERS[1], "years_in_district": "12"})
    with app.app_context():
        draft = db.session.scalars(select(ResponseDraft)).one()
        assert draft.answers == {"district": "11", "years_in_district": 12}
        assert draft.reached_page == 1
        assert draft.started_at is not None


def test_a_lost_database_connection_is_renewed(app, client, survey):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("a server that drops connections: PostgreSQL only")
    resident = Resident(client)
    resident.start()
    assert resident.page(1).status_code == 200
    store = app.extensions["draft_store"]
    backend = store._connection().info.backend_pid
    with app.app_context():
        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        db.session.commit()
    assert resident.post(1, STANDARD_ANSWERS[1]).status_code == 302
    assert store._connection().info.backend_pid != backend


@pytest.fixture
def second_worker(app, tmp_path):
    """Another app on the same database: a second gunicorn worker, with drafts of its
    own in memory."""
    other = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    yield other
    other.extensions["draft_store"].close()
    other.extensions["draft_engine"].dispose()
    other.extensions["database_engine"].dispose()


def test_a_draft_remembered_by_a_worker_never_overwrites_a_newer_one(
        app, survey, second_worker):
    with app.app_context():
        coded = db.session.get(Survey, survey.id)
        coded.access_mode = "codes"
        [code] = service.new_codes(db.session, coded, 1)
        db.session.commit()
    phone, laptop = Resident(app.test_client()), Resident(second_worker.test_client())
    phone.start(code=code)
    for number in (1, 2, 3):
        phone.post(number, STANDARD_ANSWERS[number])
    assert phone.page(3).status_code == 200  # the first worker now holds this revision
    laptop.start(code=code)  # resumes at page 4, on the second worker
    assert laptop.post(4, STANDARD_ANSWERS[4]).headers["Location"].endswith("/page/5")
    changed = {**STANDARD_ANSWERS[3], "worry_burglary": "1"}
    # The phone posts page 3 again from the state it last saw: the first worker's copy is
    # out of date, so the save is refused, the draft read again and the page saved on top
    # of the laptop's answers.
    response = phone.client.post("/s/kassel-2026/page/3", data=dict(
        changed, action="next", csrf_token=csrf_token(phone.page(3).get_data(as_text=True))))
    assert response.headers["Location"].endswith("/page/4")
    answers = draft_answers(app)
    assert answers["worry_burglary"] == 1
    assert answers["problem_drugs"] == int(STANDARD_ANSWERS[4]["problem_drugs"])


def test_the_cookie_names_the_revision_last_saved(client, survey):
    resident = Resident(client)
    resident.start()
    key = resident.key
    assert key.endswith(".0")
    resident.post(1, STANDARD_ANSWERS[1])
    assert resident.key == key[:-2] + ".1"


def draft_answers(app) -> dict:
    with app.app_context():
        return db.session.scalar(select(ResponseDraft)).answers
