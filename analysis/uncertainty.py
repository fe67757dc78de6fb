"""Intervals and tests on effective sample sizes (Kish), so that weighting widens them."""
from __future__ import annotations

import numpy as np
from scipy.special import erfc

Z_95 = 1.959963984540054


def wilson_interval(p: np.ndarray, n_eff: np.ndarray, z: float = Z_95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of proportions ``p`` observed on ``n_eff`` cases.

    NaN where n_eff is 0 or p is undefined.
    """
    p, n = np.asarray(p, dtype=float), np.asarray(n_eff, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z * np.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    invalid = ~(n > 0) | np.isnan(p)
    return np.where(invalid, np.nan, low), np.where(invalid, np.nan, high)


def mean_interval(mean: np.ndarray, variance: np.ndarray, n_eff: np.ndarray,
                  z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation interval of a weighted mean (variance of the responses)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(np.maximum(variance, 0) / n_eff)
    invalid = ~(np.asarray(n_eff) > 1) | np.isnan(mean)
    return np.where(invalid, np.nan, mean - half), np.where(invalid, np.nan, mean + half)


def two_proportion_p_values(p1: np.ndarray, n1: np.ndarray, p2: np.ndarray, n2: np.ndarray
                            ) -> np.ndarray:
    """Two-sided p-values of the pooled z-test of p1 = p2 (NaN where untestable)."""
    p1, n1, p2, n2 = (np.asarray(a, dtype=float) for a in (p1, n1, p2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p1 - p2) / se
        p_values = erfc(np.abs(z) / np.sqrt(2))
    p_values = np.where(se == 0, np.where(p1 == p2, 1.0, 0.0), p_values)
    return np.where((n1 > 0) & (n2 > 0) & ~np.isnan(p1) & ~np.isnan(p2), p_values, np.nan)


def holm_reject(p_values: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Holm's step-down procedure; NaN p-values are not tested (never rejected)."""
    p_values = np.asarray(p_values, dtype=float)
    reject = np.zeros(p_values.shape, dtype=bool)
    tested = np.flatnonzero(~np.isnan(p_values))
    order = tested[np.argsort(p_values[tested], kind="stable")]
    for rank, index in enumerate(order):
        if p_values[index] > alpha / (len(order) - rank):
            break
        reject[index] = True
    return reject


def comparison_flags(p1, n1, p2, n2, alpha: float = 0.05) -> np.ndarray:
    """'higher', 'lower' or '' for each p1 against p2, Holm-corrected across the family."""
    p_values = two_proportion_p_values(p1, n1, p2, n2)
    reject = holm_reject(p_values, alpha)
    return np.where(reject & (np.asarray(p1) > np.asarray(p2)), "higher",
                    np.where(reject, "lower", ""))
