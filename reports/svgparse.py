"""Remembered results of the small parsers WeasyPrint 70 runs on every SVG node.

Drawing a plotly chart, WeasyPrint parses the same few strings again and again: each
node's font size and stroke width ("1px", "12px"), its colour ("rgb(68, 68, 68)",
through tinycss2's tokenizer), its transform ("translate(295.6,0)") and the URLs of its
fill, clip path, filter and mask (mostly empty). These are pure functions of their
arguments; here each answer is kept (``functools.lru_cache``, bounded) and handed out
again. Colours and matrices are mutable (WeasyPrint multiplies a colour's alpha by the
fill opacity in place), so a copy of the kept one goes out each time; URLs are
immutable named tuples. Strings of any length are parsed as before; only their result is
remembered, so an odd or hostile value parses exactly as WeasyPrint parses it (and an
error is raised again each time, not kept).

``install`` replaces the functions in weasyprint.svg.utils and in the modules that
imported them by name (svg, defs, text); a no-op on other WeasyPrint versions.
"""
from __future__ import annotations

import functools

ENABLED = True  # False: every value parsed afresh (WeasyPrint's own functions)
CACHE_SIZE = 4096
_MODULES = ("weasyprint.svg", "weasyprint.svg.utils", "weasyprint.svg.defs",
            "weasyprint.svg.text", "weasyprint.svg.css")
_originals: dict[str, object] = {}


def _kept(cached, parse, *args):
    """The remembered answer; an unhashable argument is parsed afresh."""
    try:
        return cached(*args)
    except TypeError:
        return parse(*args)


def _copied_color(parse):
    from tinycss2.color4 import Color

    cached = functools.lru_cache(maxsize=CACHE_SIZE)(parse)

    def color(string):
        if not ENABLED:
            return parse(string)
        kept = _kept(cached, parse, string)
        if not isinstance(kept, Color):
            return kept  # tinycss2's 'currentcolor' string
        copy = object.__new__(type(kept))
        copy.__dict__.update(kept.__dict__)
        return copy

    return color


def _copied_matrix(parse):
    from weasyprint.matrix import Matrix

    cached = functools.lru_cache(maxsize=CACHE_SIZE)(parse)

    def transform(transform_string, transform_origin, font_size, normalized_diagonal):
        if not ENABLED:
            return parse(transform_string, transform_origin, font_size,
                         normalized_diagonal)
        kept = _kept(cached, parse, transform_string, transform_origin, font_size,
                     normalized_diagonal)
        return Matrix(matrix=[list(row) for row in kept])

    return transform


def _shared(parse):
    cached = functools.lru_cache(maxsize=CACHE_SIZE)(parse)

    def shared(*args, **kwargs):
        if kwargs or not ENABLED:
            return parse(*args, **kwargs)
        return _kept(cached, parse, *args)

    return shared


def install() -> None:
    import importlib

    import weasyprint

    utils = importlib.import_module("weasyprint.svg.utils")
    if not weasyprint.__version__.startswith("70.") or _originals:
        return
    _originals.update(size=utils.size, color=utils.color, transform=utils.transform,
                      parse_url=utils.parse_url)
    replacements = {"size": _shared(utils.size), "color": _copied_color(utils.color),
                    "transform": _copied_matrix(utils.transform),
                    "parse_url": _shared(utils.parse_url)}
    for module_name in _MODULES:
        module = importlib.import_module(module_name)
        for name, function in replacements.items():
            if getattr(module, name, None) is _originals[name]:
                setattr(module, name, function)


def original(name: str):
    """WeasyPrint's own function (for the tests); the current one before ``install``."""
    if name in _originals:
        return _originals[name]
    import importlib

    return getattr(importlib.import_module("weasyprint.svg.utils"), name)
