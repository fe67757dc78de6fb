"""Responses out (CSV, Excel, SPSS) and paper questionnaires in."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Response, Survey

from .staff import form_token, login, make_users


def add_response(app, answers: dict, source: str = "online") -> None:
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "kassel-2026"))
        db.session.add(Response(survey_id=survey.id, answers=answers, source=source))
        db.session.commit()


@pytest.fixture
def answered(app, survey):
    add_response(app, {"district": "11", "safety_night": 4, "gender": "f", "age_group": "75+",
                       "unsafe_places": "=HYPERLINK(\"http://evil\")", "years_in_district": 3})
    add_response(app, {"district": "01", "safety_night": 9, "safety_day": 1,
                       "unsafe_places": "@Bahnhof; \"Unterführung\"\nnachts"})
    return survey


def read_csv(data: bytes, sep: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=sep))


def test_csv_export_by_item_code_with_formulas_neutralised(app, runner, answered, tmp_path):
    out = tmp_path / "antworten.csv"
    result = runner.invoke(args=["responses", "export", "kassel-2026", "--format", "csv",
                                 str(out)])
    assert result.exit_code == 0, result.output
    rows = read_csv(out.read_bytes())
    assert list(rows[0])[:4] == ["district", "years_in_district", "safety_day", "safety_night"]
    assert list(rows[0])[-2:] == ["source", "completed_on"]
    assert rows[0]["safety_night"] == "4" and rows[0]["gender"] == "f"
    assert rows[0]["unsafe_places"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1]["unsafe_places"] == "'@Bahnhof; \"Unterführung\"\nnachts"
    assert rows[1]["safety_night"] == "9" and rows[1]["gender"] == ""
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action)) == "responses_exported"


def test_csv_for_german_excel(runner, answered, tmp_path):
    out = tmp_path / "excel.csv"
    runner.invoke(args=["responses", "export", "kassel-2026", "--sep", ";", str(out)])
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfdistrict;years_in_district;")
    assert read_csv(data, ";")[0]["age_group"] == "75+"


def test_xlsx_export(runner, answered, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "antworten.xlsx"
    assert runner.invoke(args=["responses", "export", "kassel-2026", "--format", "xlsx",
                               str(out)]).exit_code == 0
    workbook = load_workbook(out, read_only=True)
    rows = list(workbook["Antworten"].iter_rows(values_only=True))
    header = rows[0]
    assert rows[1][header.index("safety_night")] == 4
    assert rows[1][header.index("unsafe_places")].startswith("'=")
    codebook = {row[0]: row for row in workbook["Codebuch"].iter_rows(values_only=True)}
    assert "4 = sehr unsicher" in codebook["safety_night"][2]
    workbook.close()


def test_spss_export_has_variable_and_value_labels(runner, answered, tmp_path):
    import pyreadstat

    out = tmp_path / "antworten.sav"
    assert runner.invoke(args=["responses", "export", "kassel-2026", "--format", "sav",
                               str(out)]).exit_code == 0
    frame, meta = pyreadstat.read_sav(str(out), user_missing=True)
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["safety_night"].startswith("Wie sicher fühlen Sie sich")
    assert meta.variable_value_labels["safety_night"][4.0] == "sehr unsicher"
    assert meta.variable_value_labels["safety_night"][9.0] == "keine Angabe"
    assert list(frame["safety_night"]) == [4.0, 9.0]
    assert meta.missing_ranges["safety_night"] == [{"lo": 9.0, "hi": 9.0}]
    assert list(frame["district"]) == ["11", "01"]


PAPER = ("district;safety_day;safety_night;gender;victim_assault;reported_assault;"
         "reported_robbery;unsafe_places\n"
         "11;2;3;f;1;2;1;Bahnhof\n"
         "01;;4;;;;;\n")


def test_paper_import_all_rows(app, runner, survey, tmp_path):
    path = tmp_path / "papier.csv"
    path.write_text(PAPER, encoding="utf-8")
    result = runner.invoke(args=["responses", "import", "kassel-2026", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 Papierfragebögen importiert (1 Antworten auf nicht zutreffende Fragen" in \
        result.output
    with app.app_context():
        stored = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.source for r in stored] == ["paper", "paper"]
    assert stored[0].answers == {"district": "11", "safety_day": 2, "safety_night": 3,
                                 "gender": "f", "victim_assault": 1, "reported_assault": 2,
                                 "unsafe_places": "Bahnhof"}  # reported_robbery did not apply
    assert stored[1].answers == {"district": "01", "safety_night": 4}


@pytest.mark.parametrize("content, expected", [
    ("district,safety_nite\n11,3\n", "p.csv:1: Spalte safety_nite: unbekannte Spalte."),
    ("district,safety_night\n11,3\n11,7\n",
     "p.csv:3: Spalte safety_night: Wert '7' liegt nicht auf der Skala (erlaubt: 1, 2, 3, 4, 9)."),
    ("district,safety_night\n,3\n", "p.csv:2: Spalte district: Stadtteil fehlt."),
    ("district,gender\n77,f\n", "p.csv:2: Spalte district: unbekannter Stadtteil '77'."),
    ("safety_night\n3\n", "p.csv:1: Es fehlen die Spalten district"),
    ("district,years_in_district\n11,zwölf\n",
     "p.csv:2: Spalte years_in_district: 'zwölf' ist keine ganze Zahl."),
    ("district,unsafe_places\n11," + "x" * 1001 + "\n",
     "p.csv:2: Spalte unsafe_places: Text ist 1001 Zeichen lang, erlaubt sind 1000."),
])
def test_bad_paper_import_is_refused_whole(app, runner, survey, tmp_path, content, expected):
    path = tmp_path / "p.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["responses", "import", "kassel-2026", str(path)])
    assert result.exit_code == 1
    assert f"{path}{expected[len('p.csv'):]}" in result.output, result.output
    with app.app_context():
        assert db.session.scalars(select(Response)).all() == []


def test_export_then_import_round_trip(app, runner, answered, tmp_path):
    out = tmp_path / "export.csv"
    runner.invoke(args=["responses", "export", "kassel-2026", "--sep", ";", str(out)])
    text = out.read_text(encoding="utf-8-sig").replace("'=HYPERLINK", "HYPERLINK").replace(
        "'@Bahnhof", "Bahnhof")
    out.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["responses", "import", "kassel-2026", str(out)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.answers["safety_night"] for r in stored] == [4, 9, 4, 9]


def test_staff_export_and_import_in_the_browser(app, client, answered):
    make_users(app)
    login(client, "staff@kassel.de")
    for file_format in ("csv", "xlsx", "sav"):
        response = client.get(f"/backoffice/surveys/kassel-2026/export?format={file_format}")
        assert response.status_code == 200 and response.headers[
            "Content-Disposition"].endswith(f"kassel-2026-antworten.{file_format}")
    assert client.get("/backoffice/surveys/kassel-2026/export?format=pdf").status_code == 400
    token = form_token(client, "/backoffice/surveys/kassel-2026")
    done = client.post("/backoffice/surveys/kassel-2026/import", data={
        "csrf_token": token, "responses": (io.BytesIO(PAPER.encode()), "papier.csv")},
        content_type="multipart/form-data")
    assert done.status_code == 302
    assert "2 Papierfragebögen importiert" in client.get(done.headers["Location"]).get_data(
        as_text=True)
    bad = client.post("/backoffice/surveys/kassel-2026/import", data={
        "csrf_token": token, "responses": (io.BytesIO(b"district\n99\n"), "x.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "x.csv:2: Spalte district" in bad.get_data(as_text=True)
    audit = client.get("/backoffice/m/kassel/audit").get_data(as_text=True)
    assert "responses_exported" in audit and "responses_imported" in audit
