"""Responses out (CSV, Excel, SPSS) and paper questionnaires in."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, District, Response, Survey

from .staff import form_token


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
    assert rows[1][header.index("unsafe_places")] == "=HYPERLINK(\"http://evil\")"  # as text
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
         "unsafe_places\n"
         "11;2;3;f;1;2;Bahnhof\n"
         "01;;4;;;;\n")


def test_paper_import_all_rows(app, runner, survey, tmp_path):
    path = tmp_path / "papier.csv"
    path.write_text(PAPER, encoding="utf-8")
    result = runner.invoke(args=["responses", "import", "kassel-2026", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 Papierfragebögen importiert." in result.output
    with app.app_context():
        stored = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.source for r in stored] == ["paper", "paper"]
    assert stored[0].answers == {"district": "11", "safety_day": 2, "safety_night": 3,
                                 "gender": "f", "victim_assault": 1, "reported_assault": 2,
                                 "unsafe_places": "Bahnhof"}
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


# --- formulas in spreadsheets --------------------------------------------------------

# Texts a resident may write that a spreadsheet could run as a formula, at the start or
# after a separator or line break, and texts that only look like what the export adds.
TEXTS = [
    "=1+1", "-", "+49 561 12345", "@Bahnhof", "'quoted", "''", "'", "-'-",
    "Bahnhof;=2*21", "Bahnhof,=2*21", "Bahnhof\t=2*21", "Bahnhof; =2*21",
    'Bahnhof;"=2*21"', "Bahnhof;'=2*21", "Zeile 1\n=2*21", "Zeile 1\n\n-Zeile 3",
    "Zeile 1\r\n@Zeile 2", "Zeile 1\r=2*21", "a,\t=1", "Park,'Ecke'", "Park, 'Ecke'",
    "=HYPERLINK(\"http://evil.example\";\"Klick\")", "Ampel 🚦, Bahnhof", "Fußgängertunnel",
]
ONLINE_TEXTS = [text for text in TEXTS if "\r" not in text]  # online answers keep LF only


def formula_fields(text: str) -> list[str]:
    """Fields a spreadsheet would run as a formula, for every plausible way of opening
    the file: lines split at CR/LF, fields at ',', ';' or tab, quotes and blanks dropped."""
    found = []
    for line in re.split(r"\r\n|\r|\n", text):
        for sep in (",", ";", "\t"):
            found += [field for field in line.split(sep)
                      if field.lstrip(' "\t').startswith(("=", "+", "-", "@"))]
    return found


@pytest.mark.parametrize("sep", [",", ";"])
@pytest.mark.parametrize("text", TEXTS)
def test_csv_export_has_no_formula_however_it_is_opened(text, sep):
    from app.backoffice.responses_io import to_csv

    data = to_csv(["district", "unsafe_places"], [["01", text]], sep).decode("utf-8-sig")
    assert formula_fields(data) == []
    cell = read_csv(data.encode(), sep)[0]["unsafe_places"]
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("text", TEXTS)
def test_import_takes_off_exactly_what_the_export_added(text):
    from app.backoffice.tabular import neutralise, restore

    assert restore(neutralise(text)) == text


def test_import_keeps_apostrophes_the_export_did_not_add():
    from app.backoffice.tabular import restore

    assert restore("Park,'Ecke'") == "Park,'Ecke'"
    assert restore("'Sankt' Georg") == "'Sankt' Georg"
    assert restore("'=1+1") == "=1+1"  # Excel's own "as text" mark


def stored_texts(app, source: str) -> list:
    with app.app_context():
        return [answers.get("unsafe_places") for answers in db.session.scalars(
            select(Response.answers).where(Response.source == source).order_by(Response.id))]


@pytest.mark.parametrize("sep", [",", ";"])
def test_export_then_import_gives_back_every_text(app, runner, survey, tmp_path, sep):
    for number, text in enumerate(ONLINE_TEXTS):
        add_response(app, {"district": "01", "gender": "f", "safety_night": 1 + number % 4,
                           "years_in_district": number, "unsafe_places": text})
    out = tmp_path / "export.csv"
    runner.invoke(args=["responses", "export", "kassel-2026", "--sep", sep, str(out)])
    assert formula_fields(out.read_text(encoding="utf-8-sig")) == []
    result = runner.invoke(args=["responses", "import", "kassel-2026", str(out)])
    assert result.exit_code == 0, result.output
    assert stored_texts(app, "paper") == stored_texts(app, "online") == ONLINE_TEXTS
    with app.app_context():
        answers = db.session.scalars(select(Response.answers).order_by(Response.id)).all()
    half = len(answers) // 2
    assert answers[half:] == answers[:half]


def test_xlsx_keeps_every_text_exactly_as_a_text_cell(app, runner, survey, tmp_path):
    from openpyxl import load_workbook

    for text in ONLINE_TEXTS:  # (XML reads CR LF as LF)
        add_response(app, {"district": "01", "unsafe_places": text})
    out = tmp_path / "antworten.xlsx"
    assert runner.invoke(args=["responses", "export", "kassel-2026", "--format", "xlsx",
                               str(out)]).exit_code == 0
    sheet = load_workbook(out)["Antworten"]
    column = [cell.value for cell in sheet[1]].index("unsafe_places")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ONLINE_TEXTS
    assert {cell.data_type for cell in cells} == {"s"}  # never a formula cell
    assert [cell.value for cell in cells if cell.quotePrefix] == [
        text for text in ONLINE_TEXTS if text.startswith(("=", "+", "-", "@"))]


@pytest.fixture
def formula_district(app, survey):
    """District 11 renamed to a text that becomes a formula when split at ';'."""
    with app.app_context():
        district = db.session.scalar(select(District).where(District.code == "11"))
        district.name = "Nord;=2*21"
        db.session.get(Survey, survey.id).access_mode = "codes"
        db.session.commit()
    return survey


def test_monitoring_csv_has_no_formula_however_it_is_opened(app, client, formula_district,
                                                            logged_in):
    logged_in("staff")
    data = client.get("/backoffice/surveys/kassel-2026/monitoring.csv").get_data(as_text=True)
    assert "Nord;'=2*21" in data and formula_fields(data) == []


def test_mail_merge_csv_has_no_formula_however_it_is_opened(runner, formula_district, tmp_path):
    merge = tmp_path / "serienbrief.csv"
    result = runner.invoke(args=["codes", "generate", "kassel-2026", "--district", "11",
                                 "--count", "2", "--csv", str(merge)])
    assert result.exit_code == 0, result.output
    data = merge.read_text(encoding="utf-8")
    assert [row["district_name"] for row in read_csv(data.encode())] == ["Nord;'=2*21"] * 2
    assert formula_fields(data) == []


def test_staff_export_and_import_in_the_browser(app, client, answered, logged_in):
    logged_in("staff")
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


# --- corner cases of keyed-in files ----------------------------------------------------

def import_file(runner, tmp_path, content: bytes | str, slug: str = "kassel-2026",
                name: str = "p.csv"):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)  # bytes: CR LF stays as written
    return path, runner.invoke(args=["responses", "import", slug, str(path)])


def stored_answers(app, slug: str = "kassel-2026") -> list[dict]:
    with app.app_context():
        return db.session.scalars(select(Response.answers).join(Survey).where(
            Survey.slug == slug).order_by(Response.id)).all()


@pytest.mark.parametrize("content, expected", [
    # a quote never closed would swallow the rows after it into one text
    ('district,unsafe_places\n11,"Bahnhof\n01,Park\n',
     'p.csv:2: Ein Anführungszeichen (") in dieser Zeile wird nie geschlossen'),
    ('district,unsafe_places\n11,"Bahnhof\n01,"Park"\n',
     "p.csv:2: Nach einem schließenden Anführungszeichen folgt kein ',' (Zeile 2 bis 3)"),
    # a row over several lines is named by its first line
    ('district,unsafe_places,safety_night\n11,"Zeile 1\nZeile 2",7\n',
     "p.csv:2: Spalte safety_night: Wert '7' liegt nicht auf der Skala"),
    ('district,unsafe_places\n11,"a\nb"\n01,"c\nd",x\n', "p.csv:4: 3 Werte statt 2"),
    # an answer to a question the other answers skip is an error, with line and column
    ("district;victim_assault;victim_robbery;reported_robbery\n11;1;2;1\n",
     "p.csv:2: Spalte reported_robbery: '1' beantwortet eine Frage, die nach den übrigen "
     "Antworten dieser Zeile nicht gestellt wird (Bedingung der Frage 'reported_robbery'); "
     "bitte die Zelle leeren oder die Antwort in victim_robbery prüfen."),
    ("district;reported_assault\n11;2\n",
     "p.csv:2: Spalte reported_assault: '2' beantwortet eine Frage, die nach den übrigen "
     "Antworten dieser Zeile nicht gestellt wird (Bedingung der Seite 'reporting')"),
    # whole numbers as people write them, not as Python reads them
    ("district,years_in_district\n11,1_0\n",
     "p.csv:2: Spalte years_in_district: '1_0' ist keine ganze Zahl."),
    ("district,years_in_district\n11,+5\n",
     "p.csv:2: Spalte years_in_district: '+5' ist keine ganze Zahl."),
    ("district,years_in_district\n11,\u0663\n",
     "p.csv:2: Spalte years_in_district: '\u0663' ist keine ganze Zahl."),
])
def test_keyed_in_corner_cases_are_refused_with_line_and_column(app, runner, survey, tmp_path,
                                                                 content, expected):
    path, result = import_file(runner, tmp_path, content)
    assert result.exit_code == 1
    assert f"{path}{expected[len('p.csv'):]}" in result.output, result.output
    assert stored_answers(app) == []


def test_a_cause_and_its_consequence_are_one_problem(runner, survey, tmp_path):
    """A wrong filter answer is reported; the answers it would hide are not, again."""
    _path, result = import_file(runner, tmp_path,
                                "district;victim_robbery;reported_robbery\n11;7;1\n")
    assert "Spalte victim_robbery: Wert '7'" in result.output
    assert "reported_robbery" not in result.output


def test_crlf_in_a_cell_is_stored_and_counted_as_online(app, runner, survey, tmp_path):
    text = "a" * 500 + "\r\n" + "b" * 499  # 1001 characters as typed, 1000 as stored
    _path, result = import_file(runner, tmp_path, f'district,unsafe_places\r\n11,"{text}"\r\n')
    assert result.exit_code == 0, result.output
    assert stored_answers(app) == [{"district": "11",
                                    "unsafe_places": "a" * 500 + "\n" + "b" * 499}]


def test_control_characters_are_dropped_online_and_on_import(app, client, runner, survey,
                                                             tmp_path):
    from .resident import STANDARD_ANSWERS, Resident

    # PostgreSQL's JSON cannot even hold "\x00"; Excel files cannot hold "\x0b".
    Resident(client).answer_all({**STANDARD_ANSWERS,
                                 8: {"unsafe_places": "Bahn\x00hof\x0b\r\nnachts"}})
    assert stored_answers(app)[0]["unsafe_places"] == "Bahnhof\nnachts"
    _path, result = import_file(runner, tmp_path, 'district,unsafe_places\n11,"Bahn\x0bhof"\n')
    assert result.exit_code == 0, result.output
    assert stored_answers(app)[-1]["unsafe_places"] == "Bahnhof"


@pytest.mark.parametrize("typed", ["1_0", "+5", "\u0663", "0x1"])
def test_python_only_integer_spellings_are_refused_online(client, survey, typed):
    from .resident import Resident

    resident = Resident(client)
    resident.start()
    response = resident.post(1, {"district": "11", "years_in_district": typed})
    assert response.status_code == 422
    assert "Bitte geben Sie eine ganze Zahl ein" in response.get_data(as_text=True)


def test_multiple_choice_columns_as_online(app, runner, survey, tmp_path):
    """A shown multiple-choice question stores 0 for options not ticked, as online; an
    option whose column the file lacks stays unanswered; a hidden one stays empty."""
    from .every_type import two_waves

    two_waves(app)
    content = ("district;transport_foot;transport_bike;trust_police;seen_police\n"
               "01;1;;3;\n"        # seen_* hidden: transport_bike is 0
               "11;;1;1;\n"        # page 'more' hidden: trust_police is 1
               "01;;1;9;1\n")
    _path, result = import_file(runner, tmp_path, content, "welle-a")
    assert result.exit_code == 0, result.output
    assert stored_answers(app, "welle-a") == [
        {"district": "01", "transport_foot": 1, "transport_bike": 0, "trust_police": 3},
        {"district": "11", "transport_foot": 0, "transport_bike": 1, "trust_police": 1},
        {"district": "01", "transport_foot": 0, "transport_bike": 1, "trust_police": 9,
         "seen_police": 1},  # seen_nobody: no column, so not answered
    ]


def test_a_keyed_in_excel_sheet_is_imported(app, runner, survey, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["district", "safety_night", "years_in_district", "unsafe_places", None])
    sheet.append(["11", 3, 12.0, "Bahnhof\r\nnachts", None])
    sheet.append(["01", "=1+1", None, None, None])  # a formula, not a value
    buffer = io.BytesIO()
    workbook.save(buffer)
    path, result = import_file(runner, tmp_path, buffer.getvalue(), name="p.xlsx")
    assert result.exit_code == 1
    assert f"{path}:3: Spalte safety_night: Zelle enthält eine Formel" in result.output
    sheet["B3"], sheet["A3"] = 4, 1  # "01" typed as a number is not a district
    buffer = io.BytesIO()
    workbook.save(buffer)
    path, result = import_file(runner, tmp_path, buffer.getvalue(), name="p.xlsx")
    assert f"{path}:3: Spalte district: unbekannter Stadtteil '1'." in result.output
    sheet.delete_rows(3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    _path, result = import_file(runner, tmp_path, buffer.getvalue(), name="p.xlsx")
    assert result.exit_code == 0, result.output
    assert stored_answers(app) == [{"district": "11", "safety_night": 3,
                                    "years_in_district": 12,
                                    "unsafe_places": "Bahnhof\nnachts"}]


def test_a_file_that_is_not_a_workbook_is_refused(runner, survey, tmp_path):
    path, result = import_file(runner, tmp_path, b"PK\x03\x04broken", name="p.xlsx")
    assert result.exit_code == 1
    assert f"{path}:1: Die Datei ist keine lesbare Excel-Datei (.xlsx)." in result.output
    assert "Traceback" not in result.output
