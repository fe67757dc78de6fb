"""Invitation codes with letters, and the response monitoring per district."""
from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InvitationCode, Survey

from .resident import STANDARD_ANSWERS, Resident
from .staff import form_token, login, make_users


@pytest.fixture
def coded_survey(app, survey):
    with app.app_context():
        db.session.get(Survey, survey.id).access_mode = "codes"
        db.session.commit()
    return survey


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_codes_generate_writes_letters_and_mail_merge(app, runner, coded_survey, tmp_path):
    letters, merge = tmp_path / "briefe.pdf", tmp_path / "serienbrief.csv"
    result = runner.invoke(args=["codes", "generate", "kassel-2026", "--district", "11",
                                 "--count", "3", "--letters", str(letters), "--csv", str(merge)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(merge.read_text(encoding="utf-8"))))
    assert [row["district_code"] for row in rows] == ["11"] * 3
    assert all(row["url"] == f"http://127.0.0.1:5000/s/kassel-2026?code={row['code']}"
               for row in rows)
    text = pdf_text(letters)
    assert text.count("Zugangscode") >= 3 and rows[0]["code"] in text
    assert "Nord (Holland)" in text and "Datenschutz" in text
    pages = subprocess.run(["pdfinfo", str(letters)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+3$", pages, re.M)
    with app.app_context():
        stored = db.session.scalars(select(InvitationCode)).all()
    assert len(stored) == 3 and {c.district_id for c in stored} != {None}
    assert not {row["code"].replace("-", "") for row in rows} & {c.code_hash for c in stored}
    # a generated code opens the survey
    response = Resident(app.test_client()).start(code=rows[0]["code"])
    assert response.headers["Location"].endswith("/page/1")


@pytest.mark.parametrize("args, message", [
    (["--district", "99", "--count", "2", "--csv", "x.csv"], "Unbekannte Stadtteile: 99"),
    (["--district", "11", "--count", "2"], "Bitte --letters und/oder --csv angeben"),
])
def test_codes_generate_refuses_clearly(app, runner, coded_survey, tmp_path, args, message):
    result = runner.invoke(args=["codes", "generate", "kassel-2026", *args])
    assert result.exit_code == 1 and message in result.output
    with app.app_context():
        assert db.session.scalars(select(InvitationCode)).all() == []


def test_no_codes_for_an_open_link_survey(runner, survey, tmp_path):
    result = runner.invoke(args=["codes", "generate", "kassel-2026", "--district", "11",
                                 "--count", "2", "--csv", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "offen zugänglich" in result.output


def test_staff_download_codes_as_zip(app, client, coded_survey):
    make_users(app)
    login(client, "staff@kassel.de")
    token = form_token(client, "/backoffice/surveys/kassel-2026/codes")
    response = client.post("/backoffice/surveys/kassel-2026/codes", data={
        "csrf_token": token, "count_01": "2", "count_11": "1"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(bundle.namelist()) == ["kassel-2026-einladungen.pdf",
                                         "kassel-2026-serienbrief.csv"]
    merge = bundle.read("kassel-2026-serienbrief.csv").decode()
    assert merge.count("\n") == 4
    bad = client.post("/backoffice/surveys/kassel-2026/codes", data={
        "csrf_token": token, "count_01": "zwei"})
    assert bad.status_code == 422 and "keine ganze Zahl" in bad.get_data(as_text=True)


def test_monitoring_counts_invited_started_completed(app, client, runner, coded_survey, tmp_path):
    runner.invoke(args=["codes", "generate", "kassel-2026", "--district", "11", "--count", "4",
                        "--csv", str(tmp_path / "c.csv")])
    codes = [row["code"] for row in csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text()))]
    finished = Resident(app.test_client())
    finished.start(code=codes[0])
    number = 1
    while True:
        location = finished.post(number, STANDARD_ANSWERS.get(number, {})).headers["Location"]
        if location.endswith("/thanks"):
            break
        number = int(location.rsplit("/", 1)[1])
    Resident(app.test_client()).start(code=codes[1])  # started, not finished
    make_users(app)
    login(client, "police@kassel.de")
    page = client.get("/backoffice/surveys/kassel-2026").get_data(as_text=True)
    assert "Rücklauf nach Stadtteil" in page
    report = client.get("/backoffice/surveys/kassel-2026/monitoring.csv")
    rows = {row["district"]: row for row in csv.DictReader(io.StringIO(report.get_data(
        as_text=True)))}
    assert (rows["11"]["invited"], rows["11"]["started"], rows["11"]["completed"]) == (
        "4", "2", "1")
    assert rows["11"]["return_rate"] == "0.2500" and rows["11"]["median_minutes"] == "0"
    assert (rows["_city"]["invited"], rows["_city"]["completed"]) == ("4", "1")
    assert rows["01"]["return_rate"] == ""


def test_codes_generate_keeps_no_code_whose_letters_could_not_be_written(app, runner,
                                                                          coded_survey,
                                                                          tmp_path):
    letters = tmp_path / "briefe.pdf"
    result = runner.invoke(args=["codes", "generate", "kassel-2026", "--district", "11",
                                 "--count", "3", "--letters", str(letters),
                                 "--csv", str(tmp_path / "missing" / "serienbrief.csv")])
    assert result.exit_code == 1 and "kann nicht geschrieben werden" in result.output
    assert not letters.exists()  # no file holds codes that do not exist
    with app.app_context():
        assert db.session.scalars(select(InvitationCode)).all() == []
