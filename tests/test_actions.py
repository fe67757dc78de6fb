"""Each back-office action validates, writes, audits and commits in one; a refusal
stores nothing (not even its audit event) and carries its message and field."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.actions import CLI_ACTOR, ActionError, accounts, codes, municipalities, surveys
from app.actions.accounts import LOGIN_FAILED
from app.extensions import db
from app.models import AuditEvent, InvitationCode, Municipality, Survey
from app.paths import QUESTIONNAIRE_DIR
from app.survey.service import context_of

STANDARD = QUESTIONNAIRE_DIR / "sicherheit-standard.yaml"
ACTOR = "staff@kassel.de"


def committed(app, model=AuditEvent, *columns):
    """Rows as another connection sees them: only what was committed."""
    with app.extensions["database_engine"].connect() as connection:
        if model is AuditEvent:
            return connection.execute(select(AuditEvent.action, AuditEvent.detail,
                                             AuditEvent.user_email)
                                      .order_by(AuditEvent.id)).all()
        return connection.execute(select(func.count()).select_from(model)).scalar()


def refused(call, message: str, field: str | None = None) -> ActionError:
    with pytest.raises(ActionError) as caught:
        call()
    assert message in caught.value.text() and caught.value.field == field
    return caught.value


@pytest.fixture
def kassel(app, survey):
    with app.app_context():
        yield db.session.scalar(select(Municipality).where(Municipality.slug == "kassel"))


def test_create_municipality_audits_and_commits(app, kassel):
    created = municipalities.create_municipality(db.session, "fulda", "Stadt Fulda", 40,
                                                 CLI_ACTOR)
    assert created.min_n == 40
    assert committed(app) == [("municipality_created", "fulda", "cli")]


@pytest.mark.parametrize("slug, name, min_n, message, field", [
    ("Fulda Stadt", "Stadt Fulda", 30, "'Fulda Stadt' ist ungültig", "slug"),
    ("kassel", "Stadt Kassel", 30, "Die Kommune 'kassel' gibt es bereits.", "slug"),
    ("fulda", "  ", 30, "Der Name der Kommune fehlt.", "name"),
    ("fulda", "Stadt Fulda", 3, "zwischen 10 und 1000", "min_n"),
])
def test_create_municipality_refuses_with_the_field(app, kassel, slug, name, min_n, message,
                                                    field):
    refused(lambda: municipalities.create_municipality(db.session, slug, name, min_n, ACTOR),
            message, field)
    assert committed(app) == [] and committed(app, Municipality) == 1


def test_min_n_and_resident_texts(app, kassel):
    municipalities.set_min_n(db.session, kassel, 50, ACTOR)
    refused(lambda: municipalities.set_min_n(db.session, kassel, 5, ACTOR),
            "zwischen 10 und 1000", "min_n")
    changed = municipalities.save_resident_texts(
        db.session, kassel, {"contact_name": "Frau Beispiel", "contact_phone": ""},
        ("contact_name", "contact_phone"), ACTOR)
    assert changed == ["Ansprechperson"]
    error = refused(lambda: municipalities.save_resident_texts(
        db.session, kassel, {"contact_phone": "ruf an", "contact_email": "nein"},
        ("contact_phone", "contact_email"), ACTOR), "Nicht gespeichert.")
    assert list(error.by_field()) == ["contact_phone", "contact_email"]
    assert committed(app) == [("min_n_changed", "50", ACTOR),
                              ("resident_texts_changed", "Ansprechperson", ACTOR)]


def test_district_import_refuses_with_every_problem(app, kassel):
    error = refused(lambda: municipalities.import_district_files(
        db.session, kassel, (b"code,name\n01,Mitte\n01,Doppelt\n", "stadtteile.csv"), None,
        None, ACTOR), "Nichts wurde importiert:")
    assert error.lines == ["stadtteile.csv:3: Spalte code: Code '01' kommt doppelt vor "
                           "(zuerst in Zeile 2)."]
    summary = municipalities.import_district_files(
        db.session, kassel, (b"code,name\n99,Neu\n", "neu.csv"), None, None, ACTOR)
    assert committed(app) == [("districts_imported", str(summary), ACTOR)]


def test_survey_wave_actions(app, kassel):
    survey = surveys.create_survey(db.session, kassel, "kassel-2027", STANDARD, "codes", None,
                                   date(2027, 5, 1), None, ACTOR)
    refused(lambda: surveys.create_survey(db.session, kassel, "kassel-2027", STANDARD, "open",
                                          None, None, None, ACTOR),
            "Eine Befragung 'kassel-2027' gibt es bereits.", "slug")
    error = refused(lambda: surveys.create_survey(
        db.session, kassel, "kassel-2028", ("id: x\npages: []\n", "eigener.yaml"), "open",
        None, None, None, ACTOR), "Fragebogen fehlerhaft:", "questionnaire")
    assert "eigener.yaml:2: 'pages' must be a non-empty list" in error.lines
    refused(lambda: surveys.set_dates(db.session, survey, date(2027, 5, 1), date(2027, 4, 1),
                                      ACTOR), "Enddatum liegt vor dem Startdatum", "closes_on")
    surveys.set_dates(db.session, survey, None, date(2027, 6, 1), ACTOR)
    surveys.change_status(db.session, survey, "open", ACTOR)
    refused(lambda: surveys.change_status(db.session, survey, "open", ACTOR),
            "Die Befragung 'kassel-2027' ist bereits geöffnet.", "status")
    assert committed(app) == [
        ("survey_created", "kassel-2027 (Einladungscodes)", ACTOR),
        ("survey_dates", "kassel-2027: None bis 2027-06-01", ACTOR),
        ("survey_open", "kassel-2027", ACTOR)]
    assert committed(app, Survey) == 2


def test_export_is_recorded_only_once_delivered(app, kassel):
    context = context_of(db.session, db.session.scalar(select(Survey)))

    def broken(_content: bytes) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        surveys.export_responses(db.session, context, "csv", ",", False, CLI_ACTOR, broken)
    assert committed(app) == []
    content = surveys.export_responses(db.session, context, "csv", ";", False, ACTOR)
    assert b";" in content.splitlines()[0]  # the separator asked for
    assert committed(app) == [("responses_exported", "kassel-2026 als csv", ACTOR)]


def test_paper_import_refuses_with_its_lines(app, kassel):
    context = context_of(db.session, db.session.scalar(select(Survey)))
    error = refused(lambda: surveys.import_paper(
        db.session, context, (b"district,safety_night\n99,1\n", "papier.csv"), ACTOR),
        "Nichts wurde importiert:")
    assert error.lines[0].startswith("papier.csv:2: Spalte district:")
    assert committed(app) == []


def test_codes_whose_letters_fail_are_discarded(app, kassel):
    survey = db.session.scalar(select(Survey))
    survey.access_mode = "codes"
    db.session.commit()
    refused(lambda: codes.generate_codes(db.session, survey, {"99": 2}, "http://x", ACTOR,
                                         list), "Unbekannte Stadtteile: 99", "counts")

    def failing_letters(generated):
        assert committed(app, InvitationCode) == 2  # committed before the letters
        raise RuntimeError("renderer gone")

    with pytest.raises(RuntimeError):
        codes.generate_codes(db.session, survey, {"11": 2}, "http://x", ACTOR, failing_letters)
    assert committed(app, InvitationCode) == 0
    assert [action for action, _detail, _actor in committed(app)] == [
        "codes_generated", "codes_discarded"]
    made = codes.generate_codes(db.session, survey, {"11": 3}, "http://x", CLI_ACTOR, len)
    assert made == 3 and committed(app)[-1] == ("codes_generated", "kassel-2026: 3 Codes 11=3",
                                                "cli")


def test_account_actions(app, kassel):
    refused(lambda: accounts.create_user(db.session, "x@kassel.de", "kurz", "staff",
                                         ["kassel"], CLI_ACTOR), "mindestens 12 Zeichen",
            "password")
    refused(lambda: accounts.create_user(db.session, "x@kassel.de", "ein-langes-passwort",
                                         "staff", [], CLI_ACTOR), "genau eine Kommune",
            "municipalities")
    user = accounts.create_user(db.session, "x@kassel.de", "ein-langes-passwort", "staff",
                                ["kassel"], CLI_ACTOR)
    refused(lambda: accounts.log_in(db.session, "X@kassel.de", "falsch"), LOGIN_FAILED)
    assert accounts.log_in(db.session, "X@kassel.de", "ein-langes-passwort").id == user.id
    refused(lambda: accounts.change_password(db.session, user, "falsch", "x" * 12, "x" * 12),
            "bisherige Passwort stimmt nicht", "current")
    accounts.change_password(db.session, user, "ein-langes-passwort", "y" * 12, "y" * 12)
    accounts.log_out(db.session, user)
    assert committed(app) == [
        ("user_created", "x@kassel.de (staff)", "cli"), ("login_invalid", "", "x@kassel.de"),
        ("login", "", "x@kassel.de"), ("password_changed", "", "x@kassel.de"),
        ("logout", "", "x@kassel.de")]
    assert user.session_version == 2


def test_services_never_commit():
    """Only actions (and the job queue's own bookkeeping) commit."""
    root = Path(__file__).resolve().parent.parent / "app"
    services = [root / "municipal.py", root / "auth" / "service.py", root / "legal.py",
                root / "monitoring.py", *(root / "backoffice").glob("*.py")]
    for path in services:
        text = path.read_text(encoding="utf-8")
        if path.name.endswith("views.py"):
            continue
        assert ".commit()" not in text, f"{path.name} commits"
