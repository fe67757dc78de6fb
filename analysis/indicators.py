"""The indicator table: every indicator by district, city-wide, and by gender and age group.

Input is one row per response and one column per item code (numbers for scale items;
strings for ``district``, ``gender`` and ``age_group``), and the population table.
All figures are computed from additive sums per district x gender x age cell, so the
city-wide and breakdown figures come from the same numbers as the district figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from questionnaires import Questionnaire
from questionnaires.codebook import AGE_GROUPS, GENDERS

from .disclosure import suppress
from .frame import cell_keys, district_codes
from .notes import Note
from .uncertainty import comparison_flags, mean_interval, wilson_interval
from .weighting import Weights, cell_counts, rake_counts

CITY = "_city"
HEADLINE = {"safety_night": "unsafe_night", "safety_day": "unsafe_day"}
NOT_INDICATORS = {"district", "gender", "age_group"}
GROUPS = ["all"] + [f"gender={g}" for g in GENDERS] + [f"age_group={a}" for a in AGE_GROUPS]
BREAKDOWNS = [list(range(1, 1 + len(GENDERS))),
              list(range(1 + len(GENDERS), 1 + len(GENDERS) + len(AGE_GROUPS)))]
COLUMNS = ["district", "group", "indicator", "label", "n", "n_eff", "estimate", "ci_low",
           "ci_high", "suppressed", "flag"]


class AnalysisError(ValueError):
    """The data cannot be analysed as asked; the message says what is wrong."""


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    item: str
    kind: str  # "share": share at the unfavourable end; "mean": mean of the valid answers
    valid: tuple[float, ...]
    unfavourable: tuple[float, ...]
    label: str  # the item's German label, as the questionnaire asks it
    measure: str = ""  # what the figure counts, from the answer options' own labels

    @property
    def title(self) -> str:
        """The label of the figure: what it counts, then the item."""
        return f"{self.measure}: {self.label}"


@dataclass
class IndicatorTable:
    table: pd.DataFrame  # the COLUMNS, one row per district x group x indicator
    weighting: Weights | None
    notes: list[Note] = field(default_factory=list)
    min_n: int = 30


def rows_by_key(table: pd.DataFrame) -> dict[tuple[str, str, str], dict]:
    """Rows of an indicator (or wave comparison) table by (district, indicator, group),
    for the many single look-ups of reports and the dashboard."""
    return {(row["district"], row["indicator"], row["group"]): row
            for row in table.to_dict("records")}


def _quoted(labels: list[str]) -> str:
    quoted = [f"„{label}“" for label in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " oder " + quoted[-1]


def share_measure(choices, unfavourable) -> str:
    """'Anteil „eher unsicher“ oder „sehr unsicher“': the answers the share counts."""
    return "Anteil " + _quoted([c.label.de for c in choices if c.value in unfavourable])


def mean_measure(choices) -> str:
    """'Mittelwert von 1 („sehr sicher“) bis 4 („sehr unsicher“)'."""
    first, last = choices[0], choices[-1]
    return (f"Mittelwert von {first.value} („{first.label.de}“) bis {last.value} "
            f"(„{last.label.de}“)")


def _numeric(values) -> bool:
    return all(isinstance(value, (int, float)) and not isinstance(value, bool)
               for value in values)


def indicator_specs(questionnaire: Questionnaire) -> list[IndicatorSpec]:
    """Indicators defined by the codebook: the share at the unfavourable end of every
    scale item that has one, and the mean of every numeric scale of three or more
    answers. An item without an unfavourable end has no share: only its mean."""
    specs = []
    for variable in questionnaire.variables.values():
        if variable.kind != "single" or variable.code in NOT_INDICATORS \
                or not _numeric([choice.value for choice in variable.choices]):
            continue
        valid = tuple(float(choice.value) for choice in variable.choices)
        unfavourable = tuple(float(value) for value in variable.unfavourable)
        item = variable.label.de.rstrip(" .:")
        if unfavourable:
            specs.append(IndicatorSpec(HEADLINE.get(variable.code, variable.code),
                                       variable.code, "share", valid, unfavourable, item,
                                       share_measure(variable.choices, variable.unfavourable)))
        if variable.code not in HEADLINE and len(valid) >= 3:
            specs.append(IndicatorSpec(f"{variable.code}_mean", variable.code, "mean", valid,
                                       unfavourable, item, mean_measure(variable.choices)))
    return specs


def _check_frame(frame: pd.DataFrame, specs: list[IndicatorSpec]) -> None:
    if "district" not in frame.columns:
        raise AnalysisError("the responses have no 'district' column")
    for spec in specs:
        if spec.item in frame.columns and not pd.api.types.is_numeric_dtype(frame[spec.item]):
            raise AnalysisError(f"column '{spec.item}' must hold numbers (codes), "
                                f"not {frame[spec.item].dtype}")


def _to_groups(cells: np.ndarray) -> np.ndarray:
    """(districts, genders+1, ages+1) sums -> (districts + city, GROUPS) sums."""
    by_group = np.concatenate([cells.sum(axis=(1, 2))[:, None],
                               cells.sum(axis=2)[:, :len(GENDERS)],
                               cells.sum(axis=1)[:, :len(AGE_GROUPS)]], axis=1)
    return np.vstack([by_group, by_group.sum(axis=0, keepdims=True)])


def indicator_table(frame: pd.DataFrame, population: pd.DataFrame | None,
                    questionnaire: Questionnaire, *, weighted: bool = True, min_n: int = 30,
                    districts: list[str] | None = None) -> IndicatorTable:
    """Every indicator by district and group, with intervals, flags and suppression.

    ``districts`` lists every district of the municipality (those without any
    respondent appear as empty, suppressed rows).
    """
    if min_n < 1:
        raise AnalysisError("min_n must be at least 1")
    specs = indicator_specs(questionnaire)
    _check_frame(frame, specs)
    frame = frame[frame["district"].notna()]
    districts = sorted(set(districts or []) | set(district_codes(frame)))
    keys = cell_keys(frame, districts)
    counts = cell_counts(keys, len(districts))
    cells = None
    if weighted and len(frame):
        if population is None:
            raise AnalysisError("weighting needs the population table")
        cells = rake_counts(counts, districts, population)
        cell_weight = cells.weights.reshape(-1)
    else:
        cell_weight = np.ones(counts.size)
    parts = []
    for item in dict.fromkeys(spec.item for spec in specs):
        item_specs = [spec for spec in specs if spec.item == item]
        histogram = _value_histogram(frame, item, item_specs[0].valid, keys, counts.size)
        parts += [_indicator_rows(spec, histogram, cell_weight, counts.shape, districts, min_n)
                  for spec in item_specs]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    weights = None
    if cells is not None:
        weights = Weights(pd.Series(cell_weight[keys], index=frame.index, name="weight"),
                          cells.districts, cells.notes)
    return IndicatorTable(table[COLUMNS], weights, list(cells.notes) if cells else [], min_n)


def _value_histogram(frame: pd.DataFrame, item: str, valid: tuple[float, ...],
                     keys: np.ndarray, size: int) -> np.ndarray:
    """Respondents per cell and valid value (cells x values); other answers dropped."""
    histogram_size = size * (len(valid) + 1)
    if item not in frame.columns:
        return np.zeros((size, len(valid)))
    values = frame[item].to_numpy(dtype=float, na_value=np.nan)
    index = np.full(len(values), len(valid), dtype=np.int64)
    for position, value in enumerate(valid):
        index[values == value] = position
    combined = keys * (len(valid) + 1) + index
    histogram = np.bincount(combined, minlength=histogram_size).reshape(size, len(valid) + 1)
    return histogram[:, :len(valid)].astype(float)


def _indicator_rows(spec: IndicatorSpec, histogram: np.ndarray, cell_weight: np.ndarray,
                    shape: tuple, districts: list[str], min_n: int) -> pd.DataFrame:
    """Rows of one indicator from the value counts per cell and the cell weights."""
    def by_group(per_cell: np.ndarray) -> np.ndarray:
        return _to_groups(per_cell.reshape(shape))

    values = np.array(spec.valid)
    n_cell = histogram.sum(axis=1)
    n = by_group(n_cell)
    sw = by_group(cell_weight * n_cell)
    sw2 = by_group(cell_weight ** 2 * n_cell)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(sw2 > 0, sw * sw / sw2, 0.0)
        if spec.kind == "share":
            unfavourable = np.isin(values, spec.unfavourable).astype(float)
            swy = by_group(cell_weight * (histogram @ unfavourable))
            estimate = swy / sw
            low, high = wilson_interval(estimate, n_eff)
            flags = _district_flags(swy, sw, sw2)
        else:
            estimate = by_group(cell_weight * (histogram @ values)) / sw
            variance = by_group(cell_weight * (histogram @ values ** 2)) / sw - estimate ** 2
            low, high = mean_interval(estimate, variance, n_eff)
            flags = np.full(n.shape, "", dtype=object)
    hidden = suppress(np.rint(n).astype(np.int64), min_n, BREAKDOWNS)
    rows = len(districts) + 1
    table = pd.DataFrame({
        "district": np.repeat(districts + [CITY], len(GROUPS)),
        "group": np.tile(GROUPS, rows),
        "indicator": spec.name,
        "label": spec.title,
        "n": np.rint(n).astype(np.int64).ravel(),
        "n_eff": n_eff.ravel(),
        "estimate": estimate.ravel(),
        "ci_low": low.ravel(),
        "ci_high": high.ravel(),
        "suppressed": hidden.ravel(),
        "flag": flags.ravel(),
    })
    shown = ~table["suppressed"]
    for column in ("n_eff", "estimate", "ci_low", "ci_high"):
        table[column] = table[column].where(shown)
    table["flag"] = table["flag"].where(shown, "")
    return table


def _district_flags(swy: np.ndarray, sw: np.ndarray, sw2: np.ndarray) -> np.ndarray:
    """Each district against the rest of the city, per group; Holm across districts."""
    flags = np.full(swy.shape, "", dtype=object)
    city = -1
    for column in range(swy.shape[1]):
        district_sw, district_sw2 = sw[:city, column], sw2[:city, column]
        rest_sw = sw[city, column] - district_sw
        rest_sw2 = sw2[city, column] - district_sw2
        with np.errstate(divide="ignore", invalid="ignore"):
            p1 = swy[:city, column] / district_sw
            p2 = (swy[city, column] - swy[:city, column]) / rest_sw
            n1 = np.where(district_sw2 > 0, district_sw ** 2 / district_sw2, 0)
            n2 = np.where(rest_sw2 > 0, rest_sw ** 2 / rest_sw2, 0)
        flags[:city, column] = comparison_flags(p1, n1, p2, n2)
    return flags
