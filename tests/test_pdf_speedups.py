"""The speed-ups of WeasyPrint in reports/ give what WeasyPrint gives without them: the
same parsed values, the same table widths, the same pixels."""
from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest
import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.svg import utils as svg_utils

from reports import pdf, svgparse, svgpattern, svgtext, textwidths

needs_70 = pytest.mark.skipif(not weasyprint.__version__.startswith("70."),
                              reason="the speed-ups patch WeasyPrint 70 only")

SIZES = ["12", "12px", "1.5em", "2rem", "3ex", "50%", "7mm", "-3.5e-1px", "1E2", "",
         None, "abc", "12 px", "  7mm ", "1,2", "1e400", "nan", "12pt", 3, 4.5,
         "1.5.5", "+-3px", "\u0661\u0662"]
COLORS = ["rgb(68, 68, 68)", "#fff", "red", "none", "", None, "currentColor",
          "url(#p1)", "rgb(300, -1, 2)", "hsl(120 50% 50% / .5)", "transparent",
          "red; background: url(http://127.0.0.1/x)", "color(srgb 1 0 0)", "#12345"]
TRANSFORMS = ["translate(295.6,0)", "translate(3)", "rotate(45 10 10)", "scale(0.8)", "",
              "matrix(1 0 0 1 5 5)", "skewX(10) skewY(-5)", "rotate(1e400)", "translate(",
              "scale(0)", "translateX(2em) translateY(50%)", "rotate(90deg)", "foo(1)"]
NORMALIZE = [None, "", "1,2 3", "1e-2-3", "-1.5.5", "10 20 30\n40", "E5", "1,,2",
             "\t 1 \r\n", ".5.5.5", "a-b+c", "\u00a01"]
URLS = ["url(#clip37bc64xyplot)", "url('#a')", 'url("#b")', None, "", "#c",
        "http://127.0.0.1/y#z", "url()", "url(http://127.0.0.1/x.svg#p)"]


def outcome(function, *args):
    """A function's result, or the kind of error it raises."""
    try:
        value = function(*args)
    except Exception as error:  # noqa: BLE001 - any error must be the same one
        return "error", type(error)
    if isinstance(value, list):  # a Matrix
        return "value", [list(row) for row in value]
    if hasattr(value, "space"):  # a tinycss2 Color
        return "value", repr((value.space, value.coordinates, value.alpha))
    return "value", repr(value)  # repr: nan equals nan


@needs_70
def test_the_cached_parsers_are_installed_where_weasyprint_calls_them():
    from weasyprint import svg
    from weasyprint.svg import defs

    for name in ("size", "color", "transform", "parse_url", "normalize"):
        assert getattr(svg_utils, name) is not svgparse.original(name)
    assert svg.size is svg_utils.size and defs.color is svg_utils.color
    assert svg.transform is svg_utils.transform and defs.parse_url is svg_utils.parse_url


@needs_70
@pytest.mark.parametrize("string", SIZES)
@pytest.mark.parametrize("font_size, reference", [(12, 100), (16.0, None), (None, None)])
def test_a_cached_size_is_weasyprints_size(string, font_size, reference):
    for _ in range(2):  # the second answer comes from the cache
        assert outcome(svg_utils.size, string, font_size, reference) == outcome(
            svgparse.original("size"), string, font_size, reference)


@needs_70
@pytest.mark.parametrize("string", COLORS)
def test_a_cached_color_is_weasyprints_color_and_stays_unchanged(string):
    first = svg_utils.color(string)
    if hasattr(first, "alpha"):
        first.alpha *= 0.25  # as WeasyPrint does with the fill opacity: only this copy
    assert outcome(svg_utils.color, string) == outcome(svgparse.original("color"), string)


@needs_70
@pytest.mark.parametrize("string", TRANSFORMS)
def test_a_cached_transform_is_weasyprints_transform_and_stays_unchanged(string):
    if outcome(svg_utils.transform, string, "0 0", 12, 100)[0] == "value":
        first = svg_utils.transform(string, "0 0", 12, 100)
        first[2][0] += 1000  # a caller changing its matrix changes no one else's
    for origin in ("0 0", None, "5 5"):
        assert outcome(svg_utils.transform, string, origin, 12, 100) == outcome(
            svgparse.original("transform"), string, origin, 12, 100)


