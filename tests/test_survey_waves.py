"""Survey waves: create from a questionnaire file (frozen), open, close, preview."""
from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import AuditEvent, Survey

from .resident import csrf_token
from .staff import form_token

STANDARD = Path(__file__).resolve().parent.parent / "questionnaires" / "sicherheit-standard.yaml"


def status_of(app, slug: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Survey.status).where(Survey.slug == slug))


def test_create_open_and_close_with_the_cli(app, runner, survey, tmp_path):
    copy = tmp_path / "fragebogen.yaml"
    copy.write_text(STANDARD.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(args=["surveys", "create", "kassel", "kassel-2027", "--questionnaire",
                                 str(copy), "--access", "codes"])
    assert result.exit_code == 0, result.output
    copy.write_text("verändert", encoding="utf-8")  # the survey keeps its own copy
    assert status_of(app, "kassel-2027") == "draft"
    opened = runner.invoke(args=["surveys", "open", "kassel-2027"])
    assert opened.exit_code == 0
    assert opened.output == "Befragung 'kassel-2027' ist jetzt geöffnet.\n"
    assert status_of(app, "kassel-2027") == "open"
    closed = runner.invoke(args=["surveys", "close", "kassel-2027"])
    assert closed.output == "Befragung 'kassel-2027' ist jetzt geschlossen.\n"
    assert status_of(app, "kassel-2027") == "closed"
    again = runner.invoke(args=["surveys", "close", "kassel-2027"])
    assert again.exit_code == 1 and "ist bereits geschlossen" in again.output
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "kassel-2027"))
        assert "safety_night" in survey.questionnaire_yaml and survey.access_mode == "codes"
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["survey_created", "survey_open", "survey_closed"]


