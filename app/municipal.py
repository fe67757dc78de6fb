"""Municipalities, their districts and population, and survey waves (service functions:
they check and write into the session, and never commit; see app/actions/)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import Questionnaire, load_questionnaire_file, load_questionnaire_text

from .models import AccessMode, District, Municipality, PopulationCell, Survey, SurveyStatus

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ACCESS_MODES = tuple(AccessMode)
# Allowed status changes of a survey wave.
TRANSITIONS = {(SurveyStatus.DRAFT, SurveyStatus.OPEN), (SurveyStatus.OPEN, SurveyStatus.CLOSED),
               (SurveyStatus.CLOSED, SurveyStatus.OPEN)}


class SetupError(ValueError):
    """A municipality or survey cannot be set up as asked; the message says why, and
    ``field`` which input was wrong (a form field's name)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check_slug(slug: str, what: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise SetupError(f"{what} '{slug}' ist ungültig: 2–63 Zeichen a–z, 0–9 und -, "
                         "beginnend mit Buchstabe oder Ziffer.", "slug")


def set_min_n(municipality: Municipality, min_n: int) -> None:
    """The smallest number of respondents a published figure may rest on."""
    if not 10 <= min_n <= 1000:
        raise SetupError("Die Mindestfallzahl muss zwischen 10 und 1000 liegen.", "min_n")
    municipality.min_n = min_n


def set_survey_dates(survey: Survey, opens_on: date | None, closes_on: date | None) -> None:
    """Optional opening and closing dates (inclusive) of a survey wave."""
    if opens_on and closes_on and opens_on > closes_on:
        raise SetupError("Das Enddatum liegt vor dem Startdatum.", "closes_on")
    survey.opens_on, survey.closes_on = opens_on, closes_on


def create_municipality(session: Session, slug: str, name: str) -> Municipality:
    check_slug(slug, "Kürzel")
    if not name.strip():
        raise SetupError("Der Name der Kommune fehlt.", "name")
    if session.scalar(select(Municipality.id).where(Municipality.slug == slug)) is not None:
        raise SetupError(f"Die Kommune '{slug}' gibt es bereits.", "slug")
    municipality = Municipality(slug=slug, name=name.strip()[:200], min_n=30)
    session.add(municipality)
    session.flush()
    return municipality


def get_or_create_municipality(session: Session, slug: str, name: str) -> Municipality:
    municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        municipality = Municipality(slug=slug, name=name, min_n=30)
        session.add(municipality)
        session.flush()
    return municipality


def add_districts(session: Session, municipality: Municipality,
                  districts: list[tuple[str, str]]) -> dict[str, District]:
    """Add the (code, name) pairs that are missing; return all districts by code."""
    existing = {district.code: district for district in session.scalars(
        select(District).where(District.municipality_id == municipality.id))}
    for code, name in districts:
        if code not in existing:
            existing[code] = District(municipality_id=municipality.id, code=code, name=name)
            session.add(existing[code])
    session.flush()
    return existing


def set_population(session: Session, district: District,
                   cells: dict[tuple[str, str], int], is_demo: bool = False) -> None:
    """Replace a district's population table ((gender, age_group) -> residents)."""
    for cell in session.scalars(select(PopulationCell).where(
            PopulationCell.district_id == district.id)):
        session.delete(cell)
    session.flush()
    session.add_all(PopulationCell(district_id=district.id, gender=gender, age_group=age_group,
                                   population=population, is_demo=is_demo)
                    for (gender, age_group), population in cells.items())


def create_survey(session: Session, municipality: Municipality, slug: str,
                  questionnaire_path: str | Path, access_mode: str = AccessMode.OPEN,
                  title: str | None = None) -> Survey:
    """A new survey wave in draft; the questionnaire file is checked and frozen into it."""
    path = Path(questionnaire_path)
    questionnaire = load_questionnaire_file(path)  # raises QuestionnaireError, every problem
    return create_survey_from_text(session, municipality, slug, path.read_text(encoding="utf-8"),
                                   path.name, access_mode, title, questionnaire=questionnaire)


def create_survey_from_text(session: Session, municipality: Municipality, slug: str,
                            yaml_text: str, file_name: str, access_mode: str = AccessMode.OPEN,
                            title: str | None = None,
                            questionnaire: Questionnaire | None = None) -> Survey:
    """A new survey wave in draft with this questionnaire text (``questionnaire``: the
    text parsed already, if the caller has)."""
    check_slug(slug, "Kürzel der Befragung")
    if access_mode not in ACCESS_MODES:
        raise SetupError(f"Zugang '{access_mode}' gibt es nicht (open oder codes).", "access")
    if session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        raise SetupError(f"Eine Befragung '{slug}' gibt es bereits.", "slug")
    if questionnaire is None:
        questionnaire = load_questionnaire_text(yaml_text, file_name)
    survey = Survey(municipality_id=municipality.id, slug=slug,
                    title=(title or questionnaire.title.de)[:200],
                    questionnaire_yaml=yaml_text, questionnaire_file=file_name[:200],
                    access_mode=access_mode, status=SurveyStatus.DRAFT)
    session.add(survey)
    session.flush()
    return survey


def set_survey_status(survey: Survey, status: str) -> None:
    if (survey.status, status) not in TRANSITIONS:
        raise SetupError(_refused_status(survey, status))
    survey.status = status


def _refused_status(survey: Survey, status: str) -> str:
    """Why the status cannot change, in the words staff see (no draft/open/closed)."""
    state = {SurveyStatus.DRAFT: "ein Entwurf", SurveyStatus.OPEN: "geöffnet",
             SurveyStatus.CLOSED: "geschlossen"}
    verb = {SurveyStatus.OPEN: "geöffnet", SurveyStatus.CLOSED: "geschlossen"}
    if status == survey.status:
        return f"Die Befragung '{survey.slug}' ist bereits {state[status]}."
    if status not in verb:
        return f"Einen Status '{status[:20]}' gibt es nicht: nur öffnen oder schließen."
    return (f"Die Befragung '{survey.slug}' ist {state[survey.status]} und kann nicht "
            f"{verb[status]} werden.")
