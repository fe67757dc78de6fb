"""`responses export --weights`: the raking weight of each response in the data hand-over,
so that analysts at the university reproduce the published figures."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete, select

from app.demo import load_demo
from app.extensions import db
from app.models import PopulationCell, Response, Survey
from app.results import survey_indicators
from app.survey.service import context_of


@pytest.fixture
def demo(app, survey):
    """The demo survey with 400 synthetic responses."""
    with app.app_context():
        db.session.execute(delete(Response))
        db.session.commit()
        load_demo(db.session, responses=400)
        db.session.commit()
    return survey


def published(app, district: str, indicator: str = "unsafe_night") -> float:
    with app.app_context():
        context = context_of(db.session, db.session.scalar(
            select(Survey).where(Survey.slug == "kassel-2026")))
        table = survey_indicators(db.session, context, min_n=1).table
    row = table[(table["district"] == district) & (table["group"] == "all")
                & (table["indicator"] == indicator)]
    return float(row["estimate"].iloc[0])


def unsafe_share(rows: list[dict], district: str | None, decimal: str = ".") -> float:
    """Weighted share of 'eher/sehr unsicher' at night, from the exported rows alone."""
    total = unsafe = 0.0
    for row in rows:
        if row["safety_night"] in ("1", "2", "3", "4") and district in (None, row["district"]):
            weight = float(row["weight"].replace(decimal, "."))
            total += weight
            unsafe += weight * (row["safety_night"] in ("3", "4"))
    return unsafe / total


@pytest.mark.parametrize("sep, decimal", [(",", "."), (";", ",")])
def test_weighted_export_reproduces_the_published_figures(app, runner, demo, tmp_path, sep,
                                                          decimal):
    out = tmp_path / "gewichtet.csv"
    result = runner.invoke(args=["responses", "export", "kassel-2026", "--sep", sep,
                                 "--weights", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")),
                               delimiter=sep))
    assert list(rows[0])[-3:] == ["source", "completed_on", "weight"]
    assert len(rows) == 400 and all(row["weight"] for row in rows)
    assert all("." not in row["weight"] for row in rows) == (decimal == ",")
    assert unsafe_share(rows, "11", decimal) == pytest.approx(published(app, "11"), rel=1e-12)
    assert unsafe_share(rows, None, decimal) == pytest.approx(published(app, "_city"),
                                                              rel=1e-12)


def test_weights_in_excel_and_spss(app, runner, demo, tmp_path):
    import pyreadstat
    from openpyxl import load_workbook

    xlsx, sav = tmp_path / "g.xlsx", tmp_path / "g.sav"
    for out, file_format in ((xlsx, "xlsx"), (sav, "sav")):
        assert runner.invoke(args=["responses", "export", "kassel-2026", "--format",
                                   file_format, "--weights", str(out)]).exit_code == 0
    workbook = load_workbook(xlsx, read_only=True)  # read-only keeps the file open until closed
    sheet = list(workbook["Antworten"].iter_rows(values_only=True))
    workbook.close()
    header = sheet[0]
    excel = [dict(zip(header, ["" if v is None else str(v) for v in row])) for row in sheet[1:]]
    assert unsafe_share(excel, "11") == pytest.approx(published(app, "11"), rel=1e-12)
    frame, meta = pyreadstat.read_sav(str(sav))
    assert (meta.variable_measure["weight"], meta.original_variable_types["weight"]) == (
        "scale", "F12.6")
    # SPSS keeps the double exactly; Excel files (openpyxl) keep 16 significant digits.
    assert list(frame["weight"]) == pytest.approx([float(row["weight"]) for row in excel],
                                                  rel=1e-15)


def test_without_weights_the_columns_stay_as_they_were(runner, demo, tmp_path):
    out = tmp_path / "plain.csv"
    assert runner.invoke(args=["responses", "export", "kassel-2026", str(out)]).exit_code == 0
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[-2:] == ["source", "completed_on"] and "weight" not in header


def test_a_weighted_export_imports_again(app, runner, demo, tmp_path):
    out = tmp_path / "gewichtet.csv"
    runner.invoke(args=["responses", "export", "kassel-2026", "--weights", str(out)])
    result = runner.invoke(args=["responses", "import", "kassel-2026", str(out)])
    assert result.exit_code == 0, result.output
    assert "400 Papierfragebögen importiert." in result.output


def test_weights_without_a_population_table_are_refused_with_a_reason(app, runner, demo,
                                                                       tmp_path):
    with app.app_context():
        db.session.execute(delete(PopulationCell))
        db.session.commit()
    out = tmp_path / "gewichtet.csv"
    result = runner.invoke(args=["responses", "export", "kassel-2026", "--weights", str(out)])
    assert result.exit_code == 1 and not out.exists()
    assert "Die Gewichte lassen sich nicht berechnen" in result.output
    assert "Traceback" not in result.output
