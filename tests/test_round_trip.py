"""Export → import → export gives back the same data (property-based, SQLite and PostgreSQL).

Responses are generated the way residents make them: page by page, each page's form
posted through the questionnaire's own parsing, with texts full of what breaks files
(formula starts, separators, quotes, CR/LF, control characters, emoji). They are
exported from one wave as CSV, as ';'-CSV and as Excel, imported into a second wave on
the same questionnaire, and exported again.
"""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Response, Survey
from app.survey.service import context_of

from .every_type import two_waves

DISTRICTS = ["01", "11", "23"]
PIECES = ["=", "+", "-", "@", ",", ";", "\t", "\r\n", "\n", "\r", '"', "'", " ", "'=",
          "🚦", "ä", "ß", "x", "1", "\x00", "\x0b", "\u2028", "\xa0", "=1+1", "-2"]
TEXTS = st.one_of(st.text(max_size=30),
                  st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)),
                           max_size=15).map("".join))
# Spellings a resident might send for a whole number; the bad ones are refused online.
NUMBER_SPELLINGS = st.sampled_from(["{}", "{}", "{}", "0{}", "1_{}", "+{}", " {} "])


@st.composite
def form_values(draw, question) -> dict[str, list[str]]:
    """What a browser might post for one question."""
    kind = question.type_name
    if kind == "district":
        return {question.code: [draw(st.sampled_from(DISTRICTS))]}
    if kind in ("single", "matrix"):
        codes = [question.code] if kind == "single" else [code for code, _ in question.rows]
        values = [str(choice.value) for choice in question.all_choices()]
        return {code: [value] for code in codes
                if (value := draw(st.none() | st.sampled_from(values))) is not None}
    if kind == "multiple":
        return {code: ["1"] for code, _label in question.options if draw(st.booleans())}
    if kind == "integer":
        number = draw(st.integers(question.minimum, question.maximum))
        return {question.code: [draw(NUMBER_SPELLINGS).format(number)]} if draw(
            st.booleans()) else {}
    return {question.code: [draw(TEXTS)]}


@st.composite
def online_responses(draw, questionnaire) -> dict:
    """One completed response, as the online survey stores it."""
    answers: dict = {}
    for page in questionnaire.pages:
        if not page.visible(answers):
            continue
        for question in page.visible_questions(answers):
            form = MultiDict(draw(form_values(question)))
            parsed, errors = question.parse(form, [(code, code) for code in DISTRICTS])
            if not errors:  # a refused answer is left out, as a resident would correct it
                answers.update(parsed)
    return questionnaire.drop_hidden_answers(answers)


def stored(app, survey_id: int) -> list[dict]:
    with app.app_context():
        return db.session.scalars(select(Response.answers).where(
            Response.survey_id == survey_id).order_by(Response.id)).all()


def data_rows(content: bytes, file_format: str, sep: str) -> list[list]:
    """The rows of an export without ``source`` and ``completed_on`` (which say where
    and when a response came in: online before, on paper today)."""
    if file_format == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True)
        rows = [list(row) for row in workbook["Antworten"].iter_rows(values_only=True)]
        workbook.close()
    else:
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""),
                               delimiter=sep))
    keep = [position for position, name in enumerate(rows[0])
            if name not in ("source", "completed_on")]
    return [[row[position] for position in keep] for row in rows]


FORMATS = [("csv", ","), ("csv", ";"), ("xlsx", ",")]


@pytest.fixture
def round_trip(app, runner, survey, tmp_path):
    waves = two_waves(app)
    with app.app_context():
        questionnaire = context_of(db.session, db.session.get(Survey, waves.first)
                                   ).questionnaire

    def run(responses: list[dict]) -> None:
        with app.app_context():  # a cheap reset between examples: only the two waves
            db.session.execute(delete(Response).where(Response.survey_id.in_(
                [waves.first, waves.second])))
            db.session.add_all(Response(survey_id=waves.first, answers=answers)
                               for answers in responses)
            db.session.commit()
        originals = stored(app, waves.first)
        for file_format, sep in FORMATS:
            first, second = tmp_path / "a.out", tmp_path / "b.out"
            export = ["responses", "export", "--format", file_format, "--sep", sep]
            assert runner.invoke(args=export + ["welle-a", str(first)]).exit_code == 0
            with app.app_context():
                db.session.execute(delete(Response).where(Response.survey_id == waves.second))
                db.session.commit()
            result = runner.invoke(args=["responses", "import", "welle-b", str(first)])
            assert result.exit_code == 0, (file_format, sep, result.output)
            assert stored(app, waves.second) == originals, (file_format, sep)
            assert runner.invoke(args=export + ["welle-b", str(second)]).exit_code == 0
            assert data_rows(second.read_bytes(), file_format, sep) == data_rows(
                first.read_bytes(), file_format, sep), (file_format, sep)

    return questionnaire, run


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_export_then_import_gives_back_the_same_data(round_trip, data):
    questionnaire, run = round_trip
    responses = data.draw(st.lists(online_responses(questionnaire), min_size=1, max_size=6))
    run(responses)