@needs_70
@pytest.mark.parametrize("string", URLS)
def test_a_cached_url_is_weasyprints_url(string):
    assert outcome(svg_utils.parse_url, string) == outcome(
        svgparse.original("parse_url"), string)


@needs_70
@pytest.mark.parametrize("string", NORMALIZE)
def test_a_cached_normalized_string_is_weasyprints(string):
    assert outcome(svg_utils.normalize, string) == outcome(
        svgparse.original("normalize"), string)


@needs_70
def test_text_widths_are_keyed_by_every_style_property_weasyprint_reads_for_text():
    sources = [Path(weasyprint.__file__).parent / "text" / name
               for name in ("line_break.py", "fonts.py")]
    read = {name for source in sources
            for name in re.findall(r"style\[['\"](\w+)['\"]\]", source.read_text())}
    assert read and read <= set(textwidths.PROPERTIES)


HATCHED_BARS = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120">
<defs><pattern id="h" width="14px" height="14px" patternUnits="userSpaceOnUse">
<rect width="14px" height="14px" fill="rgb(189, 189, 189)"/>
<path d="M0,14L14,0M-3.5,3.5l7,-7M10.5,17.5l7,-7" opacity="0.5" stroke="rgb(68, 68, 68)"
 stroke-width="2px"/></pattern>
<pattern id="b" width="0.5" height="0.5" patternUnits="objectBoundingBox">
<rect width="5" height="5" fill="black"/></pattern></defs>
<rect x="3" y="5" width="200" height="20" style="fill: url('#h'); fill-opacity: 1"/>
<rect x="7" y="35" width="150" height="20" fill="url(#h)" fill-opacity="0.6"/>
<rect x="11" y="65" width="90.5" height="20" fill="url(#h)" stroke="url(#h)"/>
<rect x="0" y="95" width="40" height="20" fill="url(#b)"/></svg>"""


def chart_html(copies: int = 2) -> str:
    uri = "data:image/svg+xml;base64," + base64.b64encode(HATCHED_BARS.encode()).decode()
    charts = "".join(f'<p><img src="{uri}" alt="Balken"></p>' for _ in range(copies))
    return (f'<html lang="de"><head><title>T</title><link rel="stylesheet" '
            f'href="report.css"></head><body><h2>Balken</h2>{charts}</body></html>')


def pixels(pdf_bytes: bytes, tmp_path, name: str) -> list[bytes]:
    (tmp_path / f"{name}.pdf").write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", "72", "-png", str(tmp_path / f"{name}.pdf"),
                    str(tmp_path / name)], check=True)
    return [path.read_bytes() for path in sorted(tmp_path.glob(f"{name}-*.png"))]


@pytest.mark.pdf
@needs_70
def test_hatched_bars_look_the_same_with_one_tile_per_pattern(tmp_path, monkeypatch):
    pdfs = {}
    for shared in (False, True):
        monkeypatch.setattr(svgpattern, "ENABLED", shared)
        document = pdf.render_document(chart_html())
        # A second PDF of the same document: WeasyPrint's own differs from the first
        # (it rewrites an objectBoundingBox pattern's size while drawing it).
        pdfs[shared] = [document.write_pdf(pdf_tags=True, uncompressed_pdf=True)
                        for _ in range(2)]
    assert pdfs[False][0].count(b"/PatternType 1") == 10
    assert pdfs[True][0].count(b"/PatternType 1") == 10
    assert pdfs[True][0].count(b"/Subtype /Form") < pdfs[False][0].count(b"/Subtype /Form")
    for index in (0, 1):
        assert (pixels(pdfs[True][index], tmp_path, f"shared{index}")
                == pixels(pdfs[False][index], tmp_path, f"own{index}"))


STYLED_CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="140">
<style>rect.a {{ fill: rgb(200, 30, 30) }} text {{ font-weight: bold }}</style>
<rect class="a" x="5" y="5" width="80" height="20"/>
<rect x="5" y="30" width="80" height="20" transform="translate(10, 3) rotate(2)"
 style="fill: rgb(30, 30, 200); stroke: #000; stroke-dasharray: 3px, 2px"/>
<g transform="translate(100,0)"><text x="5" y="20" style="font-size: 12px">Bad
 Wilhelmshöhe 37 %</text><text x="5" y="40" dx="3" text-anchor="middle">Stadt</text>
<text x="5" y="60"><tspan x="5" dy="2">21–27 %</tspan><tspan> ▲</tspan></text></g>
</svg>"""


