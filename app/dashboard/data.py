"""The figures behind the dashboard: published indicator tables, kept per worker while
the survey's responses do not change."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask import current_app
from sqlalchemy import func, select

from analysis.indicators import IndicatorTable, rows_by_key

from ..caching import TTLCache
from ..extensions import db
from ..models import District, PopulationCell, Response, Survey
from ..reporting import indicator_labels, wave_changes
from ..results import survey_indicators
from ..survey.service import SurveyContext, context_of


@dataclass
class WaveFigures:
    context: SurveyContext
    result: IndicatorTable
    labels: dict[str, str]
    changes: pd.DataFrame | None
    previous_title: str | None
    rows: dict = field(default_factory=dict)  # indicator rows by (district, indicator, group)
    changed: dict = field(default_factory=dict)  # wave comparison rows, same keys

    def __post_init__(self) -> None:
        self.rows = rows_by_key(self.result.table)
        self.changed = rows_by_key(self.changes) if self.changes is not None else {}


def _fingerprint(survey: Survey) -> tuple:
    """Changes whenever a figure could: responses, population, min_n or boundaries."""
    responses = tuple(db.session.execute(
        select(func.count(Response.id), func.max(Response.id))
        .where(Response.survey_id == survey.id)).one())
    population = tuple(db.session.execute(
        select(func.count(PopulationCell.id), func.sum(PopulationCell.population))
        .join(District, District.id == PopulationCell.district_id)
        .where(District.municipality_id == survey.municipality_id)).one())
    municipality = survey.municipality
    return responses + population + (municipality.min_n, hash(municipality.geojson))


def wave_figures(survey: Survey) -> WaveFigures:
    """Indicator table (and change against the wave before) of one survey wave."""
    cache = current_app.extensions.setdefault("dashboard_figures", TTLCache(32))
    return cache.get_or_make((survey.id, _fingerprint(survey)), lambda: _compute(survey))


def _compute(survey: Survey) -> WaveFigures:
    context = context_of(db.session, survey)
    result = survey_indicators(db.session, context)
    changes, previous_title = wave_changes(db.session, survey, result.table)
    return WaveFigures(context, result, indicator_labels(context), changes, previous_title)


def waves_of(survey: Survey) -> list[Survey]:
    """All waves of the survey's municipality that have responses, newest first."""
    return list(db.session.scalars(
        select(Survey).where(Survey.municipality_id == survey.municipality_id)
        .where(select(Response.id).where(Response.survey_id == Survey.id).exists())
        .order_by(Survey.created_at.desc())))
