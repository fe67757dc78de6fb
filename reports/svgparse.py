"""Remembered results of the small parsers WeasyPrint 70 runs on every SVG node.

Drawing a plotly chart, WeasyPrint parses the same few strings again and again: each
node's font size and stroke width ("1px", "12px"), its colour ("rgb(68, 68, 68)",
through tinycss2's tokenizer), its transform ("translate(295.6,0)"), its dash array
(mostly absent: three regular expressions on an empty string) and the URLs of its fill,
clip path, filter and mask (mostly empty). These are pure functions of their arguments;
here each answer is kept (``functools.lru_cache``, bounded) and handed out again.
Colours and matrices are mutable (WeasyPrint multiplies a colour's alpha by the fill
opacity in place), so a copy of the kept one goes out each time; URLs are immutable
named tuples. Strings of any length are parsed as before; only their result is
remembered, so an odd or hostile value parses exactly as WeasyPrint parses it (and an
error is raised again each time, not kept).

Also, for every node WeasyPrint asks the SVG's two style-sheet matchers (normal and
!important rules of its <style> elements) which rules apply; plotly's SVGs have no
<style>, and an empty matcher's answer is always "none", so an empty one is replaced by
one that says so at once (``_NoRules``).

``install`` replaces the functions in weasyprint.svg.utils and in the modules that
imported them by name (svg, defs, text; path data keeps WeasyPrint's own normalize, as
each path is different); a no-op on other WeasyPrint versions.
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


class _NoRules:
    """A style-sheet matcher without rules: none applies to any element."""

    @staticmethod
    def match(element) -> tuple:
        return ()


def _lean_matchers(parse):
    def parse_stylesheets(*args, **kwargs):
        matchers = parse(*args, **kwargs)
        if not ENABLED:
            return matchers
        # cssselect2.Matcher.order counts the selectors added, even never-matching ones.
        return tuple(_NoRules() if matcher.order == 0 else matcher for matcher in matchers)

    return parse_stylesheets


def install() -> None:
    import importlib

    import weasyprint

    utils = importlib.import_module("weasyprint.svg.utils")
    weasy_svg = importlib.import_module("weasyprint.svg")
    if not weasyprint.__version__.startswith("70.") or _originals:
        return
    _originals.update(size=utils.size, color=utils.color, transform=utils.transform,
                      parse_url=utils.parse_url, normalize=utils.normalize,
                      parse_stylesheets=weasy_svg.parse_stylesheets)
    replacements = {"size": _shared(utils.size), "color": _copied_color(utils.color),
                    "transform": _copied_matrix(utils.transform),
                    "parse_url": _shared(utils.parse_url),
                    "normalize": _shared(utils.normalize),
                    "parse_stylesheets": _lean_matchers(weasy_svg.parse_stylesheets)}
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
