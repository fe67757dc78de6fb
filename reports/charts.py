"""Charts for reports and the dashboard, built with plotly from plain figures.

Every chart is readable in greyscale print: values are written on the bars,
significance is marked with a symbol as well as a shade, and the map uses a
light-to-dark scale. Suppressed figures never reach a chart: callers pass only
published rows, and a chart says how many were left out.

Every text reaches plotly through `chart_text`: callers pass plain text (district
names, labels, titles), never markup.
"""
from __future__ import annotations

import functools
import json
import math
import textwrap
from dataclasses import dataclass

import plotly.graph_objects as go

from .formatting import number, percent

FONT = "DejaVu Sans, Arial, sans-serif"
DARK, MID, LIGHT = "#1f1f1f", "#6b6b6b", "#bdbdbd"
HIGHER, LOWER, NEUTRAL = "#1f1f1f", "#9e9e9e", "#5f5f5f"
MAP_SCALE = ["#f2f2f2", "#c8c8c8", "#9a9a9a", "#666666", "#333333"]
FLAG_MARK = {"higher": " ▲", "lower": " ▼", "": ""}
LABEL_WIDTH, LINE_HEIGHT = 34, 15  # an axis label's line in characters, its height in px


def chart_text(text: str) -> str:
    """Plain text as plotly shows it literally.

    plotly reads its own small HTML in every title, tick label, legend entry and
    annotation (`<a href>`, `<span style>`, `<br>`, `<b>`, entities) and, with MathJax,
    `$...$`; a district name with `<span style="background:url(...)">` made the
    server-side Chromium fetch that URL. plotly decodes entities after it has split
    the tags off, so escaped characters come out as themselves.
    """
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("$", "&#36;"))


def _label_lines(label: str) -> list[str]:
    """A long axis label on a few lines: plotly never wraps one."""
    return textwrap.wrap(label, LABEL_WIDTH, break_long_words=False,
                         break_on_hyphens=False) or [""]


def _axis_label(lines: list[str], suffix: str = "") -> str:
    return "<br>".join(chart_text(line) for line in lines) + suffix


def _row_height(labels: list[list[str]], minimum: int) -> int:
    """Pixels per bar row, so that labels of several lines never overlap."""
    return max([minimum] + [LINE_HEIGHT * len(lines) + 8 for lines in labels])


@dataclass(frozen=True)
class Bar:
    label: str
    estimate: float
    low: float
    high: float
    flag: str = ""


def _layout(title: str, height: int, width: int = 720, **more) -> dict:
    """A chart's layout as plain JSON, with plotly's default template (as go.Figure
    adds it): the same figure plotly's graph objects would give, without their
    validation (half of a chart's Python time)."""
    return {"template": _template(), "title": {
                "text": chart_text(title), "x": 0, "xanchor": "left", "font": {"size": 14}},
            "font": {"family": FONT, "size": 11, "color": DARK}, "width": width,
            "height": height, "margin": {"l": 10, "r": 20, "t": 40, "b": 30},
            "plot_bgcolor": "white", "paper_bgcolor": "white", "showlegend": False, **more}


@functools.lru_cache(maxsize=1)
def _template() -> dict:
    import plotly.io as pio

    return pio.templates[pio.templates.default].to_plotly_json()


def ranked_bars(bars: list[Bar], title: str, reference: float | None = None,
                reference_label: str = "Stadt") -> go.Figure:
    """Horizontal bars, highest first, with 95 % intervals and flags (▲ ▼)."""
    return go.Figure(ranked_bars_spec(bars, title, reference, reference_label))


