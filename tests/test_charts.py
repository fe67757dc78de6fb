"""Charts show every text literally, and the Chromium that draws them on the server
reaches no network: a district name is never markup, and even markup is no request."""
from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from xml.etree import ElementTree

import plotly.graph_objects as go
import pytest
from sqlalchemy import select

from app.demo import load_demo
from app.extensions import db
from app.models import District
from reports import charts
from reports.svg import figure_svg

SVG = "{http://www.w3.org/2000/svg}"
SQUARES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": code},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 51.3], [x + 0.02, 51.3],
                                                      [x + 0.02, 51.32], [x, 51.3]]]}}
    for code, x in (("01", 9.40), ("02", 9.43), ("03", 9.46))]}


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A tiny HTTP server on loopback that notes every request it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.end_headers()
            self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg"/>')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], requests
    server.shutdown()
    server.server_close()


def hostile_names(port: int) -> list[str]:
    return [f'<a href="http://127.0.0.1:{port}/x">X</a>',
            f'<span style="background:url(http://127.0.0.1:{port}/y)">Y &amp; $1$</span>']


def shown_text(svg: bytes) -> str:
    """What a reader sees, without spaces (long labels are broken into lines)."""
    root = ElementTree.fromstring(svg)
    return "".join("".join(text.itertext()).replace(" ", "") for text in root.iter(f"{SVG}text"))


def unspaced(text: str) -> str:
    return text.replace(" ", "")


def styles_of(svg: bytes) -> str:
    root = ElementTree.fromstring(svg)
    return "\n".join(element.get("style", "") for element in root.iter())


@pytest.mark.pdf
def test_report_charts_show_markup_in_names_as_text(listener):
    port, requests = listener
    first, second = hostile_names(port)
    figures = [
        charts.ranked_bars([charts.Bar(first, 0.3, 0.2, 0.4, "higher"),
                            charts.Bar(second, 0.2, 0.1, 0.3)], second, 0.25, first),
        charts.paired_bars([first, second], [0.3, 0.2], [0.25, None], first, second),
        charts.district_map(json.dumps(SQUARES), {"01": 0.3, "02": 0.2, "03": None},
                            {"01": first, "02": second, "03": "Mitte"}, second),
    ]
    drawn = [figure_svg(figure) for figure in figures]
    assert requests == []
    for svg in drawn:
        text = shown_text(svg)
        assert unspaced(first) in text and unspaced(second) in text, text
        assert "url(http" not in styles_of(svg)  # no markup became a style


@pytest.mark.pdf
def test_the_chart_browser_reaches_no_network_even_with_markup(listener):
    """The second wall alone: markup that reaches plotly unescaped is drawn as markup
    (the style asks for the URL), and still no request leaves Chromium."""
    port, requests = listener
    raw = (f'<span style="background:url(http://127.0.0.1:{port}/y)">Y</span> '
           f'<span style="filter:url(http://localhost:{port}/f.svg#f)">F</span>')
    figure = go.Figure(go.Bar(x=[1], y=[raw]), layout={"title": {"text": raw},
                                                       "width": 400, "height": 300})
    svg = figure_svg(figure)
    assert f"url(http://127.0.0.1:{port}/y)" in styles_of(svg)  # markup, interpreted
    assert requests == []


@pytest.mark.pdf
def test_police_download_a_dashboard_chart_of_hostile_names(app, logged_in, listener):
    port, requests = listener
    names = hostile_names(port)
    with app.app_context():
        load_demo(db.session, responses=1500)
        districts = db.session.scalars(select(District).where(District.code.in_(["01", "02"]))
                                       .order_by(District.code)).all()
        for district, name in zip(districts, names):
            district.name = name
        db.session.commit()
    client = logged_in("police")
    downloads = {kind: client.get(f"/dashboard/kassel-2026/chart/{kind}")
                 for kind in ("ranking.svg", "map.svg", "ranking.png")}
    assert requests == []
    assert all(download.status_code == 200 for download in downloads.values())
    for kind in ("ranking.svg", "map.svg"):
        text = shown_text(downloads[kind].data)
        assert all(unspaced(name) in text for name in names), (kind, text)


def test_the_map_legend_gives_each_shade_its_range_and_hatches_the_unpublished():
    from reports.charts import MAP_SCALE, district_map, map_classes

    values = {"01": 0.12, "02": 0.30, "03": None, "04": 0.56}
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    geojson = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code},
         "geometry": {"type": "Polygon", "coordinates": [[[x + i * 2, y] for x, y in square]]}}
        for i, code in enumerate(values)]})
    figure = district_map(geojson, values, {code: code for code in values}, "Karte")
    legend = [(trace.name, trace.marker.color, trace.marker.pattern.shape)
              for trace in figure.data if trace.showlegend]
    assert [name.replace("\u202f", " ") for name, _colour, _pattern in legend] == [
        "12–21 %", "21–30 %", "30–38 %", "38–47 %", "47–56 %", "nicht veröffentlicht"]
    assert [colour for _name, colour, _pattern in legend[:-1]] == MAP_SCALE
    assert legend[-1][1] == "white" and legend[-1][2] == "/"  # hatched, as on the map
    classes = map_classes(0.12, 0.56)
    fills = {trace.fillcolor for trace in figure.data
             if isinstance(trace, go.Scatter) and trace.fill == "toself"}
    for value in (0.12, 0.30, 0.56):  # each district's shade is the one of its range
        index = next(i for i, (low, high) in enumerate(classes) if low <= value <= high)
        assert MAP_SCALE[min(index, len(MAP_SCALE) - 1)] in fills


