"""Dashboard pages: the city at a glance per indicator and group, and one district."""
from __future__ import annotations

import re
from dataclasses import asdict
from functools import cache

from flask import Blueprint, Response, abort, render_template, request, send_from_directory

from analysis.indicators import GROUPS, AnalysisError
from analysis.weighting import WeightingError
from reports import charts
from reports.build import GROUP_LABELS, format_figure
from reports.formatting import number
from reports.model import CITY, DIMENSIONS
from reports.svg import BASIC_BUNDLE, ChartExportError, figure_image

from ..auth.access import login_required, survey_or_404
from .data import WaveFigures, wave_figures, waves_of

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")

GROUP_NAMES = {"all": "Alle Befragten", **GROUP_LABELS}
SHORT_FLAGS = {"higher": "▲ höher", "lower": "▼ niedriger", "": ""}
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def _selection(slug: str) -> tuple[WaveFigures, str, str, list]:
    """The wave, indicator and group asked for; 404 for anything that does not exist."""
    survey = survey_or_404(slug)
    waves = waves_of(survey)
    wave_slug = request.args.get("wave") or survey.slug
    wave = next((w for w in waves if w.slug == wave_slug), None)
    if wave is None and wave_slug != survey.slug:
        abort(404)
    try:
        figures = wave_figures(wave or survey)
    except (AnalysisError, WeightingError) as error:
        abort(Response(render_template("dashboard/unavailable.html", reason=str(error)),
                       status=409))
    indicator = request.args.get("indicator", "unsafe_night")
    group = request.args.get("group", "all")
    if indicator not in figures.labels or group not in GROUPS:
        abort(404)
    return figures, indicator, group, waves


def _cell(figures: WaveFigures, district: str, indicator: str, group: str) -> dict:
    """One table cell, formatted as in the reports, with the change since the last wave."""
    key = (district, indicator, group)
    row = figures.rows.get(key)
    cell = asdict(format_figure(row, figures.labels[indicator], indicator, SHORT_FLAGS,
                                min_n=figures.result.min_n))
    change = figures.changed.get(key)
    cell["change"] = ""
    if change is not None and cell["value"] is not None:
        delta = change["change"] * 100
        cell["change"] = f"{'+' if delta > 0 else ''}{number(delta, 1)} Pp."
    if cell["value"] is not None:
        cell.update(low=float(row["ci_low"]), high=float(row["ci_high"]), raw_flag=row["flag"])
    return cell


def _ranking_chart(figures: WaveFigures, indicator: str, group: str):
    districts = figures.context.districts
    bars = [charts.Bar(name, cell["value"], cell["low"], cell["high"], cell["raw_flag"])
            for code, name in districts
            if (cell := _cell(figures, code, indicator, group))["value"] is not None]
    if not bars or indicator.endswith("_mean"):
        return None
    city = _cell(figures, CITY, indicator, group)["value"]
    return charts.ranked_bars(bars, figures.labels[indicator], city)


def _map_chart(figures: WaveFigures, indicator: str, group: str):
    geojson = figures.context.survey.municipality.geojson
    if not geojson or indicator.endswith("_mean"):
        return None
    values = {code: _cell(figures, code, indicator, group)["value"]
              for code, _name in figures.context.districts}
    return charts.district_map(geojson, values, dict(figures.context.districts),
                               figures.labels[indicator])


@bp.get("/<slug>")
@login_required()
def overview(slug: str):
    """All districts for one indicator and group: map, ranked bars, table."""
    figures, indicator, group, waves = _selection(slug)
    rows = [{"code": code, "name": name, **_cell(figures, code, indicator, group)}
            for code, name in figures.context.districts]
    ranking, district_map = (_ranking_chart(figures, indicator, group),
                             _map_chart(figures, indicator, group))
    return render_template(
        "dashboard/overview.html", slug=slug, figures=figures, indicator=indicator,
        group=group, waves=waves, rows=rows, city=_cell(figures, CITY, indicator, group),
        ranking=ranking.to_json() if ranking else None,
        district_map=district_map.to_json() if district_map else None,
        indicators=_indicator_choices(figures), groups=GROUP_NAMES,
        hidden=sum(1 for row in rows if row["value"] is None))


def _indicator_choices(figures: WaveFigures) -> list[tuple[str, list[tuple[str, str]]]]:
    choices = []
    for title, prefixes in DIMENSIONS:
        names = [(name, label) for name, label in figures.labels.items()
                 if name.startswith(prefixes)]
        if names:
            choices.append((title, names))
    return choices


@bp.get("/<slug>/district/<code>")
@login_required()
def district(slug: str, code: str):
    """One district against the city on every indicator."""
    figures, _indicator, group, waves = _selection(slug)
    names = dict(figures.context.districts)
    if code not in names:
        abort(404)
    sections = []
    for title, prefixes in DIMENSIONS:
        indicators = [n for n in figures.labels if n.startswith(prefixes)
                      and not n.endswith("_mean")]
        rows = [{"label": figures.labels[n], "district": _cell(figures, code, n, group),
                 "city": _cell(figures, CITY, n, group)} for n in indicators]
        shown = [r for r in rows if r["district"]["value"] is not None]
        chart = charts.paired_bars([r["label"] for r in shown],
                                   [r["district"]["value"] for r in shown],
                                   [r["city"]["value"] for r in shown], title,
                                   names[code]) if shown else None
        sections.append({"title": title, "rows": rows,
                         "chart": chart.to_json() if chart else None})
    return render_template("dashboard/district.html", slug=slug, figures=figures, code=code,
                           name=names[code], group=group, groups=GROUP_NAMES, waves=waves,
                           sections=sections)


@bp.get("/<slug>/chart/<kind>.<fmt>")
@login_required()
def chart_file(slug: str, kind: str, fmt: str):
    """A chart as SVG or PNG, drawn on the server (also without JavaScript)."""
    figures, indicator, group, _waves = _selection(slug)
    if fmt not in FORMATS:
        abort(404)
    figure = {"ranking": _ranking_chart, "map": _map_chart}.get(kind, lambda *a: None)(
        figures, indicator, group)
    if figure is None:
        abort(404)
    try:
        data = figure_image(figure, fmt)
    except ChartExportError:
        abort(503)
    name = f"{slug}-{kind}-{indicator}-{group.replace('=', '-')}.{fmt}"
    return Response(data, mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.context_processor
def plotly_styles() -> dict:
    return {"plotly_unused_styles": _unused_plotly_styles()}


@cache
def _unused_plotly_styles() -> tuple[str, ...]:
    """Ids of <style> elements that plotly.js injects unless an element with that id
    exists: maplibre's stylesheet for tile maps, which the dashboard never draws. The CSP
    would block the injection (a console error on every page)."""
    script = BASIC_BUNDLE.read_text(encoding="utf-8")
    return tuple(dict.fromkeys(re.findall(r'getElementById\("([0-9a-f]{64})"\)', script)))


@bp.get("/vendor/plotly-basic.min.js")
def plotly_js():
    """plotly.js's basic bundle (bar and scatter, all the dashboard draws; a quarter of
    the full bundle), the one the server's chart export uses (reports/vendor): no CDN."""
    return send_from_directory(BASIC_BUNDLE.parent, BASIC_BUNDLE.name, max_age=86400)
