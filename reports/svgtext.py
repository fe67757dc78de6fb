"""A faster way for WeasyPrint 70 to draw the text of plotly's SVG charts.

WeasyPrint lays out and draws SVG text letter by letter (each may have its own x, y,
dx, dy and rotation), one Pango layout per letter: a third of a district report's PDF
time went to the ~2,000 letters of its charts. plotly positions each text or tspan as a
whole (one x, one y, at most one dx/dy, no rotate, no letter-spacing, no textLength);
such a run is laid out and drawn here in one piece, at the place and with the style
WeasyPrint gives its first letter. Glyphs come out the same; only kerning between
letters is now Pango's (a fraction of a pixel). Every other text node takes
WeasyPrint's own path. A run is measured and drawn with one Pango layout, where
WeasyPrint builds the same layout twice (``_laid_out``).

plotly also writes a style attribute on every element, mostly the same few strings;
WeasyPrint parses each again with tinycss2. Their parsed declarations are kept here
(``_declarations``). ``install`` is a no-op on other WeasyPrint versions.
"""
from __future__ import annotations

import functools
from math import inf

ENABLED = True  # False: WeasyPrint's own letter-by-letter drawing
CACHE_STYLES = True  # False: every style attribute parsed afresh
ONE_LAYOUT = True  # False: measured and drawn with two Pango layouts, as WeasyPrint does
_PER_LETTER = ("rotate", "textLength", "letter-spacing")


def _single(node, name: str) -> bool:
    from weasyprint.svg.utils import normalize

    return name not in node.attrib or len(normalize(node.attrib[name]).split()) <= 1


def _simple(node) -> bool:
    return (node.text and not any(name in node.attrib for name in _PER_LETTER)
            and node.get("letter-spacing") in (None, "normal", "0")
            and all(_single(node, name) for name in ("x", "y", "dx", "dy")))


def install() -> None:
    import importlib

    import weasyprint
    from weasyprint import svg as weasy_svg

    weasy_text = importlib.import_module("weasyprint.svg.text")

    if not weasyprint.__version__.startswith("70.") or getattr(weasy_text, "_run_text", 0):
        return
    original = weasy_text.text

    def text(svg, node, font_size):
        if not ENABLED or not _simple(node):
            return original(svg, node, font_size)
        return _draw_run(svg, node, font_size)

    parse = weasy_svg.parse_declarations

    @functools.lru_cache(maxsize=4096)
    def _declarations(style: str) -> tuple[tuple, tuple]:
        normal, important = parse(style)
        return tuple(normal), tuple(important)

    def parse_declarations(style: str):
        return _declarations(style) if CACHE_STYLES else parse(style)

    weasy_svg.parse_declarations = parse_declarations
    weasy_text._run_text = True  # noqa: SLF001
    # draw_node recognises text nodes by TAGS[tag] being svg.text: all three change.
    weasy_text.text = weasy_svg.text = text
    for tag, function in weasy_svg.TAGS.items():
        if function is original:
            weasy_svg.TAGS[tag] = text


def _style(svg, node, font_size):
    """The style WeasyPrint's svg.text.text builds for a text node (same code)."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.svg.text import Style

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in
                            node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    style["font_weight"] = node.get("font-weight", 400)
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    weight = style["font_weight"]
    if weight == "normal":
        style["font_weight"] = 400
    elif weight == "bold":
        style["font_weight"] = 700
    else:
        try:
            style["font_weight"] = int(weight)
        except ValueError:
            style["font_weight"] = 400
    return style


def _laid_out(text: str, style, context):
    """(layout, width, height, baseline) of a run on one line, as WeasyPrint's
    split_first_line(text, style, context, inf, 0) measures it and layout.reactivate
    then prepares it for drawing, in one Pango layout instead of two: with an infinite
    width split_first_line neither wraps nor shortens the text (a run has no newline
    left), and reactivate builds the same layout again with the same text."""
    from weasyprint.text.ffi import FROM_UNITS, pango
    from weasyprint.text.line_break import Layout, line_size, split_first_line

    if not ONE_LAYOUT:
        layout, _, _, width, height, baseline = split_first_line(
            text, style, context, inf, 0)
        layout.reactivate(style)
        return layout, width, height, baseline
    layout = Layout(style, 0, inf)
    layout.set_text(text, justify=True)
    first_line, _ = layout.get_first_line()
    width, height = line_size(first_line, style)
    return layout, width, height, pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS


def _draw_run(svg, node, font_size) -> None:
    """WeasyPrint's svg.text.text for a run positioned as a whole: one layout."""
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import TextBox
    from weasyprint.svg.utils import normalize, size

    def first(name: str, reference: float) -> float | None:
        if name not in node.attrib:
            return None
        value = normalize(node.attrib[name]).strip()
        return size(value, font_size, reference) if value else None

    style = _style(svg, node, font_size)
    layout, width, height, baseline = _laid_out(node.text, style, svg.context)
    x, y = first("x", svg.inner_width), first("y", svg.inner_height)
    dx, dy = first("dx", svg.inner_width), first("dy", svg.inner_height)
    ascent, descent = font_size * .8, font_size * .2
    y_align = 0
    display_anchor = node.get("display-anchor")
    alignment_baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        y_align = -height / 2
    elif display_anchor == "top":
        pass
    elif display_anchor == "bottom":
        y_align = -height
    elif alignment_baseline in ("central", "middle"):
        y_align = (ascent + descent) / 2 - descent
    elif alignment_baseline in ("text-before-edge", "before_edge", "top", "hanging",
                                "text-top"):
        y_align = ascent
    elif alignment_baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        y_align = -descent
    # As the first letter does in WeasyPrint (a zero x or y counts as absent there too).
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    svg.cursor_d_position[0] += dx or 0
    svg.cursor_d_position[1] += dy or 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + y_align
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, (
        (x_position, y_position - baseline),
        (x_position + width, y_position - baseline + height)))

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    svg.fill_stroke(fill, stroke, text=True)
    text_box = TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(svg.stream, text_box, "none", "none",
                             Matrix(a=1, d=-1, e=x_position, f=y_position))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)