@pytest.mark.pdf
@needs_70
@pytest.mark.parametrize("style", ["", "<style>circle {{ fill: red }}</style>"])
def test_charts_with_and_without_their_own_style_look_as_without_the_speedups(
        tmp_path, monkeypatch, style):
    chart = STYLED_CHART.replace("<style>", style + "<style>" if style else "<!--", 1)
    if not style:
        chart = chart.replace("</style>", "-->", 1)
    uri = "data:image/svg+xml;base64," + base64.b64encode(
        chart.format().encode()).decode()
    html = (f'<html lang="de"><head><title>T</title></head><body><img src="{uri}">'
            '</body></html>')
    images = {}
    for fast in (False, True):
        monkeypatch.setattr(svgparse, "ENABLED", fast)
        monkeypatch.setattr(svgtext, "ONE_LAYOUT", fast)
        images[fast] = pixels(pdf.render_pdf(html), tmp_path, f"chart{fast}")
    assert images[True] == images[False]


TABLES = """<html lang="de"><head><title>T</title><link rel="stylesheet" href="report.css">
<style>.wide td {{ letter-spacing: 2pt }} .big td {{ font-size: 12pt }}</style></head>
<body>{}</body></html>"""
ROWS = ("<tr><td>Wie sicher fühlen Sie sich nachts, wenn Sie allein sind?</td>"
        "<td class='num'>37 %</td><td class='num'>21–27 %</td><td>kein gesicherter "
        "Unterschied</td></tr><tr><td>Wolfsanger/Hasenhecke</td><td class='num'>1.234</td>"
        "<td class='num suppressed'>zum Schutz anderer Zahlen</td><td>höher</td></tr>")


def column_widths(html: str) -> list[list[float]]:
    document = pdf.render_document(html)
    return [table.column_widths for page in document.pages
            for table in _descendants(page._page_box) if isinstance(table, boxes.TableBox)]


def _descendants(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _descendants(child)


@pytest.mark.pdf
@needs_70
def test_remembered_text_widths_give_weasyprints_table_columns(monkeypatch):
    html = TABLES.format("".join(f"<table class='{kind}'>{ROWS}</table>"
                                 for kind in ("", "wide", "big", "")))
    monkeypatch.setattr(textwidths, "ENABLED", False)
    own = column_widths(html)
    monkeypatch.setattr(textwidths, "ENABLED", True)
    assert column_widths(html) == own
    assert column_widths(html) == own  # now from the memory
    assert own[0] == own[3] and len({tuple(widths) for widths in own}) == 3


@pytest.mark.pdf
@needs_70
def test_report_css_parsed_once_styles_as_its_link_does(tmp_path, monkeypatch):
    html = TABLES.format(f"<h2>Titel</h2><p class='note'>Notiz</p><table>{ROWS}</table>"
                         ).replace("<style>", "<!--").replace("</style>", "-->")
    monkeypatch.setattr(pdf, "PARSED_CSS", False)
    linked = pdf.render_pdf(html)
    monkeypatch.setattr(pdf, "PARSED_CSS", True)
    assert pdf._stylesheets(html)[1] == [pdf.report_css()]  # noqa: SLF001
    for other in ("<style>p { color: red }</style>", '<p style="color: red">',
                  '<link rel="stylesheet" href="print.css">'):
        styled = html.replace("<h2>", other + "<h2>")
        assert pdf._stylesheets(styled) == (styled, [])  # noqa: SLF001 - its link stays
    assert pixels(pdf.render_pdf(html), tmp_path, "parsed") == pixels(linked, tmp_path,
                                                                      "linked")
