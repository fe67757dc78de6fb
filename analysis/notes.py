"""Method notes of the weighting, as data: what was done where and to how many.

The wording belongs to the presentation (``reports/notes.py``); analysis only says what
happened, so that a report can count, group or translate notes without parsing text.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NoteKind(StrEnum):
    # An age group with residents but no respondent, joined with its neighbour.
    EMPTY_AGE_GROUP = "empty_age_group"
    # An age group joined because sparse cells kept the two margins from being met.
    SPARSE_AGE_GROUP = "sparse_age_group"
    # Residents of a gender nobody answered for, left out of both margins.
    GENDER_LEFT_OUT = "gender_left_out"
    # Respondents without a usable gender or age group, given the district's mean weight.
    MEAN_WEIGHT = "mean_weight"
    # No respondent with both gender and age group: every respondent weighs the same.
    EQUAL_WEIGHTS = "equal_weights"


@dataclass(frozen=True)
class Note:
    """One method note of one district.

    ``count``: respondents (MEAN_WEIGHT, EQUAL_WEIGHTS) or residents (GENDER_LEFT_OUT);
    ``categories``: the age groups joined (their group), or the genders left out;
    ``joined_with``: the age groups they were joined with.
    """

    kind: NoteKind
    district: str
    count: int = 0
    categories: tuple[str, ...] = ()
    joined_with: tuple[str, ...] = ()
