"""Municipalities, their districts and population, and survey waves (service functions)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import load_questionnaire_file

from .models import District, Municipality, PopulationCell, Survey


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
                  questionnaire_path: str | Path, access_mode: str = "open",
                  title: str | None = None) -> Survey:
    """A new survey wave in draft; the questionnaire file is checked and frozen into it."""
    path = Path(questionnaire_path)
    questionnaire = load_questionnaire_file(path)  # raises QuestionnaireError
    survey = Survey(municipality_id=municipality.id, slug=slug,
                    title=title or questionnaire.title.de,
                    questionnaire_yaml=path.read_text(encoding="utf-8"),
                    questionnaire_file=path.name, access_mode=access_mode, status="draft")
    session.add(survey)
    session.flush()
    return survey
