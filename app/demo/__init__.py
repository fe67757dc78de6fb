"""The demo municipality Kassel: districts, population, an open survey, responses."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires import STANDARD_QUESTIONNAIRE

from ..models import AccessMode, Response, ResponseSource, Role, Survey, SurveyStatus
from ..municipal import (add_districts, create_survey, get_or_create_municipality,
                         set_population)
from ..paths import QUESTIONNAIRE_DIR
from .kassel import DISTRICTS, population_table, tile_map_geojson
from .responses import synthetic_responses

MUNICIPALITY_SLUG = "kassel"
SURVEY_SLUG = "kassel-2026"
# Demo accounts with a published password: never created when APP_ENV=production.
DEMO_PASSWORD = "demo-kassel-2026"
DEMO_ACCOUNTS = (("admin@demo.invalid", Role.ADMIN), ("staff@kassel.demo.invalid", Role.STAFF),
                 ("police@kassel.demo.invalid", Role.POLICE))


@dataclass(frozen=True)
class DemoResult:
    created: bool
    responses_added: int
    responses_total: int


def load_demo(session: Session, responses: int = 2000, seed: int = 2026) -> DemoResult:
    """Create the demo once; a second run finds everything in place and changes nothing."""
    municipality = get_or_create_municipality(session, MUNICIPALITY_SLUG, "Stadt Kassel")
    survey = session.scalar(select(Survey).where(Survey.slug == SURVEY_SLUG))
    created = survey is None
    if created:
        by_code = add_districts(session, municipality,
                                [(code, name) for code, name, _n, _p in DISTRICTS])
        for code, _name, residents, profile in DISTRICTS:
            set_population(session, by_code[code], population_table(residents, profile),
                           is_demo=True)
        survey = create_survey(session, municipality, SURVEY_SLUG,
                               QUESTIONNAIRE_DIR / STANDARD_QUESTIONNAIRE,
                               access_mode=AccessMode.OPEN, title="Sicherheit in Kassel 2026")
        survey.status = SurveyStatus.OPEN
        municipality.geojson = tile_map_geojson()
    existing = session.scalar(select(func.count()).select_from(Response)
                              .where(Response.survey_id == survey.id,
                                     Response.source == ResponseSource.SYNTHETIC))
    added = 0
    if existing == 0 and responses > 0:
        district_ids = {d.code: d.id for d in municipality.districts}
        session.add_all(
            Response(survey_id=survey.id, answers=answers, source=ResponseSource.SYNTHETIC,
                     district_id=district_ids[answers["district"]],
                     completed_on=completed_on, duration_minutes=minutes)
            for answers, completed_on, minutes in synthetic_responses(responses, seed))
        added = responses
    session.commit()
    return DemoResult(created, added, existing + added)


def create_demo_accounts(session: Session) -> list[str]:
    """The demo's three accounts (admin, staff, police), unless they exist; their e-mails."""
    from ..auth.service import create_user
    from ..models import User

    created = []
    for email, role in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(session, email, DEMO_PASSWORD, role,
                        [] if role == Role.ADMIN else [MUNICIPALITY_SLUG])
            created.append(email)
    session.commit()
    return created
