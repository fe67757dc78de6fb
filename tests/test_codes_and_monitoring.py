"""Invitation codes with letters, and the response monitoring per district."""
from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BackgroundJob, InvitationCode, Survey

from .resident import STANDARD_ANSWERS, Resident
from .staff import form_token


@pytest.fixture
def coded_survey(app, survey):
    with app.app_context():
        db.session.get(Survey, survey.id).access_mode = "codes"
        db.session.commit()
    return survey


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.pdf
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


CODES = "/backoffice/surveys/kassel-2026/codes"


def codes_table(page: str) -> dict[str, str]:
    """District name -> codes that exist, from the codes page's table."""
    table = page[page.index('id="codes-table"'):page.index("</table>", page.index(
        'id="codes-table"'))]
    return dict(re.findall(r'<label for="count_[^"]+">([^<]+)</label></th>\s*'
                           r'<td class="number">([0-9]+)</td>', table))


def batch_rows(page: str) -> list[str]:
    if 'id="batches-table"' not in page:
        return []
    table = page[page.index('id="batches-table"'):]
    table = table[table.index("<tbody>"):table.index("</tbody>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


@pytest.mark.pdf
def test_staff_generate_codes_and_the_page_says_what_exists(app, client, coded_survey, logged_in):
    logged_in("staff")
    token = form_token(client, CODES)
    before = client.get(CODES).get_data(as_text=True)
    assert codes_table(before)["Mitte"] == "0" and batch_rows(before) == []
    assert "noch keine Codes erzeugt" in before

    response = client.post(CODES, data={"csrf_token": token, "count_01": "2", "count_11": "1"})
    # Redirected to the codes page, so that a reload makes no second batch.
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    file_url = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)[1]
    assert "3 Codes erzeugt. Die Briefe sind fertig; der Download beginnt von selbst." in page
    counts = codes_table(page)
    assert (counts["Mitte"], counts["Nord (Holland)"], counts["Wesertor"]) == ("2", "1", "0")
    [batch] = batch_rows(page)
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d 3 Mitte 2, Nord \(Holland\) 1 "
                        r"staff@kassel\.de", batch), batch
    assert "error-summary" not in page and 'value="2"' not in page  # nothing stale

    download = client.get(file_url)  # the page starts this download itself
    assert download.status_code == 200 and download.mimetype == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(download.data))
    assert sorted(bundle.namelist()) == ["kassel-2026-einladungen.pdf",
                                         "kassel-2026-serienbrief.csv"]
    assert bundle.read("kassel-2026-serienbrief.csv").decode().count("\n") == 4
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "http-equiv" not in again  # handed out once: a reload downloads nothing
    assert "heruntergeladen und danach gelöscht" in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InvitationCode)) == 3
        assert db.session.scalar(select(BackgroundJob.output)) is None  # codes not kept

    client.post(CODES, data={"csrf_token": token, "count_01": "4"})
    page = client.get(CODES).get_data(as_text=True)
    assert codes_table(page)["Mitte"] == "6"
    newest, oldest = batch_rows(page)
    assert " 4 Mitte 4 " in newest and oldest == batch


def test_generation_by_the_cli_is_listed_as_a_batch(app, client, runner, coded_survey, tmp_path,
                                                    logged_in):
    runner.invoke(args=["codes", "generate", "kassel-2026", "--district", "11", "--count", "5",
                        "--csv", str(tmp_path / "c.csv")])
    logged_in("staff")
    page = client.get(CODES).get_data(as_text=True)
    assert codes_table(page)["Nord (Holland)"] == "5"
    [batch] = batch_rows(page)
    assert batch.endswith(" 5 Nord (Holland) 5 Kommandozeile"), batch


@pytest.mark.pdf
@pytest.mark.parametrize("data, field, message", [
    ({"count_01": "zwei", "count_11": "3"}, "count_01", "„zwei“ ist keine ganze Zahl."),
    ({"count_01": "-1", "count_11": "3"}, "count_01", "„-1“ ist keine ganze Zahl."),
    ({"count_01": "", "count_11": "0"}, "counts", "Bitte für mindestens einen Stadtteil"),
    ({"count_01": "99999", "count_11": "99999"}, "counts",
     "Anzahl muss zwischen 1 und 100000 liegen."),
])
def test_invalid_counts_stay_visible_with_their_error(app, client, coded_survey, data, field,
                                                      message, logged_in):
    logged_in("staff")
    token = form_token(client, CODES)
    bad = client.post(CODES, data={"csrf_token": token, **data})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    beside = re.search(rf'<p class="error-message" id="e-{field}">(.*?)</p>', page, re.S)
    assert beside and message in beside[1]
    first = "count_01" if field == "counts" else field
    assert re.search(rf'<div class="error-summary" role="alert".*<a href="#{first}">', page,
                     re.S)  # the summary on top links to the field
    for name, value in data.items():  # every input is kept as typed
        assert re.search(rf'id="{name}" name="{name}" value="{re.escape(value)}"', page)
    if field != "counts":
        assert re.search(rf'id="{field}" name="{field}" value="[^"]*" '
                         rf'aria-describedby="e-{field}" aria-invalid="true"', page)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InvitationCode)) == 0
    fixed = client.post(CODES, data={"csrf_token": token, "count_11": "3"})
    page = client.get(fixed.headers["Location"]).get_data(as_text=True)
    assert "error-summary" not in page and "error-message" not in page
    assert codes_table(page)["Nord (Holland)"] == "3"


def test_a_bad_counts_csv_is_shown_at_its_field(app, client, coded_survey, logged_in):
    logged_in("staff")
    token = form_token(client, CODES)
    bad = client.post(CODES, data={"csrf_token": token, "counts_csv": (io.BytesIO(
        b"district_code,count\n01,zwei\n99,3\n"), "anzahlen.csv")},
        content_type="multipart/form-data")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    beside = page[page.index('id="e-counts_csv"'):]
    assert "anzahlen.csv:2: Spalte count: &#39;zwei&#39; ist keine ganze Zahl" in beside
    assert '<a href="#counts_csv">Anzahlen als CSV: anzahlen.csv:2:' in page
    unknown = client.post(CODES, data={"csrf_token": token, "counts_csv": (io.BytesIO(
        b"district_code,count\n99,3\n"), "anzahlen.csv")}, content_type="multipart/form-data")
    page = unknown.get_data(as_text=True)
    assert unknown.status_code == 422
    assert "Unbekannte Stadtteile: 99." in page[page.index('id="e-counts_csv"'):]


def test_a_large_batch_is_shown_while_it_is_made(app, client, coded_survey, logged_in):
    # Redis unreachable: the job waits in the database, so its state stays put.
    app.config.update(LETTERS_IN_REQUEST_MAX=3, REDIS_URL="redis://127.0.0.1:9/0")
    logged_in("staff")
    token = form_token(client, CODES)
    started = client.post(CODES, data={"csrf_token": token, "count_01": "4"})
    assert "/jobs/" in started.headers["Location"]  # the job's status page, as before
    page = client.get(CODES).get_data(as_text=True)
    assert "Die Briefe für 4 Codes werden im Hintergrund erstellt (wartet)" in page
    assert started.headers["Location"] in page
    assert codes_table(page)["Mitte"] == "0" and batch_rows(page) == []
    assert "http-equiv" not in page


def test_monitoring_counts_invited_started_completed(app, client, runner, coded_survey, tmp_path,
                                                     logged_in):
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
    logged_in("police")
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


@pytest.mark.pdf
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
