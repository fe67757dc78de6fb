"""Charts for reports and the dashboard, built with plotly from plain figures.

Every chart is readable in greyscale print: values are written on the bars,
significance is marked with a symbol as well as a shade, and the map uses a
light-to-dark scale. Suppressed figures never reach a chart: callers pass only
published rows, and a chart says how many were left out.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import plotly.graph_objects as go

from .formatting import percent

FONT = "DejaVu Sans, Arial, sans-serif"
DARK, MID, LIGHT = "#1f1f1f", "#6b6b6b", "#bdbdbd"
HIGHER, LOWER, NEUTRAL = "#1f1f1f", "#9e9e9e", "#5f5f5f"
MAP_SCALE = ["#f2f2f2", "#c8c8c8", "#9a9a9a", "#666666", "#333333"]
FLAG_MARK = {"higher": " ▲", "lower": " ▼", "": ""}


@dataclass(frozen=True)
class Bar:
    label: str
    estimate: float
    low: float
    high: float
    flag: str = ""


def _layout(figure: go.Figure, title: str, height: int, width: int = 720) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}},
        font={"family": FONT, "size": 11, "color": DARK}, width=width, height=height,
        margin={"l": 10, "r": 20, "t": 40, "b": 30}, plot_bgcolor="white",
        paper_bgcolor="white", showlegend=False)
    return figure


def ranked_bars(bars: list[Bar], title: str, reference: float | None = None,
                reference_label: str = "Stadt") -> go.Figure:
    """Horizontal bars, highest first, with 95 % intervals and flags (▲ ▼)."""
    bars = sorted(bars, key=lambda bar: bar.estimate)
    colours = [HIGHER if b.flag == "higher" else LOWER if b.flag == "lower" else NEUTRAL
               for b in bars]
    figure = go.Figure(go.Bar(
        x=[b.estimate for b in bars],
        y=[f"{b.label}{FLAG_MARK[b.flag]}  {percent(b.estimate)}" for b in bars],
        orientation="h", marker={"color": colours, "line": {"color": DARK, "width": 0.5}},
        error_x={"type": "data", "symmetric": False, "color": DARK, "thickness": 1,
                 "array": [b.high - b.estimate for b in bars],
                 "arrayminus": [b.estimate - b.low for b in bars]},
        hoverinfo="skip"))
    top = max([b.high for b in bars] + [reference or 0, 0.05])
    figure.update_xaxes(range=[0, min(1.0, top * 1.15)], tickformat=".0%",
                        gridcolor="#e0e0e0", zeroline=False)
    figure.update_yaxes(automargin=True)
    if reference is not None:
        figure.add_vline(x=reference, line={"color": DARK, "dash": "dash", "width": 1},
                         annotation_text=f"{reference_label} {percent(reference)}",
                         annotation_position="top")
    return _layout(figure, title, height=max(180, 26 * len(bars) + 80))


def paired_bars(labels: list[str], district: list[float | None], city: list[float | None],
                title: str, district_label: str) -> go.Figure:
    """District against city per indicator (missing values are left out, not zero)."""
    figure = go.Figure()
    for name, values, colour, pattern in ((district_label, district, DARK, ""),
                                          ("Stadt", city, LIGHT, "/")):
        figure.add_trace(go.Bar(
            name=name, y=labels, x=list(values),
            orientation="h", marker={"color": colour, "pattern": {"shape": pattern},
                                     "line": {"color": DARK, "width": 0.5}},
            text=[percent(v) if v is not None else "–" for v in values],
            textposition="outside", cliponaxis=False, hoverinfo="skip"))
    figure.update_layout(barmode="group")
    figure.update_xaxes(range=[0, 1.0], tickformat=".0%", gridcolor="#e0e0e0")
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure = _layout(figure, title, height=max(220, 44 * len(labels) + 90))
    figure.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.08})
    return figure


def district_map(geojson: str, values: dict[str, float | None], names: dict[str, str],
                 title: str) -> go.Figure:
    """Choropleth of the district polygons drawn as shapes (no tiles, no map server).

    Districts without a published value are hatched.
    """
    data = json.loads(geojson)
    published = [v for v in values.values() if v is not None]
    low, high = (min(published), max(published)) if published else (0.0, 1.0)
    figure = go.Figure()
    for feature in data["features"]:
        code = str(feature["properties"]["code"])
        value = values.get(code)
        shade = _shade(value, low, high)
        for ring in _outer_rings(feature["geometry"]):
            xs, ys = zip(*[(point[0], point[1]) for point in ring])
            figure.add_trace(go.Scatter(
                x=xs, y=ys, fill="toself", mode="lines", hoverinfo="skip",
                line={"color": DARK, "width": 0.8},
                fillcolor=shade if value is not None else "white",
                fillpattern=None if value is not None else {"shape": "/", "fgcolor": MID}))
        x, y = _centre(feature["geometry"])
        name = names.get(code, code).replace("/", "/<br>")
        label = f"{name}<br>{percent(value) if value is not None else '–'}"
        figure.add_trace(go.Scatter(
            x=[x], y=[y], mode="text", text=[label], hoverinfo="skip",
            textfont={"size": 8, "color": "white" if value is not None and
                      _is_dark(value, low, high) else DARK}))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.0 / math.cos(
        math.radians(_mean_latitude(data))))
    return _layout(figure, title, height=560)


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
