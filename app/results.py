"""Loads a survey's stored data as the plain tables that ``analysis/`` works on."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.indicators import IndicatorTable, indicator_table

from .models import District, PopulationCell, Response
from .survey.service import SurveyContext

NUMERIC_KINDS = ("single", "binary", "integer")


def responses_frame(session: Session, context: SurveyContext) -> pd.DataFrame:
    """One row per response, one column per item code; numeric codes as numbers."""
    answers = session.scalars(select(Response.answers)
                              .where(Response.survey_id == context.survey.id)
                              .order_by(Response.id)).all()
    variables = context.questionnaire.variables
    frame = pd.DataFrame.from_records(answers, columns=list(variables))
    for code, variable in variables.items():
        numeric = variable.kind in NUMERIC_KINDS and all(
            isinstance(choice.value, int) for choice in variable.choices)
        if numeric:
            frame[code] = pd.to_numeric(frame[code], errors="coerce").astype("float64")
        else:
            frame[code] = frame[code].astype("string")
    return frame


def population_frame(session: Session, municipality_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(District.code, PopulationCell.gender, PopulationCell.age_group,
               PopulationCell.population)
        .join(District, District.id == PopulationCell.district_id)
        .where(District.municipality_id == municipality_id)).all()
    frame = pd.DataFrame(rows, columns=["district", "gender", "age_group", "population"])
    return frame.astype({"population": "int64"})


def survey_indicators(session: Session, context: SurveyContext, *, weighted: bool = True,
                      min_n: int | None = None, frame: pd.DataFrame | None = None,
                      population: pd.DataFrame | None = None) -> IndicatorTable:
    """The indicator table of a survey (min_n defaults to the municipality's setting);
    ``frame`` and ``population``: the responses and the municipality's population, if
    the caller has loaded them already."""
    if weighted and population is None:
        population = population_frame(session, context.survey.municipality_id)
    return indicator_table(
        responses_frame(session, context) if frame is None else frame,
        population if weighted else None,
        context.questionnaire, weighted=weighted,
        min_n=min_n if min_n is not None else context.survey.municipality.min_n,
        districts=[code for code, _name in context.districts])
