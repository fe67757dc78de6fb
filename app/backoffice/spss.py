"""The SPSS export (.sav): one variable per column of the export, with its codebook.

Every valid questionnaire gives a file that SPSS and R (haven, foreign) read: numeric
codes as numbers (format F.0), codes that are texts as strings, each with value labels;
every "keine Angabe" value declared user-missing; measurement levels; district names as
value labels of the district codes; ``completed_on`` as an SPSS date (dd.mm.yyyy).
Labels longer than SPSS keeps are cut at a whole character, never inside one.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from questionnaires import Questionnaire
from questionnaires.loader import MAX_MISSING_TEXT_BYTES
from questionnaires.model import Variable

from ..models import ResponseSource

# What SPSS keeps of a variable label and of a value label, in bytes (UTF-8).
VARIABLE_LABEL_BYTES = 256
VALUE_LABEL_BYTES = 120
SOURCE_LABELS = {ResponseSource.ONLINE: "online", ResponseSource.PAPER: "Papier",
                 ResponseSource.SYNTHETIC: "synthetisch (Demo)"}
META_LABELS = {
    "source": "Herkunft der Antwort",
    "completed_on": "Datum der Antwort",
    "weight": "Gewicht (Raking je Stadtteil nach Geschlecht und Altersgruppe)",
}


@dataclass
class SavVariable:
    """How one column is written: its values and its SPSS dictionary entry."""

    values: Any  # a pandas Series
    label: str
    measure: str  # nominal | ordinal | scale
    format: str | None = None
    value_labels: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes, cut before a character, never inside."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _width(*numbers: int) -> int:
    return max(len(str(number)) for number in numbers)


def item_variable(variable: Variable, values: list, districts: dict[str, str]) -> SavVariable:
    """The SPSS variable of one item code."""
    import pandas as pd

    label = variable.label.de
    choices = variable.all_choices()
    if variable.kind == "integer":
        return SavVariable(pd.to_numeric(pd.Series(values, dtype=object)).astype("float64"),
                           label, "scale", f"F{_width(variable.minimum, variable.maximum)}.0")
    if variable.kind in ("single", "binary") and all(
            isinstance(choice.value, int) for choice in choices):
        measure = "ordinal" if variable.unfavourable and len(variable.choices) > 2 else "nominal"
        return SavVariable(
            pd.to_numeric(pd.Series(values, dtype=object)).astype("float64"), label, measure,
            f"F{_width(*(choice.value for choice in choices))}.0",
            {float(choice.value): choice.label.de for choice in choices},
            [float(variable.missing.value)] if variable.missing else [])
    # Texts, districts and choices with a text among their codes ("x" = keine Angabe
    # beside 1, 2, 3) are strings: every code keeps exactly the value that is stored.
    strings = pd.Series(["" if value is None else str(value) for value in values],
                        dtype=object)
    if variable.kind == "district":
        return SavVariable(strings, label, "nominal", value_labels=dict(districts))
    if variable.kind == "text":
        return SavVariable(strings, label, "nominal")
    missing = [str(variable.missing.value)] if variable.missing and len(
        str(variable.missing.value).encode("utf-8")) <= MAX_MISSING_TEXT_BYTES else []
    return SavVariable(strings, label, "nominal",
                       value_labels={str(choice.value): choice.label.de for choice in choices},
                       missing=missing)


def meta_variable(column: str, values: list) -> SavVariable:
    import pandas as pd

    label = META_LABELS[column]
    if column == "source":
        return SavVariable(pd.Series(values, dtype=object), label, "nominal",
                           value_labels=SOURCE_LABELS)
    if column == "completed_on":
        # datetime64[ns] with a date format: SPSS (and haven) see a date, even when empty.
        return SavVariable(pd.to_datetime(pd.Series(values, dtype=object)).astype(
            "datetime64[ns]"), label, "scale", "EDATE10")
    return SavVariable(pd.Series(values, dtype="float64"), label, "scale", "F12.6")


def to_sav(columns: list[str], rows: list[list[Any]], questionnaire: Questionnaire,
           districts: dict[str, str]) -> bytes:
    """The export as an SPSS file (``districts``: code -> name)."""
    import pandas as pd
    import pyreadstat

    variables = questionnaire.variables
    by_column = {column: [row[position] for row in rows]
                 for position, column in enumerate(columns)}
    spss = {column: (item_variable(variables[column], values, districts)
                     if column in variables else meta_variable(column, values))
            for column, values in by_column.items()}
    frame = pd.DataFrame({column: variable.values for column, variable in spss.items()},
                         columns=columns)
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(
            frame, path,
            column_labels=[cut(spss[column].label, VARIABLE_LABEL_BYTES) for column in columns],
            variable_value_labels={
                column: {value: cut(text, VALUE_LABEL_BYTES)
                         for value, text in variable.value_labels.items()}
                for column, variable in spss.items() if variable.value_labels},
            missing_ranges={column: variable.missing for column, variable in spss.items()
                            if variable.missing},
            variable_measure={column: variable.measure for column, variable in spss.items()},
            variable_format={column: variable.format for column, variable in spss.items()
                             if variable.format})
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)
