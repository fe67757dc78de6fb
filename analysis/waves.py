"""Change between two waves of one municipality, tested like the district comparison."""
from __future__ import annotations

import pandas as pd

from .uncertainty import comparison_flags

KEYS = ["district", "group", "indicator"]


def compare_waves(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Per district, group and share indicator: both estimates, the change and a flag.

    Both tables are published indicator tables (suppressed rows have no estimate, so
    they are never compared). The two samples are independent; the test uses each
    wave's effective size. Holm correction across the districts of each indicator and
    group; ``flag`` is 'higher' when the current wave is significantly higher.
    """
    shares = ~current["indicator"].str.endswith("_mean")
    merged = current[shares].merge(previous, on=KEYS, suffixes=("", "_previous"))
    merged = merged[merged["estimate"].notna() & merged["estimate_previous"].notna()]
    result = merged[KEYS].copy()
    result["estimate"] = merged["estimate"]
    result["estimate_previous"] = merged["estimate_previous"]
    result["change"] = merged["estimate"] - merged["estimate_previous"]
    result["flag"] = ""
    for _key, rows in merged.groupby(["indicator", "group"]).groups.items():
        part = merged.loc[rows]
        result.loc[rows, "flag"] = comparison_flags(
            part["estimate"].to_numpy(), part["n_eff"].to_numpy(),
            part["estimate_previous"].to_numpy(), part["n_eff_previous"].to_numpy())
    return result.reset_index(drop=True)
