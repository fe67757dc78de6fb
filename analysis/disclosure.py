"""Disclosure control: no published figure rests on fewer than ``min_n`` respondents,
and no suppressed figure can be recovered by differencing the published ones.

A table for one indicator has one row per district plus the city (last row) and one
column per group ("all", then the categories of each breakdown variable). Two kinds
of additive relations hold in it:
- per column: the city = the sum of its districts;
- per row and breakdown variable: "all" = the sum of the categories + the respondents
  with a missing category (an implicit cell that is never published).
In every relation, a hidden cell must never be the only hidden one, and hidden cells
that include a small one must add up to at least ``min_n``; otherwise the smallest
published cell of that relation is hidden too, until nothing changes.
"""
from __future__ import annotations

import numpy as np


def primary_suppression(n: np.ndarray, min_n: int) -> np.ndarray:
    return np.asarray(n) < min_n


def _relations(rows: int, breakdowns: list[list[int]]) -> list[tuple[tuple, list[tuple]]]:
    """(total cell, part cells) of every additive relation in the table."""
    city = rows - 1
    columns = [0] + [column for group in breakdowns for column in group]
    relations = [((city, column), [(row, column) for row in range(city)]) for column in columns]
    for row in range(rows):
        for group in breakdowns:
            relations.append(((row, 0), [(row, column) for column in group]))
    return relations


def suppress(n: np.ndarray, min_n: int, breakdowns: list[list[int]]) -> np.ndarray:
    """Suppression mask for a table of respondent counts (see module docstring)."""
    n = np.asarray(n)
    hidden = primary_suppression(n, min_n)
    relations = _relations(n.shape[0], breakdowns)
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            implicit = n[total] - sum(n[part] for part in parts)
            hidden_parts = [n[part] for part in parts if hidden[part] and n[part] > 0]
            hidden_parts += [implicit] if implicit > 0 else []
            if hidden[total] and n[total] > 0:
                # The total is unknown too: only derivable when it is the one unknown.
                needs_more = not hidden_parts
            elif len(hidden_parts) == 1:  # derivable by subtraction from the total
                needs_more = implicit <= 0 or 0 < implicit < min_n
            else:  # only the sum of the hidden parts is derivable
                needs_more = (any(0 < value < min_n for value in hidden_parts)
                              and sum(hidden_parts) < min_n)
            if not needs_more:
                continue
            candidates = [c for c in parts if not hidden[c] and n[c] > 0] or (
                [total] if not hidden[total] and n[total] > 0 else [])
            if not candidates:
                continue
            hidden[min(candidates, key=lambda cell: n[cell])] = True
            changed = True
    return hidden
