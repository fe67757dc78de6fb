"""Responses out (CSV, Excel, SPSS) and paper questionnaires in (CSV), by item code."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import Questionnaire
from questionnaires.model import Variable

from ..models import Response, today
from ..survey.service import SurveyContext
from .tabular import TableError, TableProblem, read_table

FORMATS = ("csv", "xlsx", "sav")
META_COLUMNS = ["source", "completed_on"]  # exported after the item codes; ignored on import
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def export_columns(questionnaire: Questionnaire) -> list[str]:
    return list(questionnaire.variables) + META_COLUMNS


def export_rows(session: Session, context: SurveyContext) -> list[list[Any]]:
    """One row per response, one column per item code; values as codes (None = no answer)."""
    codes = list(context.questionnaire.variables)
    rows = session.execute(select(Response.answers, Response.source, Response.completed_on)
                           .where(Response.survey_id == context.survey.id)
                           .order_by(Response.id))
    return [[answers.get(code) for code in codes] + [source, completed_on.isoformat()]
            for answers, source, completed_on in rows]


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(columns: list[str], rows: list[list[Any]], sep: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else neutralise(value) for value in row]
                      for row in rows])
    # German Excel (';') recognises UTF-8 only with a byte order mark.
    return (b"\xef\xbb\xbf" if sep == ";" else b"") + buffer.getvalue().encode("utf-8")


def to_xlsx(columns: list[str], rows: list[list[Any]], questionnaire: Questionnaire) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("Antworten")
    data.append(columns)
    for row in rows:
        data.append([neutralise(value) for value in row])
    codebook = workbook.create_sheet("Codebuch")
    codebook.append(["item_code", "label", "values"])
    for variable in questionnaire.variables.values():
        codebook.append([variable.code, neutralise(variable.label.de),
                         neutralise(value_label_text(variable))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def value_label_text(variable: Variable) -> str:
    choices = list(variable.choices) + ([variable.missing] if variable.missing else [])
    return "; ".join(f"{choice.value} = {choice.label.de}" for choice in choices)


def to_sav(columns: list[str], rows: list[list[Any]], questionnaire: Questionnaire) -> bytes:
    """SPSS with variable labels, value labels and 'keine Angabe' as user-missing."""
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(rows, columns=columns)
    value_labels, missing = {}, {}
    for variable in questionnaire.variables.values():
        numeric = variable.kind in ("single", "binary", "integer") and all(
            isinstance(choice.value, int) for choice in variable.choices)
        if variable.kind in ("single", "binary") and numeric:
            frame[variable.code] = pd.to_numeric(frame[variable.code]).astype("float64")
            labels = {float(c.value): c.label.de for c in variable.choices}
            if variable.missing is not None:
                labels[float(variable.missing.value)] = variable.missing.label.de
                missing[variable.code] = [float(variable.missing.value)]
            value_labels[variable.code] = labels
        elif variable.kind == "integer":
            frame[variable.code] = pd.to_numeric(frame[variable.code]).astype("float64")
        else:
            frame[variable.code] = frame[variable.code].astype("string").fillna("")
            if variable.kind == "single":
                value_labels[variable.code] = {str(c.value): c.label.de
                                               for c in variable.choices}
    labels = [questionnaire.variables[c].label.de[:250] if c in questionnaire.variables
              else c for c in columns]
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(frame, path, column_labels=labels,
                             variable_value_labels=value_labels, missing_ranges=missing)
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


def export(session: Session, context: SurveyContext, file_format: str, sep: str = ","
           ) -> bytes:
    columns = export_columns(context.questionnaire)
    rows = export_rows(session, context)
    if file_format == "csv":
        return to_csv(columns, rows, sep)
    if file_format == "xlsx":
        return to_xlsx(columns, rows, context.questionnaire)
    if file_format == "sav":
        return to_sav(columns, rows, context.questionnaire)
    raise ValueError(f"unknown format {file_format!r} (known: {', '.join(FORMATS)})")


# --- paper questionnaires in -------------------------------------------------

def parse_cell(variable: Variable, text: str, districts: dict[str, int]) -> tuple[Any, str]:
    """(value, problem): the cell as a codebook value, or why it is not one."""
    if variable.kind == "district":
        return (text, "") if text in districts else (None, f"unbekannter Stadtteil '{text}'.")
    if variable.kind == "text":
        limit = variable.max_length or 0
        return (text, "") if len(text) <= limit else (
            None, f"Text ist {len(text)} Zeichen lang, erlaubt sind {limit}.")
    if variable.kind == "integer":
        try:
            number = int(text)
        except ValueError:
            return None, f"'{text}' ist keine ganze Zahl."
        if not variable.minimum <= number <= variable.maximum:
            return None, f"{number} liegt nicht zwischen {variable.minimum} und " \
                         f"{variable.maximum}."
        return number, ""
    choices = list(variable.choices) + ([variable.missing] if variable.missing else [])
    for choice in choices:
        if str(choice.value) == text:
            return choice.value, ""
    allowed = ", ".join(str(choice.value) for choice in choices)
    return None, f"Wert '{text}' liegt nicht auf der Skala (erlaubt: {allowed})."


def import_paper(session: Session, context: SurveyContext, raw: bytes, source: str
                 ) -> tuple[int, int]:
    """Validate every row against the survey's questionnaire; store all or nothing.

    Returns (responses imported, answers dropped because their question did not apply).
    """
    questionnaire = context.questionnaire
    table = read_table(raw, source, ["district"],
                       [code for code in questionnaire.variables if code != "district"]
                       + META_COLUMNS)
    problems, responses, dropped = [], [], 0
    for line, row in table.rows:
        answers = {}
        for column, text in row.items():
            if column in META_COLUMNS or not text:
                continue
            value, problem = parse_cell(questionnaire.variables[column], text,
                                        context.district_ids)
            if problem:
                problems.append(TableProblem(source, line, column, problem))
            else:
                answers[column] = value
        if not row.get("district"):
            problems.append(TableProblem(source, line, "district", "Stadtteil fehlt."))
        kept = questionnaire.drop_hidden_answers(answers)
        dropped += len(answers) - len(kept)
        responses.append(kept)
    if not table.rows:
        problems.append(TableProblem(source, 2, None, "Die Datei enthält keine Antworten."))
    if problems:
        raise TableError(problems)
    session.add_all(Response(survey_id=context.survey.id, answers=answers, source="paper",
                             district_id=context.district_ids[answers["district"]],
                             completed_on=today())
                    for answers in responses)
    session.flush()
    return len(responses), dropped