@pytest.mark.parametrize("args, message", [
    (["surveys", "create", "nirgendwo", "x-2027", "--questionnaire", str(STANDARD)],
     "Unbekannte Kommune 'nirgendwo'"),
    (["surveys", "create", "kassel", "kassel-2026", "--questionnaire", str(STANDARD)],
     "Eine Befragung 'kassel-2026' gibt es bereits."),
    (["surveys", "create", "kassel", "Kassel 2027", "--questionnaire", str(STANDARD)],
     "ist ungültig"),
    (["surveys", "close", "gibts-nicht"], "Unbekannte Befragung 'gibts-nicht'"),
    (["surveys", "open", "kassel-2026"], "Die Befragung 'kassel-2026' ist bereits geöffnet."),
])
def test_survey_commands_refuse_clearly(runner, survey, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_a_bad_questionnaire_file_is_listed_line_by_line(runner, survey, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(STANDARD.read_text(encoding="utf-8").replace("type: district",
                                                                "type: stadtteil"))
    result = runner.invoke(args=["surveys", "create", "kassel", "kassel-2027",
                                 "--questionnaire", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "unknown question type 'stadtteil'" in result.output


def test_staff_create_preview_and_open_in_the_browser(app, client, survey, logged_in):
    logged_in("staff")
    token = form_token(client, "/backoffice/surveys/new/kassel")
    bad = client.post("/backoffice/surveys/new/kassel", data={
        "csrf_token": token, "slug": "kassel-2027", "access": "codes",
        "questionnaire_upload": (io.BytesIO(b"id: x\npages: []\n"), "eigener.yaml")},
        content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "eigener.yaml:2: &#39;pages&#39; must be a non-empty list" in bad.get_data(
        as_text=True)
    created = client.post("/backoffice/surveys/new/kassel", data={
        "csrf_token": token, "slug": "kassel-2027", "access": "codes",
        "questionnaire": "sicherheit-standard.yaml"})
    assert created.headers["Location"] == "/backoffice/surveys/kassel-2027"
    preview = client.get("/backoffice/surveys/kassel-2027/preview/7").get_data(as_text=True)
    assert "Vorschau" in preview and "reported_burglary" in preview  # conditional items shown
    assert client.get("/s/kassel-2027").status_code == 404  # a draft is not public
    client.post("/backoffice/surveys/kassel-2027/status", data={"csrf_token": token,
                                                                 "status": "open"})
    assert status_of(app, "kassel-2027") == "open"
    assert client.get("/s/kassel-2027").status_code == 200


def test_opening_and_closing_dates(app, runner, client, survey, logged_in):
    from datetime import date, timedelta

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    result = runner.invoke(args=["surveys", "create", "kassel", "kassel-2027", "--questionnaire",
                                 str(STANDARD), "--opens", tomorrow])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["surveys", "open", "kassel-2027"])
    response = client.get("/s/kassel-2027")
    assert response.status_code == 403 and "Diese Befragung beginnt am" in response.get_data(
        as_text=True)
    bad = runner.invoke(args=["surveys", "create", "kassel", "kassel-2028", "--questionnaire",
                              str(STANDARD), "--opens", "2027-05-01", "--closes", "2027-04-01"])
    assert bad.exit_code == 1 and "Enddatum liegt vor dem Startdatum" in bad.output
    logged_in("staff")
    token = form_token(client, "/backoffice/surveys/kassel-2027")
    client.post("/backoffice/surveys/kassel-2027/dates", data={
        "csrf_token": token, "opens_on": "", "closes_on": date.today().isoformat()})
    assert client.get("/s/kassel-2027").status_code == 200
    wrong = client.post("/backoffice/surveys/kassel-2027/dates", data={
        "csrf_token": token, "opens_on": "morgen"}, follow_redirects=True)
    assert "kein Datum (JJJJ-MM-TT)" in wrong.get_data(as_text=True)


def test_min_n_is_set_per_municipality(app, runner, client, survey, logged_in):
    from app.models import Municipality

    assert runner.invoke(args=["municipalities", "create", "giessen", "Stadt Gießen", "--min-n",
                               "50"]).exit_code == 0
    too_small = runner.invoke(args=["municipalities", "create", "hanau", "Stadt Hanau",
                                    "--min-n", "3"])
    assert too_small.exit_code == 1 and "zwischen 10 und 1000" in too_small.output
    with app.app_context():
        assert db.session.scalar(select(Municipality.min_n).where(
            Municipality.slug == "giessen")) == 50
        assert db.session.scalar(select(Municipality).where(Municipality.slug == "hanau")) is None
    logged_in("staff")
    token = form_token(client, "/backoffice/m/kassel")
    client.post("/backoffice/m/kassel/settings", data={"csrf_token": token, "min_n": "40"})
    with app.app_context():
        assert db.session.scalar(select(Municipality.min_n).where(
            Municipality.slug == "kassel")) == 40
    assert "Mindestfallzahl: Zahlen auf weniger" in client.get("/backoffice/m/kassel").get_data(
        as_text=True)


DEEP = "[" * 10_000 + "]" * 10_000


# Questionnaires too big, with a YAML anchor, nested too deep: (change, message as printed).
BAD_FILES = [
    (lambda text: text + "# " + "x" * 1_000_000 + "\n", ":0: file is larger than 1 MB"),
    (lambda text: text.replace("scales:\n  safety:", "scales:\n  safety: &safety", 1),
     ":22: YAML-Anker '&safety' ist nicht erlaubt"),
    (lambda text: text.replace("pages:\n", f"x: {DEEP}\npages:\n", 1),
     ":75: Die Datei ist zu tief verschachtelt"),
]


@pytest.mark.parametrize("change, expected", BAD_FILES)
def test_uploaded_questionnaire_is_checked_like_a_file(app, client, survey, change, expected,
                                                       logged_in):
    text = change(STANDARD.read_text(encoding="utf-8"))
    logged_in("staff")
    token = form_token(client, "/backoffice/surveys/new/kassel")
    # Encoded here: the test client would spool a big body to a file it never closes.
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": token, "slug": "kassel-2027", "access": "open",
        "questionnaire_upload": FileStorage(io.BytesIO(text.encode("utf-8")), "eigener.yaml")}))
    response = client.post("/backoffice/surveys/new/kassel", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert "eigener.yaml" + str(escape(expected)) in response.get_data(as_text=True)
    assert status_of(app, "kassel-2027") is None


@pytest.mark.parametrize("change, expected", BAD_FILES)
def test_surveys_create_refuses_big_aliased_or_deep_files(app, runner, survey, tmp_path, change,
                                                          expected):
    path = tmp_path / "eigener.yaml"
    path.write_text(change(STANDARD.read_text(encoding="utf-8")), encoding="utf-8")
    result = runner.invoke(args=["surveys", "create", "kassel", "kassel-2027",
                                 "--questionnaire", str(path)])
    assert result.exit_code == 1 and f"{path}{expected}" in result.output, result.output
    assert "Traceback" not in result.output
    assert status_of(app, "kassel-2027") is None


def visible_text(page: str) -> str:
    """What a reader sees: no tags, no attributes, no hidden form values."""
    page = re.sub(r"<(script|style|head)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def beside(page: str, field: str) -> str:
    """The error message standing at a field ('' if there is none)."""
    found = re.search(rf'<(p|div) class="error-message" id="e-{field}">(.*?)</\1>', page,
                      re.S)
    return visible_text(found[2]).strip() if found else ""


def test_status_words_are_german_and_a_future_start_says_planned(app, runner, client, survey,
                                                                 logged_in):
    start = date.today() + timedelta(days=3)
    runner.invoke(args=["surveys", "create", "kassel", "kassel-2027", "--questionnaire",
                        str(STANDARD), "--opens", start.isoformat()])
    runner.invoke(args=["surveys", "create", "kassel", "kassel-2028", "--questionnaire",
                        str(STANDARD), "--closes", (date.today() - timedelta(days=1))
                        .isoformat()])
    planned = f"geplant ab {start.strftime('%d.%m.%Y')}"
    opened = runner.invoke(args=["surveys", "open", "kassel-2027"])
    assert opened.output == f"Befragung 'kassel-2027' ist jetzt {planned}.\n"
    runner.invoke(args=["surveys", "open", "kassel-2028"])
    logged_in("staff")
    home = visible_text(client.get("/backoffice/").get_data(as_text=True))
    assert f"(kassel-2027, {planned})" in home and "(kassel-2026, geöffnet)" in home
    assert "(kassel-2028, geöffnet, Befragungszeitraum endete am" in home
    detail = client.get("/backoffice/surveys/kassel-2027").get_data(as_text=True)
    assert f'<dd id="survey-status">{planned}</dd>' in detail
    token = form_token(client, "/backoffice/surveys/kassel-2027")
    client.post("/backoffice/surveys/kassel-2027/status", data={
        "csrf_token": token, "status": "closed", "confirm": "yes"})
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/backoffice/", "/backoffice/m/kassel", "/backoffice/surveys/kassel-2026",
        "/backoffice/surveys/kassel-2027", "/backoffice/m/kassel/audit")]
    assert "geschlossen" in visible_text(pages[0])
    for page in pages:
        assert not re.search(r"\b(draft|open|closed)\b", visible_text(page)), page
    refused = client.post("/backoffice/surveys/kassel-2026/status", data={
        "csrf_token": token, "status": "open"}, follow_redirects=True)
    assert "Die Befragung &#39;kassel-2026&#39; ist bereits geöffnet." in refused.get_data(
        as_text=True)


def test_closing_a_survey_asks_for_confirmation(app, client, survey, logged_in):
    logged_in("staff")
    page = client.get("/backoffice/surveys/kassel-2026").get_data(as_text=True)
    token = csrf_token(page)
    assert ">Schließen …</button>" in page
    asked = client.post("/backoffice/surveys/kassel-2026/status", data={
        "csrf_token": token, "status": "closed"})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "„Sicherheit in Kassel 2026“ schließen?" in text
    assert "keine Antworten mehr an" in text and "wieder öffnen" in text
    assert re.search(r'name="confirm" value="yes">\s*<button class="button" type="submit">Ja, '
                     r'Befragung schließen</button>', text)
    assert status_of(app, "kassel-2026") == "open"  # nothing happened yet
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "survey_closed")) is None
    done = client.post("/backoffice/surveys/kassel-2026/status", data={
        "csrf_token": token, "status": "closed", "confirm": "yes"}, follow_redirects=True)
    assert status_of(app, "kassel-2026") == "closed"
    assert "Die Befragung ist jetzt geschlossen." in done.get_data(as_text=True)
    client.post("/backoffice/surveys/kassel-2026/status", data={"csrf_token": token,
                                                                 "status": "open"})
    assert status_of(app, "kassel-2026") == "open"  # opening again needs no confirmation


