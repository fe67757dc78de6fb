"""Remembered text widths for WeasyPrint 70's intrinsic sizes (table columns).

To size the columns of a table with ``table-layout: auto``, WeasyPrint measures every
cell's min-content width (its longest word: one Pango layout per word, each of the rest
of the text) and max-content width (the whole text on one line). A city report has some
1,500 cells, a district report some 400; most of their texts ("37 %", "21–27 %", "1.234",
"kein gesicherter Unterschied", the statement labels, the district names) recur within a
report and from one report to the next. layout.preferred.inline_line_widths uses only
the width and the resume index of each measured line, so those two are kept here per
text and text style and handed out again; the layout is not kept.

The style part of the key holds every computed property that Pango's layout of a line
reads in WeasyPrint 70 (text.line_break, text.fonts): font, language, spacing,
white-space, wrapping and hyphenation properties; the font configuration (the fonts
available, @font-face ones included) is part of the key as well. Measuring a text
whose style differs in any of these is a new measurement. Table cells are laid out
and drawn by WeasyPrint as before; only their intrinsic widths come from here, and
they are the same numbers. ``install`` is a no-op on other WeasyPrint versions.
"""
from __future__ import annotations

import operator
import threading
import weakref

ENABLED = True  # False: every text measured afresh (WeasyPrint's own way)
MAX_ENTRIES = 20_000  # per font configuration; then the memory starts afresh
# Every style property text.line_break and text.fonts read in WeasyPrint 70.
PROPERTIES = (
    "direction", "font_family", "font_feature_settings", "font_kerning",
    "font_language_override", "font_size", "font_stretch", "font_style",
    "font_variant_alternates", "font_variant_caps", "font_variant_east_asian",
    "font_variant_ligatures", "font_variant_numeric", "font_variant_position",
    "font_variation_settings", "font_weight", "hyphenate_character",
    "hyphenate_limit_chars", "hyphenate_limit_zone", "hyphens", "lang",
    "letter_spacing", "line_height", "overflow_wrap", "tab_size",
    "text_decoration_line", "white_space", "word_break", "word_spacing")
_memories: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# A short stand-in for each style key in the memory (a handful of styles per report).
_style_numbers: dict[tuple | str, int] = {}
_numbering = threading.Lock()
_properties = operator.itemgetter(*PROPERTIES)


def style_key(style) -> tuple:
    """The text-layout properties of a computed style."""
    return _properties(style)


def _style_number(style) -> int:
    key = style_key(style)
    try:
        number = _style_numbers.get(key)
    except TypeError:  # an unhashable value: its text stands in for it
        key = repr(key)
        number = _style_numbers.get(key)
    if number is None:
        with _numbering:  # two threads must not give two styles one number
            number = _style_numbers.setdefault(key, len(_style_numbers))
    return number


def install() -> None:
    import importlib

    import weasyprint

    preferred = importlib.import_module("weasyprint.layout.preferred")
    if not weasyprint.__version__.startswith("70.") or getattr(preferred, "_text_widths", 0):
        return
    measure = preferred.split_first_line

    def split_first_line(text, style, context, max_width, justification_spacing,
                         is_line_start=True, minimum=False):
        if not ENABLED:
            return measure(text, style, context, max_width, justification_spacing,
                           is_line_start=is_line_start, minimum=minimum)
        memory = _memories.get(style.font_config)
        if memory is None or len(memory) >= MAX_ENTRIES:
            memory = _memories[style.font_config] = {}
        key = (text, _style_number(style), max_width, justification_spacing,
               is_line_start, minimum)
        if key not in memory:
            _, _, resume_index, width, _, _ = measure(
                text, style, context, max_width, justification_spacing,
                is_line_start=is_line_start, minimum=minimum)
            memory[key] = resume_index, width
        resume_index, width = memory[key]
        return None, None, resume_index, width, None, None

    preferred._text_widths = True  # noqa: SLF001
    preferred.split_first_line = split_first_line
