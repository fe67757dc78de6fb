"""City and district reports: figures selected from the indicator table, formatted,
drawn and laid out for print (WeasyPrint)."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.indicators import HEADLINE

from . import charts
from .formatting import interval, number, percent, period
from .model import CITY, DIMENSIONS, ReportData
from .pdf import render_pdf_counted
from .pool import ReportPool
from .svg import Figurish, figure_images, start_chart_server, svg_data_uri
from .templating import environment

FLAG_TEXT = {"higher": "höher als im Rest der Stadt", "lower": "niedriger als im Rest der Stadt",
             "": "kein gesicherter Unterschied"}
GROUP_LABELS = {"gender=f": "Frauen", "gender=m": "Männer", "gender=d": "divers",
                "age_group=14-17": "14–17 Jahre", "age_group=18-29": "18–29 Jahre",
                "age_group=30-44": "30–44 Jahre", "age_group=45-59": "45–59 Jahre",
                "age_group=60-74": "60–74 Jahre", "age_group=75+": "75 Jahre und älter"}


@dataclass
class Chart:
    title: str
    uri: str
    description: str


@dataclass
class RenderStats:
    charts: int = 0
    pages: int = 0
    files: list[Path] = field(default_factory=list)


@dataclass
class Figure:
    """One indicator in one cell, formatted for print."""

    label: str
    estimate: str
    interval: str  # or, for a suppressed figure, why it is not shown
    n: str
    flag: str
    suppressed: bool
    value: float | None
    direction: str = ""  # "higher", "lower" or "" (no secured difference to the rest)


def _value(row: dict | None) -> float | None:
    if row is None or row["suppressed"] or pd.isna(row["estimate"]):
        return None
    return float(row["estimate"])


def _is_mean(indicator: str) -> bool:
    return indicator.endswith("_mean")


def figure(data: ReportData, district: str, indicator: str, group: str = "all",
           label: str | None = None) -> Figure:
    return format_figure(data.row(district, indicator, group),
                         label or data.labels.get(indicator, indicator), indicator,
                         min_n=data.min_n)


def suppression_reason(row: dict | None, min_n: int | None) -> str:
    if row is None or row["n"] == 0:
        return "keine Antworten"
    if min_n is not None and row["n"] < min_n:
        return f"unter {min_n} Antworten"
    if min_n is not None:  # enough answers, held back so that others cannot be derived
        return "zum Schutz anderer Zahlen"
    return "unterdrückt"


def format_figure(row: dict | None, label: str, indicator: str,
                  flags: dict[str, str] = FLAG_TEXT, min_n: int | None = None) -> Figure:
    """A row of the indicator table formatted for print or screen; a suppressed row says
    why (with ``min_n``: too few answers, or held back to protect other figures)."""
    if row is None or row["suppressed"] or pd.isna(row["estimate"]):
        return Figure(label, "–", suppression_reason(row, min_n),
                      number(row["n"]) if row is not None else "0", "", True, None)
    if _is_mean(indicator):
        estimate = number(row["estimate"], 2)
        span = f"{number(row['ci_low'], 2)}–{number(row['ci_high'], 2)}"
    else:
        estimate, span = percent(row["estimate"]), interval(row["ci_low"], row["ci_high"])
    return Figure(label, estimate, span, number(row["n"]), flags.get(row["flag"], ""),
                  False, float(row["estimate"]), row["flag"])


class ChartMaker:
    """Collects a report's charts and draws them together (``finish``): Chromium draws a
    batch in several tabs at once. Counts them (for the benchmark)."""

    def __init__(self) -> None:
        self.count = 0
        self._waiting: list[tuple[Chart, Figurish]] = []

    def __call__(self, chart_figure: Figurish, title: str, description: str) -> Chart:
        self.count += 1
        chart = Chart(title, "", description)
        self._waiting.append((chart, chart_figure))
        return chart

    def finish(self) -> None:
        """Draw the charts collected so far into their Chart objects."""
        waiting, self._waiting = self._waiting, []
        for (chart, _figure), svg in zip(waiting, figure_images([f for _c, f in waiting])):
            chart.uri = svg_data_uri(svg)


def _district_bars(data: ReportData, indicator: str) -> tuple[list[charts.Bar], int]:
    bars, hidden = [], 0
    for district in data.districts:
        row = data.row(district.code, indicator)
        if _value(row) is None:
            hidden += 1
            continue
        bars.append(charts.Bar(district.name, float(row["estimate"]), float(row["ci_low"]),
                               float(row["ci_high"]), row["flag"]))
    return bars, hidden


def chapter_measure(data: ReportData, names: list[str]) -> str | None:
    """What every share of a chapter counts, if they all count the same answers (then
    the chapter says it once and its rows name only the items)."""
    measures = {data.measures.get(name) for name in names}
    measure = measures.pop() if len(measures) == 1 else None
    return measure if measure and measure.startswith("Anteil ") else None


def measure_sentence(measure: str) -> str:
    answers = measure.removeprefix("Anteil ")
    return (f"„Anteil“ heißt in diesem Kapitel: Befragte, die {answers} geantwortet haben, "
            "unter allen mit gültiger Antwort (ohne „keine Angabe“).")


def _row_label(data: ReportData, name: str, measure: str | None) -> str:
    return data.items.get(name, name) if measure else data.labels.get(name, name)


def district_table(data: ReportData, names: list[str], measure: str | None) -> dict:
    """Every district on every indicator of a chapter, with its comparison to the rest
    of the city: columns are lettered (A, B, …) and explained below the table."""
    columns = [(chr(ord("A") + index), _row_label(data, name, measure))
               for index, name in enumerate(names)]
    rows = []
    for district in data.districts:
        cells = []
        for name in names:
            cell = figure(data, district.code, name)
            cells.append({"text": cell.estimate, "arrow": charts.FLAG_MARK[cell.direction],
                          "suppressed": cell.suppressed})
        rows.append({"name": district.name, "cells": cells})
    return {"columns": columns, "rows": rows}


def _dimension_text(data: ReportData, district: str, names: list[str]) -> str:
    values = [(data.items.get(n) or data.labels.get(n, n), _value(data.row(district, n)))
              for n in names]
    values = [(label, value) for label, value in values if value is not None]
    if not values:
        return "Für diesen Bereich liegen keine veröffentlichbaren Werte vor."
    values.sort(key=lambda item: item[1], reverse=True)
    text = f"Am höchsten ist der Anteil bei „{values[0][0]}“ ({percent(values[0][1])})"
    if len(values) > 1:
        text += f", am niedrigsten bei „{values[-1][0]}“ ({percent(values[-1][1])})"
    return text + "."


def _flag_text(data: ReportData, indicator: str) -> str:
    higher = [d.name for d in data.districts
              if (row := data.row(d.code, indicator)) is not None and row["flag"] == "higher"]
    lower = [d.name for d in data.districts
             if (row := data.row(d.code, indicator)) is not None and row["flag"] == "lower"]
    parts = []
    if higher:
        parts.append("deutlich höher als im Rest der Stadt in " + ", ".join(higher))
    if lower:
        parts.append("deutlich niedriger in " + ", ".join(lower))
    if not parts:
        return "Kein Stadtteil weicht statistisch gesichert vom Rest der Stadt ab."
    return "Der Anteil ist " + "; ".join(parts) + " (Test auf 5-%-Niveau, Holm-korrigiert)."


def _change(data: ReportData, indicator: str, district: str = CITY) -> str | None:
    if data.changes is None or data.previous_title is None:
        return None
    match = data.changes[(data.changes["district"] == district)
                         & (data.changes["indicator"] == indicator)
                         & (data.changes["group"] == "all")]
    if match.empty:
        return None
    row = match.iloc[0]
    points = number(row["change"] * 100, 1)
    verdict = {"higher": "gestiegen", "lower": "gesunken"}.get(row["flag"],
                                                               "nicht gesichert verändert")
    return (f"{data.previous_title}: {percent(row['estimate_previous'])}; Veränderung "
            f"{'+' if row['change'] > 0 else ''}{points} Prozentpunkte ({verdict}).")


def city_context(data: ReportData, draw: ChartMaker) -> dict:
    """Everything the city report template shows."""
    headline = {name: figure(data, CITY, name) for name in ("unsafe_night", "unsafe_day")}
    comparisons = []
    for name in ("unsafe_night", "unsafe_day"):
        bars, hidden = _district_bars(data, name)
        city_value = _value(data.row(CITY, name))
        chart = draw(charts.ranked_bars_spec(bars, data.labels.get(name, name), city_value),
                     data.labels.get(name, name),
                     f"Balkendiagramm: {data.labels.get(name, name)} nach Stadtteil. Linien: "
                     "95-%-Vertrauensintervalle; ▲/▼: signifikant höher/niedriger als im Rest "
                     "der Stadt; gestrichelt: Gesamtstadt") if bars else None
        comparisons.append({"name": name, "label": data.labels.get(name, name), "chart": chart,
                            "hidden": hidden, "text": _flag_text(data, name)})
    map_chart = None
    if data.geojson:
        values = {d.code: _value(data.row(d.code, "unsafe_night")) for d in data.districts}
        map_chart = draw(charts.district_map_spec(data.geojson, values,
                                             {d.code: d.name for d in data.districts},
                                             data.labels.get("unsafe_night", "")),
                         "Karte", ("Schematische Kachelkarte" if '"schematic": true' in
                                   data.geojson else "Karte") + " der Stadtteile: je dunkler, "
                         "desto höher der Anteil; weiß schraffiert: nicht veröffentlicht")
    sections = []
    for title, prefixes in DIMENSIONS:
        names = data.dimension_indicators(prefixes)
        if not names:
            continue
        measure = chapter_measure(data, names)
        bars = [charts.Bar(_row_label(data, n, measure), v, float(r["ci_low"]),
                           float(r["ci_high"]))
                for n in names if (v := _value(r := data.row(CITY, n))) is not None]
        chart = draw(charts.ranked_bars_spec(bars, title), title,
                     f"Balkendiagramm: {title}, Anteile in der Gesamtstadt. Linien: "
                     "95-%-Vertrauensintervalle") if bars else None
        sections.append({"title": title, "chart": chart,
                         "measure": measure_sentence(measure) if measure else None,
                         "text": _dimension_text(data, CITY, names),
                         "figures": [figure(data, CITY, n, label=_row_label(data, n, measure))
                                     for n in names],
                         # Day and night have their own comparison chapter already.
                         "districts": None if set(names) <= set(HEADLINE.values())
                         else district_table(data, names, measure)})
    annex = [{"name": d.name, "figures": [figure(data, d.code, n) for n in
                                          ("unsafe_night", "unsafe_day")]}
             for d in data.districts]
    means = [figure(data, CITY, n) for n in data.indicators["indicator"].drop_duplicates()
             if _is_mean(n)]
    return {"headline": headline, "comparisons": comparisons, "map": map_chart,
            "sections": sections, "annex": annex, "means": means,
            "changes": {name: _change(data, name) for name in headline}}


def district_context(data: ReportData, code: str, draw: ChartMaker) -> dict:
    """Everything a district report shows."""
    facts = next(d for d in data.districts if d.code == code)
    all_suppressed = all(_value(data.row(code, n)) is None
                         for n in data.indicators["indicator"].drop_duplicates())
    sections = []
    for title, prefixes in DIMENSIONS:
        names = data.dimension_indicators(prefixes)
        if not names:
            continue
        measure = chapter_measure(data, names)
        rows = [{"district": figure(data, code, n, label=_row_label(data, n, measure)),
                 "city": figure(data, CITY, n, label=_row_label(data, n, measure))}
                for n in names]
        shown = [r for r in rows if not r["district"].suppressed]
        chart = None
        if shown:
            chart = draw(charts.paired_bars_spec(
                [r["district"].label for r in shown], [r["district"].value for r in shown],
                [r["city"].value for r in shown], title, facts.name), title,
                f"Balkendiagramm: {title}, {facts.name} im Vergleich zur Gesamtstadt")
        sections.append({"title": title, "rows": rows, "chart": chart,
                         "measure": measure_sentence(measure) if measure else None,
                         "text": _dimension_text(data, code, names)})
    groups = [{"label": GROUP_LABELS[group],
               "figures": [figure(data, code, n, group) for n in ("unsafe_night", "unsafe_day")]}
              for group in GROUP_LABELS]
    # Every group is listed; one without figures says why (too few answers, or held
    # back so that another group's figure cannot be derived).
    places = next((p for p in data.places if p.district == code), None)
    return {"facts": facts, "all_suppressed": all_suppressed, "sections": sections,
            "groups": groups, "group_measure": data.measures.get("unsafe_night", "Anteil"),
            "headline": {n: figure(data, code, n) for n in ("unsafe_night", "unsafe_day")},
            "city": {n: figure(data, CITY, n) for n in ("unsafe_night", "unsafe_day")},
            "places": places,
            "changes": {n: _change(data, n, code) for n in ("unsafe_night", "unsafe_day")}}


def _common(data: ReportData) -> dict:
    return {"data": data, "fieldwork": period(data.fieldwork_start, data.fieldwork_end),
            "number": number, "percent": percent}


def city_html(data: ReportData, draw: ChartMaker) -> str:
    """The city report's HTML, its charts drawn."""
    context = city_context(data, draw)
    draw.finish()
    return environment().get_template("city.html").render(**_common(data), **context)