LONG = ("Nach Einbruch der Dunkelheit keine Busse und Bahnen nutzen, "
        "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW <b>&amp;</b>")


def widest_line(ticks: list[str]) -> float:
    """The widest line of tick labels as Chromium draws it: DejaVu Sans measured apart
    from the charts' code (Pillow), plotly's markup read back into text."""
    from html import unescape

    from PIL import ImageFont

    try:
        font = ImageFont.truetype("DejaVuSans.ttf", charts.FONT_SIZE)
    except OSError:
        pytest.skip("DejaVu Sans (fonts-dejavu-core) is not installed")
    return max(font.getlength(unescape(line)) for tick in ticks for line in tick.split("<br>"))


def report_specs() -> list[dict]:
    bars = [charts.Bar(LONG, 0.97, 0.93, 0.99, "higher"), charts.Bar("Süd", 0.2, 0.1, 0.3)]
    return [charts.ranked_bars_spec(bars, "Titel", 0.5),
            charts.paired_bars_spec([LONG, "Kurz"], [1.0, None], [0.99, 0.4], "Titel", LONG),
            charts.district_map_spec(json.dumps(SQUARES), {"01": 0.3, "02": 0.2, "03": None},
                                     {"01": LONG, "02": "B", "03": "C"}, "Titel")]


def test_the_left_margin_holds_the_widest_label_line():
    """plotly's automargin is off: a label wider than the margin would be cut."""
    for spec in report_specs()[:2]:
        layout, ticks = spec["layout"], spec["data"][0]["y"]
        assert any("<br>" in tick for tick in ticks)  # a long label is on several lines
        assert any("&lt;b&gt;&amp;amp;&lt;/b&gt;" in tick for tick in ticks)  # chart_text
        # the label's gap to the bars (plotly adds 1 px) and some room to the edge
        assert layout["margin"]["l"] >= widest_line(ticks) + layout["yaxis"][
            "ticklabelstandoff"] + 1 + 5


def test_the_reference_label_and_texts_near_100_percent_stay_inside():
    ranked, paired, _map = report_specs()
    close = charts.ranked_bars_spec([charts.Bar("Nord", 0.97, 0.95, 0.99)], "T", 0.98,
                                    "Gesamtstadt Musterhausen")
    assert close["layout"]["annotations"][0]["xanchor"] == "right"
    assert ranked["layout"]["annotations"][0]["xanchor"] == "center"
    from reports.formatting import percent

    # the text beside a bar of 100 %, 3 px from its end
    assert paired["layout"]["margin"]["r"] >= charts.text_width(percent(1.0)) + 3


def test_charts_have_no_automargin_and_a_small_template():
    """Automargin makes Chromium draw a chart twice; plotly's default template (7 kB of
    JSON) costs it some 7 ms a chart. Also as the dashboard's go.Figure."""
    for spec in report_specs():
        layout = spec["layout"]
        assert layout["xaxis"]["automargin"] is False
        assert layout["yaxis"]["automargin"] is False
        assert layout["title"]["automargin"] is False
        assert len(json.dumps(layout["template"])) < 500
        figure = go.Figure(spec)
        assert figure.layout.yaxis.automargin is False
        assert len(json.dumps(figure.layout.template.to_plotly_json())) < 500


def test_legends_have_room_below_the_plot():
    _ranked, paired, district_map = report_specs()
    for spec in (paired, district_map):
        layout = spec["layout"]
        plot = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        below = -layout["legend"]["y"] * plot  # px from the plot to the legend's top
        assert layout["legend"]["yanchor"] == "top"
        assert below + charts.LEGEND_ROW <= layout["margin"]["b"]


def test_a_long_title_is_wrapped_and_the_chart_grows():
    title = "Anteil „eher unsicher“ oder „sehr unsicher“: " * 3
    short, wrapped = (charts.ranked_bars_spec([charts.Bar("Nord", 0.3, 0.2, 0.4)], text)
                      for text in ("Kurz", title))
    lines = wrapped["layout"]["title"]["text"].split("<br>")
    assert len(lines) > 1
    assert all(charts.text_width(line, charts.TITLE_SIZE) <= 720 for line in lines)
    assert wrapped["layout"]["height"] - short["layout"]["height"] == \
        wrapped["layout"]["margin"]["t"] - short["layout"]["margin"]["t"] > 0


def test_without_the_font_file_labels_are_given_more_room(monkeypatch):
    texts = ["Nach Einbruch der Dunkelheit keine", "Wolfsanger/Hasenhecke ▼  32 %",
             "Gruppen, die herumstehen und sich", "MÜLL UND VERSCHMUTZUNG"]
    measured = [charts.text_width(text) for text in texts]
    monkeypatch.setattr(charts, "_font", lambda size: None)
    charts.text_width.cache_clear()
    try:
        assert all(charts.text_width(text) >= width for text, width in zip(texts, measured))
    finally:
        charts.text_width.cache_clear()  # no estimate stays for the other tests
