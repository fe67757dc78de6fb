"""What a report shows, as plain data handed over by the web layer or the CLI.

All figures come from ``analysis/`` (the published indicator table, with suppression
applied); the reports only select, format and draw them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from analysis.indicators import CITY, rows_by_key

# Sections of the questionnaire, in report order: (title, indicator name prefixes).
DIMENSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Sicherheitsgefühl tagsüber und nachts", ("unsafe_day", "unsafe_night")),
    ("Sorgen vor Straftaten", ("worry_",)),
    ("Probleme in der Wohngegend", ("problem_",)),
    ("Vermeidungs- und Schutzverhalten", ("avoid_", "protect_")),
    ("Opfererfahrungen in den letzten 12 Monaten", ("victim_",)),
    ("Anzeige bei der Polizei (Anteil nicht angezeigt)", ("reported_",)),
    ("Vertrauen in Polizei und Ordnungsamt", ("trust_", "visible_")),
)


@dataclass(frozen=True)
class DistrictFacts:
    code: str
    name: str
    residents: int
    invited: int
    completed: int

    @property
    def return_rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


@dataclass(frozen=True)
class StructureRow:
    """Sample against population for one category (shares of those with a known value)."""

    variable: str  # "Geschlecht" or "Altersgruppe"
    category: str
    sample_share: float | None
    population_share: float | None


@dataclass(frozen=True)
class Places:
    district: str
    answers: list[str]
    top_terms: list[tuple[str, int]]
    suppressed: bool


@dataclass
class ReportData:
    municipality: str
    survey_title: str
    fieldwork_start: date | None
    fieldwork_end: date | None
    generated_on: date
    min_n: int
    responses: int
    paper_responses: int
    indicators: pd.DataFrame  # published indicator table (see analysis.indicators.COLUMNS)
    labels: dict[str, str]  # indicator name -> German label: what it counts, then the item
    districts: list[DistrictFacts]
    items: dict[str, str] = field(default_factory=dict)  # indicator -> the item alone
    measures: dict[str, str] = field(default_factory=dict)  # indicator -> what it counts
    structure: list[StructureRow] = field(default_factory=list)
    design_effects: dict[str, float] = field(default_factory=dict)
    weighting_notes: list[str] = field(default_factory=list)
    places: list[Places] = field(default_factory=list)
    geojson: str | None = None
    weighted: bool = True
    show_answers: bool = True  # False: places felt unsafe only as recurring terms (police)
    synthetic: bool = False  # demo data: the title page says the answers are made up
    previous_title: str | None = None
    changes: pd.DataFrame | None = None  # analysis.waves.compare_waves output

    def district_name(self, code: str) -> str:
        if code == CITY:
            return "Gesamtstadt"
        return next((d.name for d in self.districts if d.code == code), code)

    def row(self, district: str, indicator: str, group: str = "all") -> dict | None:
        """One row of the indicator table (as a dict), or None."""
        index = self.__dict__.get("_row_index")
        if index is None:
            index = self.__dict__["_row_index"] = rows_by_key(self.indicators)
        return index.get((district, indicator, group))

    def dimension_indicators(self, prefixes: tuple[str, ...]) -> list[str]:
        names = self.indicators["indicator"].drop_duplicates()
        return [name for name in names if name.startswith(prefixes)
                and not name.endswith("_mean")]
