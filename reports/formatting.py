"""German number and date formats for reports: 1.234,5 and 25. November 2026."""
from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .templating import german_date

__all__ = ["german_date", "number", "percent", "interval"]


def number(value: float | int | None, digits: int = 0) -> str:
    """1234.5 -> '1.234,5' (rounded half up, as statistics offices do); None/NaN -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def percent(share: float | None, digits: int = 0) -> str:
    """0.405 -> '41 %' (a narrow no-break space before the sign, as German style asks)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return f"{number(share * 100, digits)}\u202f%"


def interval(low: float | None, high: float | None, digits: int = 0) -> str:
    """'35–47 %'"""
    if low is None or high is None or any(isinstance(v, float) and math.isnan(v)
                                          for v in (low, high)):
        return "–"
    return f"{number(low * 100, digits)}–{number(high * 100, digits)}\u202f%"


def period(start: date | None, end: date | None) -> str:
    if not start or not end:
        return "–"
    return f"{german_date(start)} bis {german_date(end)}"
