"""Responses out (CSV, Excel, SPSS) and paper questionnaires in (CSV, Excel), by item code.

What goes out comes back in unchanged: ``responses import`` reads the platform's own CSV
(``,`` or ``;``) and Excel exports, so export → import → export gives the same data.
"""
from __future__ import annotations

import io
from datetime import date
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.weighting import WeightingError, rake
from questionnaires import Questionnaire
from questionnaires.model import (META_COLUMNS, Condition, Variable, clean_text,
                                  parse_integer)

from ..models import Response, ResponseSource, today
from ..results import population_frame
from ..survey.service import SurveyContext
from .tabular import TableError, TableProblem, read_table, restore, write_csv
from .workbook import is_workbook, read_workbook

FORMATS = ("csv", "xlsx", "sav")
DATA_SHEET = "Antworten"  # the sheet with the responses in the Excel export (and import)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # what Excel runs at a cell's start


class ExportError(ValueError):
    """An export that cannot be made; the message says why (German)."""


def export_columns(questionnaire: Questionnaire, weights: bool = False) -> list[str]:
    """Item codes, then ``source`` and ``completed_on`` (and ``weight`` if asked for)."""
    meta = [column for column in META_COLUMNS if weights or column != "weight"]
    return list(questionnaire.variables) + meta


def export_rows(session: Session, context: SurveyContext, weights: bool = False
                ) -> list[list[Any]]:
    """One row per response, one column per item code; values as codes (None = no
    answer), then source, the date completed and, if asked for, the raking weight."""
    codes = list(context.questionnaire.variables)
    rows = session.execute(select(Response.answers, Response.source, Response.completed_on)
                           .where(Response.survey_id == context.survey.id)
                           .order_by(Response.id)).all()
    table = [[answers.get(code) for code in codes] + [source, completed_on]
             for answers, source, completed_on in rows]
    if weights:
        for row, weight in zip(table, response_weights(
                session, context, [answers for answers, _source, _date in rows])):
            row.append(weight)
    return table


def response_weights(session: Session, context: SurveyContext, answers: list[dict]
                     ) -> list[float | None]:
    """The raking weight of each response, exactly as the indicator table, reports and
    dashboard use it (analysis.weighting.rake); None for a response without district."""
    import pandas as pd

    frame = pd.DataFrame.from_records(answers, columns=["district", "gender", "age_group"])
    with_district = frame[frame["district"].notna()]
    weights: list[float | None] = [None] * len(frame)
    if with_district.empty:
        return weights
    population = population_frame(session, context.survey.municipality_id)
    try:
        raked = rake(with_district.astype({"district": str}), population)
    except WeightingError as error:
        raise ExportError(f"Die Gewichte lassen sich nicht berechnen: {error}. Bitte die "
                          "Einwohnerzahlen der Stadtteile (nach Geschlecht und "
                          "Altersgruppe) prüfen.") from None
    for position, weight in zip(with_district.index, raked.weights):
        weights[position] = float(weight)
    return weights


def to_csv(columns: list[str], rows: list[list[Any]], sep: str = ",") -> bytes:
    """Text cells neutralised (tabular.neutralise), which ``import_paper`` undoes. With
    ';' (German Excel) decimals are written with a comma, as German Excel reads them."""
    def number(value: Any) -> Any:
        if isinstance(value, float):  # repr: the shortest text that gives the same double
            return repr(value).replace(".", ",") if sep == ";" else repr(value)
        return value

    text = write_csv(columns, [[number(value) for value in row] for row in rows], sep)
    # German Excel (';') recognises UTF-8 only with a byte order mark.
    return (b"\xef\xbb\xbf" if sep == ";" else b"") + text.encode("utf-8")


def to_xlsx(columns: list[str], rows: list[list[Any]], questionnaire: Questionnaire) -> bytes:
    """Excel file; every text is a text cell, so it keeps its exact value."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    data = workbook.create_sheet(DATA_SHEET)
    data.append(columns)
    for row in rows:
        data.append([_xlsx_cell(data, value.isoformat() if isinstance(value, date) else value)
                     for value in row])
    codebook = workbook.create_sheet("Codebuch")
    codebook.append(["item_code", "label", "values"])
    for variable in questionnaire.variables.values():
        codebook.append([_xlsx_cell(codebook, text) for text in (
            variable.code, variable.label.de, value_label_text(variable))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value: Any) -> Any:
    """Text as an explicit text cell (openpyxl would write '=...' as a formula). An XLSX
    cell is never split at separators, so no apostrophe goes into the value; a text that
    starts like a formula also gets Excel's own quote prefix (a style, not a character),
    so that editing the cell in Excel does not turn it into a formula either."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    if value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def value_label_text(variable: Variable) -> str:
    choices = variable.all_choices()
    return "; ".join(f"{choice.value} = {choice.label.de}" for choice in choices)