def district_html(data: ReportData, code: str, draw: ChartMaker) -> str:
    """The HTML of the report of one district, its charts drawn."""
    if code not in {d.code for d in data.districts}:
        raise KeyError(f"unknown district '{code}'")
    context = district_context(data, code, draw)
    draw.finish()
    return environment().get_template("district.html").render(**_common(data), **context)


def city_report(data: ReportData, draw: ChartMaker | None = None) -> tuple[bytes, int]:
    """(PDF, pages) of the city report."""
    return render_pdf_counted(city_html(data, draw or ChartMaker()))


def district_report(data: ReportData, code: str, draw: ChartMaker | None = None
                    ) -> tuple[bytes, int]:
    """(PDF, pages) of the report of one district."""
    return render_pdf_counted(district_html(data, code, draw or ChartMaker()))


def report_pack(data: ReportData, folder: Path, slug: str,
                progress: Callable[[str], None] | None = None, workers: int = 2,
                pool: ReportPool | None = None) -> RenderStats:
    """The conference pack: the city report and one report per district. This process
    draws each report's charts and fills its template, and hands the HTML to ``pool``
    (or a pool of ``workers`` processes started here), which lays it out while the next
    report's charts are drawn."""
    if pool is None:
        with ReportPool(workers) as own_pool:
            return report_pack(data, folder, slug, progress, pool=own_pool)
    folder.mkdir(parents=True, exist_ok=True)
    start_chart_server()
    # The city report is the longest: it goes first, so that no process waits for it
    # at the end.
    jobs = [(None, folder / f"{slug}-stadt.pdf")] + [
        (d.code, folder / f"{slug}-stadtteil-{d.code}.pdf") for d in data.districts]
    stats = RenderStats()
    running: dict[Future, tuple[str | None, Path]] = {}

    def collect(finished) -> None:
        for future in finished:
            stats.pages += future.result()
            code, path = running.pop(future)
            stats.files.append(path)
            if progress:
                progress(code or "stadt")

    for code, path in jobs:
        draw = ChartMaker()
        html = city_html(data, draw) if code is None else district_html(data, code, draw)
        running[pool.write_pdf(html, path)] = (code, path)
        stats.charts += draw.count
        collect(wait(running, timeout=0).done)  # progress while charts are still drawn
    collect(as_completed(list(running)))
    stats.files.sort()
    return stats
