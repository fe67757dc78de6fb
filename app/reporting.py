"""Gathers a survey's figures from the database and ``analysis/`` into ReportData."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.free_text import places_by_district
from analysis.indicators import indicator_specs
from analysis.waves import compare_waves
from questionnaires.codebook import AGE_GROUPS, GENDERS
from reports.build import RenderStats, report_pack
from reports.model import DistrictFacts, Places, ReportData, StructureRow
from reports.notes import report_notes
from reports.pool import ReportPool
from reports.svg import start_chart_server

from .monitoring import progress
from .models import Response, ResponseSource, Survey, today
from .results import population_frame, responses_frame, survey_indicators
from .survey.service import SurveyContext, context_of

GENDER_LABELS = {"f": "weiblich", "m": "männlich", "d": "divers"}


def indicator_labels(context: SurveyContext, specs: list | None = None) -> dict[str, str]:
    """Indicator -> its full label: what the figure counts, then the item."""
    return {spec.name: spec.title for spec in specs or indicator_specs(context.questionnaire)}


def _structure(frame: pd.DataFrame, population: pd.DataFrame) -> list[StructureRow]:
    rows = []
    for column, title, categories in (("gender", "Geschlecht", GENDERS),
                                      ("age_group", "Altersgruppe", AGE_GROUPS)):
        sample = frame[column].value_counts() if column in frame else pd.Series(dtype=int)
        sample = sample[sample.index.isin(categories)]
        residents = population.groupby(column)["population"].sum()
        for category in categories:
            sample_n, population_n = int(sample.get(category, 0)), int(residents.get(category, 0))
            if sample_n == 0 and population_n == 0:
                continue
            rows.append(StructureRow(
                title, GENDER_LABELS.get(category, category),
                sample_n / sample.sum() if sample.sum() else None,
                population_n / residents.sum() if residents.sum() else None))
    return rows


def previous_wave(session: Session, survey: Survey) -> Survey | None:
    """The latest earlier survey of the same municipality that has responses."""
    return session.scalar(
        select(Survey).where(Survey.municipality_id == survey.municipality_id,
                             Survey.created_at < survey.created_at, Survey.id != survey.id)
        .where(select(Response.id).where(Response.survey_id == Survey.id).exists())
        .order_by(Survey.created_at.desc()).limit(1))


def wave_changes(session: Session, survey: Survey, table: pd.DataFrame,
                 population: pd.DataFrame | None = None
                 ) -> tuple[pd.DataFrame | None, str | None]:
    """Changes of ``table`` (the survey's indicators) against the wave before, and that
    wave's title; (None, None) if there is none. ``population``: the municipality's, if
    loaded already (both waves share it)."""
    earlier = previous_wave(session, survey)
    if earlier is None:
        return None, None
    before = survey_indicators(session, context_of(session, earlier), population=population)
    return compare_waves(table, before.table), earlier.title


def report_data(session: Session, context: SurveyContext) -> ReportData:
    survey = context.survey
    frame = responses_frame(session, context)
    population = population_frame(session, survey.municipality_id)
    result = survey_indicators(session, context, frame=frame, population=population)
    rows, total = progress(session, survey)
    residents = population.groupby("district")["population"].sum()
    # Paper questionnaires carry the day they were keyed in: the fieldwork is the online one.
    first, last, synthetic = session.execute(
        select(func.min(Response.completed_on), func.max(Response.completed_on),
               func.count().filter(Response.source == ResponseSource.SYNTHETIC))
        .where(Response.survey_id == survey.id, Response.source != ResponseSource.PAPER)).one()
    min_n = survey.municipality.min_n
    specs = indicator_specs(context.questionnaire)
    places = [Places(p.district, p.answers, p.top_terms, p.suppressed)
              for p in places_by_district(frame, min_n=min_n)] if len(frame) else []
    data = ReportData(
        municipality=survey.municipality.name, survey_title=survey.title,
        fieldwork_start=first, fieldwork_end=last, generated_on=today(), min_n=min_n,
        responses=len(frame), paper_responses=total.paper, indicators=result.table,
        labels=indicator_labels(context, specs),
        items={spec.name: spec.label for spec in specs},
        measures={spec.name: spec.measure for spec in specs},
        districts=[DistrictFacts(row.code, row.name, int(residents.get(row.code, 0)),
                                 row.invited, row.completed) for row in sorted(
                                     rows, key=lambda r: r.name)],
        structure=_structure(frame, population),
        design_effects={code: w.design_effect for code, w in
                        (result.weighting.districts.items() if result.weighting else [])},
        weighting_notes=report_notes(result.notes), places=places,
        geojson=survey.municipality.geojson, weighted=result.weighting is not None,
        synthetic=bool(synthetic))
    data.changes, data.previous_title = wave_changes(session, survey, result.table, population)
    return data


def make_pack(session: Session, context: SurveyContext, folder: Path, workers: int,
              adjust: Callable[[ReportData], None] | None = None,
              progress: Callable[[str], None] | None = None,
              setup: Callable[[], None] | None = None) -> RenderStats:
    """The conference pack of a survey as PDFs in ``folder``, laid out by ``workers``
    processes (REPORT_WORKERS). They start, and so does this process's Chromium for the
    charts, while the figures are computed. ``adjust`` changes the figures before they
    are drawn (the police's version)."""
    with ReportPool(workers, setup) as pool:
        start_chart_server()  # after the pool: its processes may be forked, see reports/pool.py
        data = report_data(session, context)
        if adjust is not None:
            adjust(data)
        return report_pack(data, folder, context.survey.slug, progress, pool=pool)
