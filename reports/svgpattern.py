"""Hatched bars with one drawing of their hatch per chart (WeasyPrint 70).

plotly fills the bars of suppressed or uncertain values with a hatch pattern
(``patternUnits="userSpaceOnUse"``). WeasyPrint's svg.defs.draw_pattern makes, for every
bar, a PDF tiling pattern anchored at the bar's corner and draws the pattern's tile into
it afresh: it parses the pattern's SVG again (Pattern(...) builds a whole SVG), cascades
it and draws its rect and path into a new form XObject. For such patterns the tile
depends only on the pattern node and its width and height, not on the bar; here it is
drawn once per chart and PDF, and each bar's tiling pattern (still anchored at that
bar's corner, with its own opacity) paints that one form XObject. The PDF then shows
the same; it holds one tile per pattern instead of one per bar.

The shared form XObject is registered like a shared image: WeasyPrint's ``images``
table of the PDF (one per write_pdf) turns the first use into the object and the later
ones into references to it (pdf._use_references). Patterns in other units take
WeasyPrint's own path. ``install`` is a no-op on other WeasyPrint versions.
"""
from __future__ import annotations

ENABLED = True  # False: each bar's tile drawn afresh (WeasyPrint's own draw_pattern)


class _Tile:
    """Stands in for an image in WeasyPrint's images table: the form XObject is made
    already; write_pdf asks for it once."""

    def __init__(self, group) -> None:
        self.group = group

    def get_x_object(self, interpolate, dpi_ratio):
        return self.group


def _tile_name(svg, pattern, width: float, height: float, stream_pattern) -> str:
    """The name of the pattern's tile XObject in this PDF, drawn on first use."""
    images = stream_pattern._images  # noqa: SLF001 - the PDF's table of shared XObjects
    tiles = pattern.__dict__.setdefault("_shared_tiles", {})
    name, tile = tiles.get((id(images), width, height), (None, None))
    if name is None or images.get(name, {}).get("image") is not tile:
        name = _draw_tile(svg, pattern, width, height, stream_pattern)
        tiles[(id(images), width, height)] = name, images[name]["image"]
    stream_pattern._resources["XObject"][name] = None  # noqa: SLF001 - set by write_pdf
    return name


def _draw_tile(svg, pattern, width: float, height: float, stream_pattern) -> str:
    from weasyprint.svg import Pattern

    images = stream_pattern._images  # noqa: SLF001
    group = stream_pattern.add_group(0, 0, width, height)
    del stream_pattern._resources["XObject"][group.id]  # noqa: SLF001 - shared instead
    Pattern(pattern, svg).draw(group, width, height, svg.base_url, svg.context)
    name = f"svgtile{len(images)}"
    images[name] = {"image": _Tile(group), "interpolate": False, "dpi_ratios": {1},
                    "x_object": None}
    return name


def _shareable(pattern) -> bool:
    return (pattern.get("patternUnits") == "userSpaceOnUse"
            and "viewBox" not in pattern.attrib)


def install() -> None:
    import importlib

    import weasyprint

    weasy_svg = importlib.import_module("weasyprint.svg")
    defs = importlib.import_module("weasyprint.svg.defs")
    if not weasyprint.__version__.startswith("70.") or getattr(defs, "_shared_tiles", 0):
        return
    original = defs.draw_pattern

    def draw_pattern(svg, node, pattern, font_size, opacity, stroke):
        if not ENABLED or not _shareable(pattern):
            return original(svg, node, pattern, font_size, opacity, stroke)
        return _draw_shared(svg, node, pattern, font_size, opacity, stroke)

    defs._shared_tiles = True  # noqa: SLF001
    defs.draw_pattern = weasy_svg.draw_pattern = draw_pattern


def _draw_shared(svg, node, pattern, font_size, opacity, stroke) -> bool:
    """WeasyPrint's draw_pattern for a userSpaceOnUse pattern, its tile shared."""
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import is_valid_bounding_box
    from weasyprint.svg.utils import size, transform

    pattern._etree_node.tag = "svg"  # noqa: SLF001 - as WeasyPrint does
    bounding_box = svg.calculate_bounding_box(node, font_size, stroke)
    if not is_valid_bounding_box(bounding_box):
        return False
    matrix = Matrix(e=bounding_box[0], f=bounding_box[1])
    width = size(pattern.get("width", 0), font_size, 1)
    height = size(pattern.get("height", 0), font_size, 1)
    if width == 0 or height == 0:
        return False
    if "patternTransform" in pattern.attrib:
        matrix = transform(pattern.get("patternTransform"), "0 0", font_size,
                           svg.inner_diagonal) @ matrix
    matrix = matrix @ svg.stream.ctm
    stream_pattern = svg.stream.add_pattern(0, 0, width, height, width, height, matrix)
    stream_pattern.set_alpha(opacity)
    stream_pattern.draw_x_object(_tile_name(svg, pattern, width, height, stream_pattern))
    svg.stream.set_color_space("Pattern", stroke=stroke)
    svg.stream.set_color_special(stream_pattern.id, stroke=stroke)
    return True