def ranked_bars_spec(bars: list[Bar], title: str, reference: float | None = None,
                     reference_label: str = "Stadt") -> dict:
    """``ranked_bars`` as plotly's plain JSON figure (for kaleido)."""
    bars = sorted(bars, key=lambda bar: bar.estimate)
    labels = [_label_lines(b.label) for b in bars]
    colours = [HIGHER if b.flag == "higher" else LOWER if b.flag == "lower" else NEUTRAL
               for b in bars]
    trace = {
        "type": "bar", "x": [b.estimate for b in bars],
        "y": [_axis_label(lines, f"{FLAG_MARK[b.flag]}  {percent(b.estimate)}")
              for lines, b in zip(labels, bars)],
        "orientation": "h", "marker": {"color": colours, "line": {"color": DARK, "width": 0.5}},
        "error_x": {"type": "data", "symmetric": False, "color": DARK, "thickness": 1,
                    "array": [b.high - b.estimate for b in bars],
                    "arrayminus": [b.estimate - b.low for b in bars]},
        "hoverinfo": "skip"}
    top = max([b.high for b in bars] + [reference or 0, 0.05])
    more: dict = {}
    if reference is not None:  # as plotly's add_vline draws it
        more["shapes"] = [{"type": "line", "x0": reference, "x1": reference, "xref": "x",
                           "y0": 0, "y1": 1, "yref": "y domain",
                           "line": {"color": DARK, "dash": "dash", "width": 1}}]
        more["annotations"] = [{
            "showarrow": False, "text": f"{chart_text(reference_label)} {percent(reference)}",
            "x": reference, "xanchor": "center", "xref": "x", "y": 1, "yanchor": "bottom",
            "yref": "y domain"}]
    return {"data": [trace], "layout": _layout(
        title, height=max(180, _row_height(labels, 26) * len(bars) + 80),
        xaxis={"range": [0, min(1.0, top * 1.15)], "tickformat": ".0%",
               "gridcolor": "#e0e0e0", "zeroline": False},
        yaxis={"automargin": True}, **more)}


def paired_bars(labels: list[str], district: list[float | None], city: list[float | None],
                title: str, district_label: str) -> go.Figure:
    """District against city per indicator (missing values are left out, not zero)."""
    return go.Figure(paired_bars_spec(labels, district, city, title, district_label))


def paired_bars_spec(labels: list[str], district: list[float | None],
                     city: list[float | None], title: str, district_label: str) -> dict:
    """``paired_bars`` as plotly's plain JSON figure (for kaleido)."""
    lines = [_label_lines(label) for label in labels]
    traces = [{
        "type": "bar", "name": chart_text(name), "y": [_axis_label(label) for label in lines],
        "x": list(values), "orientation": "h",
        "marker": {"color": colour, "pattern": {"shape": pattern},
                   "line": {"color": DARK, "width": 0.5}},
        "text": [percent(v) if v is not None else "–" for v in values],
        "textposition": "outside", "cliponaxis": False, "hoverinfo": "skip"}
        for name, values, colour, pattern in ((district_label, district, DARK, ""),
                                              ("Stadt", city, LIGHT, "/"))]
    return {"data": traces, "layout": _layout(
        title, height=max(220, _row_height(lines, 44) * len(labels) + 90), barmode="group",
        xaxis={"range": [0, 1.0], "tickformat": ".0%", "gridcolor": "#e0e0e0"},
        yaxis={"autorange": "reversed", "automargin": True}, showlegend=True,
        legend={"orientation": "h", "y": -0.08})}


def district_map(geojson: str, values: dict[str, float | None], names: dict[str, str],
                 title: str) -> go.Figure:
    """Choropleth of the district polygons drawn as shapes (no tiles, no map server).

    Districts without a published value are hatched.
    """
    return go.Figure(district_map_spec(geojson, values, names, title))


