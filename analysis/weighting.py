"""Raking (iterative proportional fitting) of each district to its population margins.

Every respondent of one district with the same gender and age group gets the same
weight, so the raking runs on the small district x gender x age table of respondent
counts, not on the responses: a million responses rake as fast as a thousand.

Rules (see docs/analysis.md):
- margins are gender and age group of the population table of the district;
- an age group with residents but no respondent is joined with its neighbour; if
  sparse cells still keep the two margins from being met, the thinnest age group is
  joined too (each step is recorded in the method notes, ``analysis.notes``); residents
  of a gender with no respondent (often ``d``) are left out of both margins of that
  district (noted);
- respondents with a missing weighting variable, or a category the population table
  lacks (gender ``d``), get the mean weight of their district;
- weights are scaled so that each district adds up to its population.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from questionnaires.codebook import AGE_GROUPS, GENDERS

from .frame import cell_keys, district_codes
from .notes import Note, NoteKind

TOLERANCE = 1e-10  # largest relative margin error accepted; the issue asks for 1e-6
MAX_ITERATIONS = 1000
G, A = len(GENDERS), len(AGE_GROUPS)


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
    notes: list[Note] = field(default_factory=list)


@dataclass
class CellWeights:
    """The weight of one respondent in each district x gender x age cell
    (gender and age with an extra last category: missing or unusable)."""

    weights: np.ndarray  # shape (districts, G + 1, A + 1)
    districts: dict[str, DistrictWeighting]
    notes: list[Note]


def check_population(population: pd.DataFrame) -> None:
    """The population table needs district, gender, age_group and population >= 0."""
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


def population_arrays(population: pd.DataFrame) -> dict[str, np.ndarray]:
    """District code -> residents by gender x age group (G x A)."""
    check_population(population)
    tables: dict[str, np.ndarray] = {}
    known = population[population["gender"].isin(GENDERS) & population["age_group"].isin(
        AGE_GROUPS)]
    for (district, gender, age_group), residents in known.groupby(
            [known["district"].astype(str), "gender", "age_group"])["population"].sum().items():
        table = tables.setdefault(district, np.zeros((G, A)))
        table[GENDERS.index(gender), AGE_GROUPS.index(age_group)] += residents
    return tables


def rake_cells(counts: np.ndarray, gender_targets: np.ndarray, age_targets: np.ndarray,
               tolerance: float = TOLERANCE) -> tuple[np.ndarray, int]:
    """IPF on one district's respondent counts (gender x age) to the two margins.

    Returns the weight of one respondent in each cell, and the iterations used.
    """
    factors = np.where(counts > 0, 1.0, 0.0)
    error = np.inf
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


def _join(groups: list[list[int]], position: int, sizes: list[float]
          ) -> tuple[list, tuple[str, ...], tuple[str, ...]]:
    """Join group ``position`` with its smaller neighbour; return groups and both groups'
    age groups."""
    neighbour = position + 1 if position + 1 < len(groups) else position - 1
    if 0 < position < len(groups) - 1 and sizes[position - 1] <= sizes[position + 1]:
        neighbour = position - 1
    names = tuple(AGE_GROUPS[i] for i in groups[position])
    joined = tuple(AGE_GROUPS[i] for i in groups[neighbour])
    low, high = sorted((position, neighbour))
    merged = sorted(groups[position] + groups[neighbour])
    return groups[:low] + [merged] + groups[high + 1:], names, joined


def _collapse_empty_ages(district: str, age_targets: np.ndarray, age_counts: np.ndarray
                         ) -> tuple[list[list[int]], list[Note]]:
    """Groups of age indexes such that every group with residents has respondents."""
    groups, notes = [[index] for index in range(A)], []
    while True:
        empty = next((position for position, group in enumerate(groups)
                      if age_targets[group].sum() > 0 and age_counts[group].sum() == 0), None)
        if empty is None:
            return groups, notes
        if len(groups) == 1:
            raise WeightingError("no respondent in any age group with residents")
        groups, names, joined = _join(groups, empty, [age_targets[g].sum() for g in groups])
        notes.append(Note(NoteKind.EMPTY_AGE_GROUP, district, categories=names,
                          joined_with=joined))


def _rake_joined(district: str, counts: np.ndarray, gender_targets: np.ndarray,
                 age_targets: np.ndarray, groups: list[list[int]], notes: list[Note]
                 ) -> tuple[np.ndarray, int]:
    """Rake with joined age groups, joining the thinnest further until the margins meet."""
    while True:
        join = np.zeros((A, len(groups)))
        for position, group in enumerate(groups):
            join[group, position] = 1.0
        try:
            factors, iterations = rake_cells(counts @ join, gender_targets, age_targets @ join)
            return factors @ join.T, iterations
        except WeightingError:
            if len(groups) == 1:
                raise WeightingError("raking cannot reach the margins even with all age "
                                     "groups joined") from None
            sizes = [counts.sum(axis=0)[g].sum() for g in groups]
            groups, names, joined = _join(groups, int(np.argmin(sizes)), sizes)
            notes.append(Note(NoteKind.SPARSE_AGE_GROUP, district, categories=names,
                              joined_with=joined))


def _weigh_district(district: str, population: np.ndarray, counts: np.ndarray
                    ) -> tuple[np.ndarray, list[Note], int]:
    """Cell weights (G+1 x A+1) of one district from its population (G x A) and counts."""
    gender_targets, age_targets = population.sum(axis=1), population.sum(axis=0)
    total = population.sum()
    usable = np.outer(gender_targets > 0, age_targets > 0)
    eligible = np.where(usable, counts[:G, :A], 0.0)
    weights = np.zeros_like(counts, dtype=float)
    notes: list[Note] = []
    if eligible.sum() == 0:
        notes.append(Note(NoteKind.EQUAL_WEIGHTS, district, int(counts.sum())))
        weights[:] = 1.0
        return weights * total / counts.sum(), notes, 0
    lacking = (gender_targets > 0) & (eligible.sum(axis=1) == 0)
    if lacking.any():
        # Residents of a gender nobody answered for are left out of both margins; the
        # final scaling still brings the district to its whole population.
        notes.append(Note(NoteKind.GENDER_LEFT_OUT, district, int(population[lacking].sum()),
                          tuple(GENDERS[i] for i in np.flatnonzero(lacking))))
        population = np.where(lacking[:, None], 0.0, population)
        gender_targets, age_targets = population.sum(axis=1), population.sum(axis=0)
        usable = np.outer(gender_targets > 0, age_targets > 0)
        eligible = np.where(usable, counts[:G, :A], 0.0)
    groups, age_notes = _collapse_empty_ages(district, age_targets, eligible.sum(axis=0))
    notes += age_notes
    cell, iterations = _rake_joined(district, eligible, gender_targets, age_targets, groups,
                                    notes)
    weights[:G, :A] = np.where(usable, cell, 0.0)
    unusable_n = counts.sum() - eligible.sum()
    if unusable_n:
        mean_weight = (weights[:G, :A] * eligible).sum() / eligible.sum()
        weights[~np.pad(usable, ((0, 1), (0, 1)))] = mean_weight
        notes.append(Note(NoteKind.MEAN_WEIGHT, district, int(unusable_n)))
    return weights * (total / (weights * counts).sum()), notes, iterations


def rake_counts(counts: np.ndarray, districts: list[str], population: pd.DataFrame
                ) -> CellWeights:
    """Cell weights for every district with respondents (counts: districts x G+1 x A+1)."""
    tables = population_arrays(population)
    weights = np.zeros_like(counts, dtype=float)
    quality: dict[str, DistrictWeighting] = {}
    notes: list[Note] = []
    for index, district in enumerate(districts):
        n = counts[index].sum()
        if n == 0:
            continue
        table = tables.get(str(district))
        if table is None or table.sum() <= 0:
            raise WeightingError(f"population table has no residents for district '{district}'")
        cell, district_notes, iterations = _weigh_district(str(district), table, counts[index])
        weights[index] = cell
        notes += district_notes
        total, squares = (cell * counts[index]).sum(), (cell ** 2 * counts[index]).sum()
        n_eff = total * total / squares
        quality[str(district)] = DistrictWeighting(str(district), int(n), float(total),
                                                   float(n_eff), float(n / n_eff), iterations)
    return CellWeights(weights, quality, notes)


def cell_counts(keys: np.ndarray, districts: int) -> np.ndarray:
    shape = (districts, G + 1, A + 1)
    return np.bincount(keys, minlength=int(np.prod(shape))).reshape(shape).astype(float)


def rake(responses: pd.DataFrame, population: pd.DataFrame) -> Weights:
    """Weights for every response (index-aligned), raked per district."""
    check_population(population)
    districts = district_codes(responses)
    keys = cell_keys(responses, districts)
    cells = rake_counts(cell_counts(keys, len(districts)), districts, population)
    weights = pd.Series(cells.weights.ravel()[keys], index=responses.index, name="weight")
    return Weights(weights, cells.districts, cells.notes)
