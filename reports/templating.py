"""Jinja environment of the reports (autoescaped; no Flask)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember")


def german_date(day: date) -> str:
    """25. November 2026"""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


# Names of local authorities that take the article: "der Stadt Kassel", "im Landkreis …".
ARTICLES = (("Stadt ", "der"), ("Gemeinde ", "der"), ("Landeshauptstadt ", "der"),
            ("Hansestadt ", "der"), ("Universitätsstadt ", "der"), ("Kreisstadt ", "der"),
            ("Landkreis ", "im"), ("Kreis ", "im"), ("Markt ", "im"))


def of_municipality(name: str) -> str:
    """'Stadt Kassel' -> 'der Stadt Kassel'; 'Kassel' -> 'von Kassel' (after 'Einwohner')."""
    for prefix, article in ARTICLES:
        if name.startswith(prefix):
            return f"{article} {name}"
    return f"von {name}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["german_date"] = german_date
    env.filters["of_municipality"] = of_municipality
    return env
