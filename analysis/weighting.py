"""Raking (iterative proportional fitting) of each district to its population margins.

Every respondent of one district with the same gender and age group gets the same
weight, so the raking runs on the small district x gender x age table of respondent
counts, not on the responses: a million responses rake as fast as a thousand.

Rules (see docs/analysis.md):
- margins are gender and age group of the population table of the district;
- an age group with residents but no respondent is collapsed with its neighbour
  (recorded in the method notes); a gender without respondent is dropped from the
  gender margin of that district (noted);
- respondents with a missing weighting variable, or a category the population table
  lacks (gender ``d``), get the mean weight of their district;
- weights are scaled so that each district adds up to its population.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from questionnaires.codebook import AGE_GROUPS, GENDERS

from .frame import category_codes

TOLERANCE = 1e-10  # largest relative margin error accepted; the issue asks for 1e-6
MAX_ITERATIONS = 1000


class WeightingError(ValueError):
    """Raking cannot produce weights for this data; the message says where and why."""


@dataclass
class DistrictWeighting:
    district: str
    n: int
    weighted_n: float
    n_eff: float
    design_effect: float
    iterations: int


@dataclass
class Weights:
    """Weights aligned with the responses frame, with per-district quality figures."""

    weights: pd.Series
    districts: dict[str, DistrictWeighting]
    notes: list[str] = field(default_factory=list)


def population_margins(population: pd.DataFrame) -> pd.DataFrame:
    """Check the population table (district, gender, age_group, population)."""
    required = {"district", "gender", "age_group", "population"}
    missing = required - set(population.columns)
    if missing:
        raise WeightingError(f"population table lacks the columns {', '.join(sorted(missing))}")
    if population.empty:
        raise WeightingError("population table is empty: weighting needs residents by "
                             "district, gender and age group")
    if not pd.api.types.is_numeric_dtype(population["population"]):
        raise WeightingError("population table: 'population' must be numeric")
    if (population["population"] < 0).any():
        raise WeightingError("population table: negative population")
    return population


def rake_cells(counts: np.ndarray, gender_targets: np.ndarray, age_targets: np.ndarray,
               tolerance: float = TOLERANCE) -> tuple[np.ndarray, int]:
    """IPF on one district's respondent counts (gender x age) to the two margins.

    Returns the weight of one respondent in each cell, and the iterations used.
    Categories with target 0 and no respondents are ignored.
    """
    factors = np.where(counts > 0, 1.0, 0.0)
    for iteration in range(1, MAX_ITERATIONS + 1):
        for axis, targets in ((1, gender_targets), (0, age_targets)):
            current = (counts * factors).sum(axis=axis)
            ratio = np.divide(targets, current, out=np.ones_like(targets), where=current > 0)
            factors *= ratio[:, None] if axis == 1 else ratio[None, :]
        weighted = counts * factors
        error = max(_relative_error(weighted.sum(axis=1), gender_targets),
                    _relative_error(weighted.sum(axis=0), age_targets))
        if error <= tolerance:
            return factors, iteration
    raise WeightingError(f"raking did not converge (margin error {error:.2e})")


def _relative_error(current: np.ndarray, targets: np.ndarray) -> float:
    return float(np.max(np.abs(current - targets) / np.maximum(targets, 1e-300)))


def _collapse_age(age_targets: np.ndarray, age_counts: np.ndarray
                  ) -> tuple[list[list[int]], list[str]]:
    """Groups of age indexes such that every group with residents has respondents."""
    groups = [[index] for index in range(len(age_targets))]
    notes = []
    while True:
        empty = next((position for position, group in enumerate(groups)
                      if age_targets[group].sum() > 0 and age_counts[group].sum() == 0), None)
        if empty is None:
            return groups, notes
        if len(groups) == 1:
            raise WeightingError("no respondent in any age group with residents")
        neighbour = empty + 1 if empty + 1 < len(groups) else empty - 1
        if 0 < empty < len(groups) - 1:  # two neighbours: join the smaller one
            below, above = age_targets[groups[empty - 1]].sum(), age_targets[groups[empty + 1]].sum()
            neighbour = empty - 1 if below <= above else empty + 1
        names = [AGE_GROUPS[i] for i in groups[empty]]
        joined = [AGE_GROUPS[i] for i in groups[neighbour]]
        notes.append(f"Altersgruppe {'+'.join(names)} ohne Befragte, zusammengelegt mit "
                     f"{'+'.join(joined)}")
        merged = sorted(groups[empty] + groups[neighbour])
        low, high = sorted((empty, neighbour))
        groups[low:high + 1] = [merged]


def _join_smallest(groups: list[list[int]], age_counts: np.ndarray
                   ) -> tuple[list[list[int]], str]:
    sizes = [age_counts[group].sum() for group in groups]
    smallest = int(np.argmin(sizes))
    neighbour = smallest + 1 if smallest + 1 < len(groups) else smallest - 1
    if 0 < smallest < len(groups) - 1 and sizes[smallest - 1] < sizes[smallest + 1]:
        neighbour = smallest - 1
    names = "+".join(AGE_GROUPS[i] for i in groups[smallest])
    joined = "+".join(AGE_GROUPS[i] for i in groups[neighbour])
    low, high = sorted((smallest, neighbour))
    merged = sorted(groups[smallest] + groups[neighbour])
    groups = groups[:low] + [merged] + groups[high + 1:]
    return groups, (f"Altersgruppe {names} zu dünn besetzt für die Randverteilungen, "
                    f"zusammengelegt mit {joined}")


def rake(responses: pd.DataFrame, population: pd.DataFrame) -> Weights:
    """Weights for every response (index-aligned), raked per district."""
    population_margins(population)
    districts = responses["district"].astype("string")
    gender_codes = category_codes(responses, "gender", GENDERS)
    age_codes = category_codes(responses, "age_group", AGE_GROUPS)
    weights = np.zeros(len(responses))
    result: dict[str, DistrictWeighting] = {}
    notes: list[str] = []
    for district, positions in districts.groupby(districts, sort=True).indices.items():
        table = population[population["district"].astype(str) == str(district)]
        if table.empty or table["population"].sum() <= 0:
            raise WeightingError(f"population table has no residents for district '{district}'")
        district_weights, district_notes, iterations = _weigh_district(
            table, gender_codes[positions], age_codes[positions])
        weights[positions] = district_weights
        notes += [f"Stadtteil {district}: {note}" for note in district_notes]
        total, squares = district_weights.sum(), np.square(district_weights).sum()
        n_eff = total * total / squares
        result[str(district)] = DistrictWeighting(str(district), len(positions), float(total),
                                                  float(n_eff), len(positions) / n_eff,
                                                  iterations)
    return Weights(pd.Series(weights, index=responses.index, name="weight"), result, notes)


def _weigh_district(table: pd.DataFrame, genders: np.ndarray, ages: np.ndarray
                    ) -> tuple[np.ndarray, list[str], int]:
    population = np.zeros((len(GENDERS), len(AGE_GROUPS)))
    for gender, age_group, residents in table[["gender", "age_group", "population"]].itertuples(
            index=False):
        if gender in GENDERS and age_group in AGE_GROUPS:
            population[GENDERS.index(gender), AGE_GROUPS.index(age_group)] += residents
    gender_targets, age_targets = population.sum(axis=1), population.sum(axis=0)
    total = population.sum()
    eligible = (genders >= 0) & (ages >= 0)
    eligible &= np.where(genders >= 0, gender_targets[np.maximum(genders, 0)] > 0, False)
    eligible &= np.where(ages >= 0, age_targets[np.maximum(ages, 0)] > 0, False)
    counts = np.zeros_like(population)
    np.add.at(counts, (genders[eligible], ages[eligible]), 1)
    notes = []
    if eligible.sum() == 0:
        notes.append("keine Befragten mit Geschlecht und Altersgruppe: gleiche Gewichte")
        return np.full(len(genders), total / max(len(genders), 1)), notes, 0
    # A gender with residents but no respondents cannot be raked to: drop that margin.
    gender_ok = (gender_targets == 0) | (counts.sum(axis=1) > 0)
    if not gender_ok.all():
        lacking = [GENDERS[i] for i in np.flatnonzero(~gender_ok)]
        notes.append(f"keine Befragten mit Geschlecht {', '.join(lacking)}: nur nach Alter "
                     "gewichtet")
        gender_targets = np.array([total])
        counts_g = counts.sum(axis=0, keepdims=True)
    else:
        counts_g = counts
    groups, age_notes = _collapse_age(age_targets, counts.sum(axis=0))
    notes += age_notes
    while True:
        collapse = np.zeros((len(AGE_GROUPS), len(groups)))
        for position, group in enumerate(groups):
            collapse[group, position] = 1.0
        try:
            factors, iterations = rake_cells(counts_g @ collapse, gender_targets,
                                             age_targets @ collapse)
            break
        except WeightingError:
            # Sparse cells can make both margins unreachable at once: join the age group
            # with the fewest respondents to its neighbour and try again.
            if len(groups) == 1:
                raise WeightingError("raking cannot reach the margins even with all age "
                                     "groups joined") from None
            groups, note = _join_smallest(groups, counts.sum(axis=0))
            notes.append(note)
    cell_weights = factors @ collapse.T  # back to the original age groups
    if not gender_ok.all():
        cell_weights = np.repeat(cell_weights, len(GENDERS), axis=0)
    weights = np.zeros(len(genders))
    weights[eligible] = cell_weights[genders[eligible], ages[eligible]]
    if (~eligible).any():
        weights[~eligible] = weights[eligible].mean()
        notes.append(f"{int((~eligible).sum())} Befragte ohne verwendbares Geschlecht oder "
                     "Alter erhielten das mittlere Gewicht des Stadtteils")
    return weights * (total / weights.sum()), notes, iterations
