"""Drafts read and saved straight on the driver, as the ORM reads them back."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db
from app.models import Response, ResponseDraft, Survey
from app.survey import hot_path, service
from app.survey.views import cached_survey

from .resident import STANDARD_ANSWERS, Resident, csrf_token, start_form


def test_answers_saved_on_the_driver_read_back_through_the_orm(app, client, survey):
    resident = Resident(client)
    resident.start()
    resident.post(1, {**STANDARD_ANSWERS[1], "years_in_district": "12"})
    with app.app_context():
        draft = db.session.scalars(select(ResponseDraft)).one()
        assert draft.answers == {"district": "11", "years_in_district": 12}
        assert draft.reached_page == 1
        assert draft.started_at is not None


def test_a_restarted_database_server_costs_no_resident_an_error(app, survey, is_postgresql):
    """Every connection of the worker is gone (a restart): the store's own, and the
    pooled ones it would take next."""
    if not is_postgresql:
        pytest.skip("a server that drops connections: PostgreSQL only")
    residents = [Resident(app.test_client()) for _ in range(3)]
    residents[0].start()
    assert residents[0].page(1).status_code == 200  # the store has a connection of its own
    for resident in residents[1:]:  # and the draft pool one more, to be handed out next
        resident.start()
    with app.app_context():
        db.session.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        db.session.commit()
    for resident in residents:
        assert resident.post(1, STANDARD_ANSWERS[1]).status_code == 302
        assert resident.page(2).status_code == 200


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


def test_a_draft_completed_at_another_worker_is_not_shown_again(
        app, survey, second_worker, monkeypatch):
    with app.app_context():
        coded = db.session.get(Survey, survey.id)
        coded.access_mode = "codes"
        [code] = service.new_codes(db.session, coded, 1)
        db.session.commit()
    phone, laptop = Resident(app.test_client()), Resident(second_worker.test_client())
    phone.start(code=code)
    for number in range(1, 10):
        phone.post(number, STANDARD_ANSWERS[number])
    laptop.start(code=code)
    last_page = laptop.page(10)  # the second worker now holds the draft
    token = csrf_token(last_page.get_data(as_text=True))
    assert phone.post(10, STANDARD_ANSWERS[10]).headers["Location"].endswith("/thanks")
    # A view trusts a draft held in memory only for the moment after a save (the
    # redirect that follows it); later it asks the database, where the draft is done.
    monkeypatch.setattr(hot_path, "VIEW_SECONDS", 0.0)
    assert laptop.page(2).headers["Location"].endswith("/thanks?already=1")
    # A post may start from the draft in memory: its save is refused, and the database
    # says the draft is done.
    response = laptop.client.post("/s/kassel-2026/page/10", data=dict(
        STANDARD_ANSWERS[10], action="next", csrf_token=token))
    assert response.headers["Location"].endswith("/thanks?already=1")
    with app.app_context():
        assert len(db.session.scalars(select(Response)).all()) == 1


def test_continuing_twice_from_the_start_page_keeps_the_answers(app, client, survey):
    """A double tap on "Befragung fortsetzen" resumes the same draft twice."""
    resident = Resident(client)
    resident.start()
    resident.post(1, STANDARD_ANSWERS[1])
    resident.post(2, STANDARD_ANSWERS[2])
    form = start_form(client.get("/s/kassel-2026").get_data(as_text=True))
    sent_with = resident.key
    first = client.post("/s/kassel-2026/start", data=form)
    after_first = resident.key
    resident.key = sent_with  # the second tap left before the first one's answer came
    second = client.post("/s/kassel-2026/start", data=form)
    assert first.headers["Location"].endswith("/page/3")
    assert second.headers["Location"].endswith("/page/3")
    assert resident.key == after_first != sent_with  # resuming gave the draft a new key
    with app.app_context():
        [draft] = db.session.scalars(select(ResponseDraft))
        assert draft.answers["safety_night"] == 3
        assert draft.key == after_first.split(".")[0]


def test_over_https_the_key_is_a_host_only_cookie(app, client, survey):
    app.config["SESSION_COOKIE_SECURE"] = True
    cookie = client.get("/s/kassel-2026").headers["Set-Cookie"]
    assert cookie.startswith("__Host-survey-kassel-2026=v")
    attributes = {part.strip().split("=")[0]: part for part in cookie.split(";")[1:]}
    assert {"Secure", "HttpOnly", "Path"} <= set(attributes)
    assert attributes["Path"].strip() == "Path=/" and "Domain" not in attributes


def test_a_failed_store_is_an_error_not_an_earlier_submission(app, client, survey):
    """Only a second submission of the same draft may end as "already saved"."""
    resident = Resident(client)
    resident.answer_all(stop_before=10)
    with app.app_context():
        cached_survey("kassel-2026").district_ids["11"] = 999_999  # no such district
    with pytest.raises(IntegrityError):
        resident.post(10, STANDARD_ANSWERS[10])
    with app.app_context():
        assert db.session.scalars(select(Response)).all() == []
        assert db.session.scalars(select(ResponseDraft)).one().answers  # nothing lost
