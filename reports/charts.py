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
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from .formatting import number, percent

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FONT = "DejaVu Sans, Arial, sans-serif"
DARK, MID, LIGHT = "#1f1f1f", "#6b6b6b", "#bdbdbd"
HIGHER, LOWER, NEUTRAL = "#1f1f1f", "#9e9e9e", "#5f5f5f"
MAP_SCALE = ["#f2f2f2", "#c8c8c8", "#9a9a9a", "#666666", "#333333"]
FLAG_MARK = {"higher": " ▲", "lower": " ▼", "": ""}
LABEL_WIDTH, LINE_HEIGHT = 34, 15  # an axis label's line in characters, its height in px
WIDTH, TOP = 720, 40  # px: a chart's width, its top margin for a title of one line
FONT_SIZE, TITLE_SIZE, TITLE_LINE = 11, 14, 19  # px; a title's lines are 1.3 em apart
EDGE = 10  # px between the chart's edge and the legend, the right end of the axis
# px between the chart's edge and the widest y-axis label, and between labels and bars
# (plotly adds 1): the bars as wide as automargin made them (its ticks depend on that)
LABEL_EDGE, LABEL_GAP = 7, 3
LEGEND_ROW, LEGEND_PAD = 29, 12  # px: a legend's row at FONT_SIZE; room plotly wants below
# The look of every chart that plotly's default template gave and the specs do not say
# themselves (the full template, 7 kB, costs Chromium some 7 ms of a chart's 35).
TEMPLATE = {
    "layout": {"autotypenumbers": "strict"},
    "data": {"bar": [{"marker": {"pattern": {"fillmode": "overlay", "size": 10,
                                             "solidity": 0.2}}}],
             "scatter": [{"fillpattern": {"fillmode": "overlay", "size": 10,
                                          "solidity": 0.2}}]}}


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


@functools.lru_cache(maxsize=4)
def _font(size: int) -> FreeTypeFont | None:
    """DejaVu Sans (the font Chromium draws the charts in) at ``size`` px for measuring
    text, or None without its file (Debian: fonts-dejavu-core)."""
    from PIL import ImageFont

    for path in _font_files():
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return None


def _font_files() -> Iterator[str]:
    yield "DejaVuSans.ttf"  # Pillow looks for it in the system's font folders
    if shutil.which("fc-match"):
        try:
            path = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"],
                                  capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return
        if path.endswith("/DejaVuSans.ttf"):  # not a substitute of other widths
            yield path


@functools.lru_cache(maxsize=4096)  # a pack repeats its labels in every district
def text_width(text: str, size: int = FONT_SIZE) -> float:
    """Width in px of one line of plain text as the charts draw it. Without the font
    file, a width per character no line of ordinary text exceeds."""
    font = _font(size)
    return font.getlength(text) if font is not None else 0.7 * size * len(text)


def _title(title: str, width: int) -> list[str]:
    """The title's lines: plotly never wraps a title, and cuts one wider than the chart."""
    lines: list[str] = []
    for word in title.split():
        if lines and text_width(f"{lines[-1]} {word}", TITLE_SIZE) <= width - EDGE:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def _label_margin(labels: list[list[str]]) -> int:
    """Left margin for y-axis labels (lines of plain text): the widest line fits."""
    widest = max((text_width(line) for lines in labels for line in lines), default=0.0)
    return math.ceil(widest) + LABEL_GAP + 1 + LABEL_EDGE


def _legend_below(names: list[str], width: float, gap: int, height: int, title: str = ""
                  ) -> tuple[int, dict]:
    """Bottom margin and a horizontal legend ``gap`` px below the plot (of ``width`` px),
    the margin room for all its rows: else plotly widens it and draws the chart again."""
    bottom = gap + _legend_rows(names, width, title) * LEGEND_ROW + LEGEND_PAD
    legend = {"orientation": "h", "x": 0, "yanchor": "top",
              "y": -gap / (height - TOP - bottom)}
    if title:
        legend["title"] = {"text": chart_text(title)}
    return bottom, legend


def _legend_rows(names: list[str], width: float, title: str = "") -> int:
    """Rows of a horizontal legend (plotly starts a row when an entry would not fit)."""
    rows, used = 1, text_width(title) + 10 if title else 0.0
    for name in names:
        entry = text_width(name) + 50  # symbol, gaps
        if used and used + entry > width:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


@dataclass(frozen=True)
class Bar:
    label: str
    estimate: float
    low: float
    high: float
    flag: str = ""


def _layout(title: str, height: int, margin: dict, width: int = WIDTH, **more) -> dict:
    """A chart's layout as plain JSON (plotly's graph objects would validate it: half of
    a chart's Python time), with fixed margins: plotly's automargin measures labels in
    the browser and draws the chart a second time. ``height`` and ``margin`` are for a
    title of one line; a longer title is wrapped and adds its lines."""
    lines = _title(title, width)
    extra = TITLE_LINE * (len(lines) - 1)
    for axis in ("xaxis", "yaxis"):
        more[axis] = {"automargin": False, **more.get(axis, {})}
    return {"template": TEMPLATE, "title": {
                "text": "<br>".join(chart_text(line) for line in lines), "x": 0,
                # plotly puts the first line's baseline there, 20 px down (as for one
                # line at "auto" in a margin of 40), the others below it.
                "xanchor": "left", "yref": "container", "y": 1 - 20 / (height + extra),
                "yanchor": "bottom", "font": {"size": TITLE_SIZE}, "automargin": False},
            "font": {"family": FONT, "size": FONT_SIZE, "color": DARK}, "width": width,
            "height": height + extra,
            "margin": {"l": EDGE, "r": 20, "b": 30, **margin, "t": TOP + extra},
            "plot_bgcolor": "white", "paper_bgcolor": "white", "showlegend": False, **more}