def district_map_spec(geojson: str, values: dict[str, float | None], names: dict[str, str],
                      title: str) -> dict:
    """``district_map`` as plotly's plain JSON figure (for kaleido)."""
    data = json.loads(geojson)
    published = [v for v in values.values() if v is not None]
    low, high = (min(published), max(published)) if published else (0.0, 1.0)
    traces = []
    for feature in data["features"]:
        code = str(feature["properties"]["code"])
        value = values.get(code)
        shade = _shade(value, low, high)
        for ring in _outer_rings(feature["geometry"]):
            trace = {"type": "scatter", "x": [point[0] for point in ring],
                     "y": [point[1] for point in ring], "fill": "toself", "mode": "lines",
                     "hoverinfo": "skip", "showlegend": False,
                     "line": {"color": DARK, "width": 0.8},
                     "fillcolor": shade if value is not None else "white"}
            if value is None:
                trace["fillpattern"] = {"shape": "/", "fgcolor": MID}
            traces.append(trace)
        x, y = _centre(feature["geometry"])
        # Long double names ("Nord/Holland") break at their slash.
        name = "/<br>".join(chart_text(part) for part in names.get(code, code).split("/"))
        label = f"{name}<br>{percent(value) if value is not None else '–'}"
        traces.append({
            "type": "scatter", "x": [x], "y": [y], "mode": "text", "text": [label],
            "hoverinfo": "skip", "showlegend": False,
            "textfont": {"size": 8, "color": "white" if value is not None and
                         _is_dark(value, low, high) else DARK}})
    for label, colour, pattern in _map_legend(low, high, bool(published),
                                              any(v is None for v in values.values())):
        # Empty bars: legend entries only, with the fill (or hatching) of the map.
        marker = {"color": colour, "line": {"color": DARK, "width": 0.8}}
        if pattern is not None:
            marker["pattern"] = pattern
        traces.append({"type": "bar", "x": [None], "y": [None], "name": chart_text(label),
                       "showlegend": True, "marker": marker, "hoverinfo": "skip"})
    return {"data": traces, "layout": _layout(
        title, height=600, xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x",
               "scaleratio": 1.0 / math.cos(math.radians(_mean_latitude(data)))},
        showlegend=True, legend={
            "orientation": "h", "x": 0, "y": -0.02, "yanchor": "top", "traceorder": "normal",
            "title": {"text": "Anteil:"}})}


def map_classes(low: float, high: float) -> list[tuple[float, float]]:
    """The value range of each shade of the map (equal steps from lowest to highest)."""
    if high <= low:
        return [(low, high)]
    step = (high - low) / len(MAP_SCALE)
    return [(low + index * step, low + (index + 1) * step) for index in range(len(MAP_SCALE))]


def _map_legend(low: float, high: float, any_published: bool, any_hidden: bool
                ) -> list[tuple[str, str, dict | None]]:
    """(label, fill, pattern) of each legend entry: the shades with their ranges, then
    the hatching of districts without a published figure."""
    entries = []
    if any_published:
        classes = map_classes(low, high)
        shades = MAP_SCALE if len(classes) > 1 else [MAP_SCALE[0]]
        for (start, end), shade in zip(classes, shades):
            span = percent(start) if len(classes) == 1 else \
                f"{number(start * 100)}–{percent(end)}"
            entries.append((span, shade, None))
    if any_hidden:
        entries.append(("nicht veröffentlicht", "white", {"shape": "/", "fgcolor": MID}))
    return entries


def _shade(value: float | None, low: float, high: float) -> str:
    if value is None:
        return "white"
    position = 0.0 if high <= low else (value - low) / (high - low)
    return MAP_SCALE[min(len(MAP_SCALE) - 1, int(position * len(MAP_SCALE)))]


def _is_dark(value: float, low: float, high: float) -> bool:
    return MAP_SCALE.index(_shade(value, low, high)) >= 3


def _outer_rings(geometry: dict) -> list[list]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [polygon[0] for polygon in geometry["coordinates"]]


def _centre(geometry: dict) -> tuple[float, float]:
    ring = max(_outer_rings(geometry), key=len)
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def _mean_latitude(data: dict) -> float:
    ys = [point[1] for feature in data["features"]
          for ring in _outer_rings(feature["geometry"]) for point in ring]
    return sum(ys) / len(ys) if ys else 0.0
