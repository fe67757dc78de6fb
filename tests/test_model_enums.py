"""Survey status, access mode, response source and role: StrEnums in the code, the same
VARCHAR values in the database (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (AccessMode, Response, ResponseSource, Role, Survey, SurveyStatus,
                        User)


def test_enum_columns_store_plain_strings_and_load_back_as_members(app, survey):
    with app.app_context():
        # Plain strings (as forms and older code pass them) and members both bind.
        db.session.add_all([Response(survey_id=survey.id, answers={}, source="paper"),
                            Response(survey_id=survey.id, answers={})])
        db.session.add(User(email="p@example.invalid", password_hash="x", role=Role.POLICE))
        db.session.commit()
        db.session.expunge_all()
        loaded = db.session.get(Survey, survey.id)
        assert loaded.status is SurveyStatus.OPEN and loaded.status == "open"
        assert loaded.access_mode is AccessMode.OPEN
        sources = db.session.scalars(select(Response.source).order_by(Response.id)).all()
        assert sources == [ResponseSource.PAPER, ResponseSource.ONLINE]
        assert all(type(source) is ResponseSource for source in sources)
        user = db.session.scalar(select(User).filter_by(email="p@example.invalid"))
        assert user.role is Role.POLICE and user.role == "police"
        # The stored values are today's strings: no data migration.
        stored = db.session.execute(text("SELECT status, access_mode FROM survey WHERE id = :id"),
                                    {"id": survey.id}).one()
        assert tuple(stored) == ("open", "open")
        assert db.session.scalar(text("SELECT role FROM app_user")) == "police"
        # Queries compare with members and strings alike.
        for value in (ResponseSource.PAPER, "paper"):
            assert db.session.scalar(select(func.count()).select_from(Response)
                                     .where(Response.source == value)) == 1


@pytest.mark.parametrize("column, value", [("status", "archived"), ("access_mode", "mail")])
def test_the_database_still_refuses_other_values(app, survey, column, value):
    with app.app_context():
        loaded = db.session.get(Survey, survey.id)
        setattr(loaded, column, value)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
