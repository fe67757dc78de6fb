"""The responses frame: one row per response, one column per item code.

``district``, ``gender`` and ``age_group`` hold codes as text (or categoricals);
scale items hold numbers. These helpers turn the three grouping columns into the
index of each response's district x gender x age cell.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from questionnaires.codebook import AGE_GROUPS, GENDERS


def category_codes(frame: pd.DataFrame, column: str, categories: tuple[str, ...] | list[str]
                   ) -> np.ndarray:
    """Position of each row's value in ``categories``; -1 where missing or unknown."""
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64)
    values = frame[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.rename_categories([str(c) for c in values.cat.categories])
        return values.cat.set_categories(list(categories)).cat.codes.to_numpy(np.int64)
    return pd.Categorical(values.astype(object), categories=list(categories)).codes.astype(
        np.int64)


def district_codes(frame: pd.DataFrame) -> list[str]:
    """The districts that occur in the responses, as sorted text codes."""
    values = frame["district"]
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = values.cat.remove_unused_categories().cat.categories
    else:
        present = values.dropna().unique()
    return sorted(str(value) for value in present)


def cell_keys(frame: pd.DataFrame, districts: list[str]) -> np.ndarray:
    """Index of each response's district x gender x age cell; a missing or unknown
    gender or age falls into an extra last category. Unknown districts are refused."""
    district = category_codes(frame, "district", districts)
    if (district < 0).any():
        raise ValueError("responses with a district that is not in the list of districts")
    gender = category_codes(frame, "gender", GENDERS)
    age = category_codes(frame, "age_group", AGE_GROUPS)
    gender = np.where(gender < 0, len(GENDERS), gender)
    age = np.where(age < 0, len(AGE_GROUPS), age)
    return (district * (len(GENDERS) + 1) + gender) * (len(AGE_GROUPS) + 1) + age