def export(session: Session, context: SurveyContext, file_format: str, sep: str = ",",
           weights: bool = False) -> bytes:
    """The responses of a survey as a file (ExportError if weights cannot be computed)."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r} (known: {', '.join(FORMATS)})")
    columns = export_columns(context.questionnaire, weights)
    rows = export_rows(session, context, weights)
    if file_format == "csv":
        return to_csv(columns, rows, sep)
    if file_format == "xlsx":
        return to_xlsx(columns, rows, context.questionnaire)
    from .spss import to_sav

    return to_sav(columns, rows, context.questionnaire, dict(context.districts))


# --- paper questionnaires in -------------------------------------------------

def parse_cell(variable: Variable, text: str, districts: dict[str, int]) -> tuple[Any, str]:
    """(value, problem): the cell as it would be stored online, or why it cannot be.
    A value of None without a problem means "not answered"."""
    if variable.kind == "district":
        return (text, "") if text in districts else (None, f"unbekannter Stadtteil '{text}'.")
    if variable.kind == "text":
        text = clean_text(text)  # line breaks as LF and counted once, as online
        limit = variable.max_length or 0
        return (text or None, "") if len(text) <= limit else (
            None, f"Text ist {len(text)} Zeichen lang, erlaubt sind {limit}.")
    if variable.kind == "integer":
        number = parse_integer(text)
        if number is None:
            return None, f"'{text}' ist keine ganze Zahl."
        if not variable.minimum <= number <= variable.maximum:
            return None, f"{number} liegt nicht zwischen {variable.minimum} und " \
                         f"{variable.maximum}."
        return number, ""
    choices = variable.all_choices()
    for choice in choices:
        if str(choice.value) == text:
            return choice.value, ""
    allowed = ", ".join(str(choice.value) for choice in choices)
    return None, f"Wert '{text}' liegt nicht auf der Skala (erlaubt: {allowed})."


def as_online(questionnaire: Questionnaire, answers: dict[str, Any], columns: set[str]
              ) -> tuple[dict[str, Any], dict[str, tuple[str, Condition]]]:
    """The answers as the online survey would store them, and the answers to questions
    the conditions hide (code -> where the condition is, and the condition).

    Walked in page order, as a resident goes through the pages: a multiple-choice
    question that is shown stores 0 for every option not ticked, here for every option
    whose column the file has (a column the file lacks stays unanswered).
    """
    kept: dict[str, Any] = {}
    hidden: dict[str, tuple[str, Condition]] = {}
    for page in questionnaire.pages:
        page_shown = page.visible(kept)
        for question in page.questions:
            shown = page_shown and question.visible(kept)
            for name in question.field_names():
                if not shown:
                    if name in answers:
                        hidden[name] = ((f"Frage '{question.code}'", question.show_if)
                                        if page_shown else (f"Seite '{page.id}'", page.show_if))
                elif name in answers:
                    kept[name] = answers[name]
                elif question.type_name == "multiple" and name in columns:
                    kept[name] = 0
    return kept, hidden


def read_row(context: SurveyContext, row: dict[str, str], unmark: Callable[[str], str]
             ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One keyed-in row as stored answers, and its problems as (column, message)."""
    variables = context.questionnaire.variables
    answers, problems = {}, []
    for column, text in row.items():
        if column in META_COLUMNS or not text:
            continue
        value, problem = parse_cell(variables[column], unmark(text), context.district_ids)
        if problem:
            problems.append((column, problem))
        elif value is not None:
            answers[column] = value
    if "district" in variables and not row.get("district"):
        problems.append(("district", "Stadtteil fehlt."))
    kept, hidden = as_online(context.questionnaire, answers, set(row))
    wrong = {column for column, _problem in problems}
    problems += [(code, f"'{row[code]}' beantwortet eine Frage, die nach den übrigen "
                        f"Antworten dieser Zeile nicht gestellt wird (Bedingung der {where}); "
                        "bitte die Zelle leeren oder die Antwort in "
                        f"{', '.join(sorted(condition.variables()))} prüfen.")
                 for code, (where, condition) in hidden.items()
                 if not condition.variables() & wrong]  # else it follows from a problem
    return kept, problems


def import_paper(session: Session, context: SurveyContext, raw: bytes, source: str) -> int:
    """Validate every row of a CSV or Excel file against the survey's questionnaire and
    store all rows or none; returns the number of responses imported.

    Each answer is stored as the online survey would store it (tabular.restore takes off
    the apostrophes the CSV export added; an Excel file has none).
    """
    variables = context.questionnaire.variables
    required = ["district"] if "district" in variables else []
    optional = [code for code in variables if code not in required] + list(META_COLUMNS)
    if is_workbook(raw):
        table = read_workbook(raw, source, required, optional, sheet=DATA_SHEET)
        unmark: Callable[[str], str] = str
    else:
        table = read_table(raw, source, required, optional)
        unmark = restore
    problems, responses = [], []
    for line, row in table.rows:
        answers, row_problems = read_row(context, row, unmark)
        problems += [TableProblem(source, line, column, message)
                     for column, message in row_problems]
        responses.append(answers)
    if not table.rows:
        problems.append(TableProblem(source, 2, None, "Die Datei enthält keine Antworten."))
    if problems:
        raise TableError(problems)
    session.add_all(Response(survey_id=context.survey.id, answers=answers,
                             source=ResponseSource.PAPER,
                             district_id=context.district_ids.get(answers.get("district")),
                             completed_on=today())
                    for answers in responses)
    session.flush()
    return len(responses)