def ranked_bars(bars: list[Bar], title: str, reference: float | None = None,
                reference_label: str = "Stadt") -> go.Figure:
    """Horizontal bars, highest first, with 95 % intervals and flags (▲ ▼)."""
    return go.Figure(ranked_bars_spec(bars, title, reference, reference_label))


def ranked_bars_spec(bars: list[Bar], title: str, reference: float | None = None,
                     reference_label: str = "Stadt") -> dict:
    """``ranked_bars`` as plotly's plain JSON figure (for kaleido)."""
    bars = sorted(bars, key=lambda bar: bar.estimate)
    labels = [_label_lines(b.label) for b in bars]
    suffixes = [f"{FLAG_MARK[b.flag]}  {percent(b.estimate)}" for b in bars]
    colours = [HIGHER if b.flag == "higher" else LOWER if b.flag == "lower" else NEUTRAL
               for b in bars]
    trace = {
        "type": "bar", "x": [b.estimate for b in bars],
        "y": [_axis_label(lines, suffix) for lines, suffix in zip(labels, suffixes)],
        "orientation": "h", "marker": {"color": colours, "line": {"color": DARK, "width": 0.5}},
        "error_x": {"type": "data", "symmetric": False, "color": DARK, "thickness": 1,
                    "array": [b.high - b.estimate for b in bars],
                    "arrayminus": [b.estimate - b.low for b in bars]},
        "hoverinfo": "skip"}
    left = _label_margin([lines[:-1] + [lines[-1] + suffix]
                          for lines, suffix in zip(labels, suffixes)])
    top = min(1.0, 1.15 * max([b.high for b in bars] + [reference or 0, 0.05]))
    right = _right_margin([], left) if top == 1.0 else 20  # "100%" ends the axis
    more: dict = {}
    if reference is not None:  # as plotly's add_vline draws it
        text = f"{reference_label} {percent(reference)}"
        more["shapes"] = [{"type": "line", "x0": reference, "x1": reference, "xref": "x",
                           "y0": 0, "y1": 1, "yref": "y domain",
                           "line": {"color": DARK, "dash": "dash", "width": 1}}]
        more["annotations"] = [{
            "showarrow": False, "text": chart_text(text), "x": reference,
            "xanchor": _reference_anchor(text, left + reference / top * (WIDTH - left - right)),
            "xref": "x", "y": 1, "yanchor": "bottom", "yref": "y domain"}]
    return {"data": [trace], "layout": _layout(
        title, height=max(180, _row_height(labels, 26) * len(bars) + 80),
        margin={"l": left, "r": right},
        xaxis={"range": [0, top], "tickformat": ".0%", "gridcolor": "#e0e0e0",
               "zeroline": False},
        yaxis={"showgrid": False, "ticklabelstandoff": LABEL_GAP}, **more)}


def _reference_anchor(text: str, line: float, width: int = WIDTH) -> str:
    """Where the reference line's label hangs: centred on the line (``line`` px from the
    left), unless that would reach past the chart's right edge."""
    return "right" if line + text_width(text) / 2 > width - 2 else "center"


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
    left = _label_margin(lines)
    right = _right_margin([(v, trace["text"][i]) for trace in traces
                          for i, v in enumerate(trace["x"]) if v is not None], left)
    height = max(220, _row_height(lines, 44) * len(labels) + 90)
    bottom, legend = _legend_below([district_label, "Stadt"], WIDTH - left - right, 14,
                                   height)
    return {"data": traces, "layout": _layout(
        title, height=height, margin={"l": left, "r": right, "b": bottom},
        barmode="group", xaxis={"range": [0, 1.0], "tickformat": ".0%",
                                "gridcolor": "#e0e0e0", "zeroline": False},
        yaxis={"autorange": "reversed", "showgrid": False, "ticklabelstandoff": LABEL_GAP},
        showlegend=True, legend=legend)}


def _right_margin(values: list[tuple[float, str]], left: int, width: int = WIDTH) -> int:
    """Right margin for an x-axis from 0 to 100 %: the last tick's label and the texts
    beside bars near 100 % fit into it."""
    least = right = math.ceil(text_width("100%") / 2) + EDGE
    for _ in range(2):  # a wider margin narrows the bars: check once more
        plot = width - left - right
        right = max([least] + [math.ceil(value * plot + 3 + text_width(text) + 4 - plot)
                            for value, text in values])
    return right


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
    legend = _map_legend(low, high, bool(published), any(v is None for v in values.values()))
    for label, colour, pattern in legend:
        # Empty bars: legend entries only, with the fill (or hatching) of the map.
        marker = {"color": colour, "line": {"color": DARK, "width": 0.8}}
        if pattern is not None:
            marker["pattern"] = pattern
        traces.append({"type": "bar", "x": [None], "y": [None], "name": chart_text(label),
                       "showlegend": True, "marker": marker, "hoverinfo": "skip"})
    bottom, below = _legend_below([label for label, _c, _p in legend], WIDTH - EDGE - 20, 10,
                                  600, "Anteil:")
    return {"data": traces, "layout": _layout(
        title, height=600, margin={"b": bottom}, xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x",
               "scaleratio": 1.0 / math.cos(math.radians(_mean_latitude(data)))},
        showlegend=True, legend={**below, "traceorder": "normal"})}


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
