"""Drafts read and saved straight on the driver, as the ORM reads them back."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import ResponseDraft

from .resident import STANDARD_ANSWERS, Resident


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