@pytest.mark.parametrize("data, field, message", [
    ({"opens_on": "morgen", "closes_on": ""}, "opens_on", "„morgen“ ist kein Datum (JJJJ-MM-TT)."),
    ({"opens_on": "2027-05-01", "closes_on": "2027-04-01"}, "closes_on",
     "Der letzte Befragungstag (01.04.2027) liegt vor dem ersten (01.05.2027)."),
])
def test_bad_dates_stand_beside_their_field(app, client, survey, data, field, message, logged_in):
    logged_in("staff")
    token = form_token(client, "/backoffice/surveys/kassel-2026")
    response = client.post("/backoffice/surveys/kassel-2026/dates",
                           data={"csrf_token": token, **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and beside(page, field) == f"Fehler: {message}"
    assert f'<a href="#{field}">' in page and "<details open>" in page
    for name, value in data.items():
        assert f'id="{name}" name="{name}" type="date" value="{value}"' in page
    with app.app_context():
        stored = db.session.scalar(select(Survey).where(Survey.slug == "kassel-2026"))
        assert (stored.opens_on, stored.closes_on) == (None, None)


def test_new_survey_problems_stand_beside_their_fields(app, client, survey, logged_in):
    logged_in("staff")
    token = form_token(client, "/backoffice/surveys/new/kassel")
    response = client.post("/backoffice/surveys/new/kassel", data={
        "csrf_token": token, "slug": "Kassel 2027", "title": "Welle <2027>", "access": "codes",
        "opens_on": "2027-05-01", "closes_on": "2027-04-01",
        "questionnaire_upload": (io.BytesIO(b"id: x\npages: []\n"), "eigener.yaml")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "'Kassel 2027' ist ungültig" in beside(page, "slug")
    assert "eigener.yaml:2: 'pages' must be a non-empty list" in beside(page,
                                                                         "questionnaire_upload")
    assert "liegt vor dem ersten" in beside(page, "closes_on")
    assert beside(page, "title") == "" and beside(page, "opens_on") == ""
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index(
        'class="error-summary"'))]
    assert [link for link in re.findall(r'href="#([^"]+)"', summary)] == [
        "slug", "closes_on", "questionnaire_upload"]
    assert 'value="Kassel 2027"' in page and 'value="Welle &lt;2027&gt;"' in page
    assert 'id="access-codes" name="access" value="codes" checked' in page
    taken = client.post("/backoffice/surveys/new/kassel", data={
        "csrf_token": token, "slug": "kassel-2026", "questionnaire": "sicherheit-standard.yaml"})
    assert taken.status_code == 422
    assert "Eine Befragung 'kassel-2026' gibt es bereits" in beside(
        taken.get_data(as_text=True), "slug")
    assert status_of(app, "kassel-2027") is None
