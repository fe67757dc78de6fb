"""Small helpers on the responses frame shared by the analysis modules."""
from __future__ import annotations

import numpy as np
import pandas as pd


def category_codes(frame: pd.DataFrame, column: str, categories: tuple[str, ...]) -> np.ndarray:
    """Position of each row's value in ``categories``; -1 where missing or unknown."""
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64)
    values = frame[column].astype("string")
    return pd.Categorical(values, categories=list(categories)).codes.astype(np.int64)
