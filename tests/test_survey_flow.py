"""A resident answers the standard questionnaire; what is stored, and what is refused."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, inspect, select

from app.extensions import db
from app.models import Response, ResponseDraft

from .resident import STANDARD_ANSWERS, Resident, csrf_token, is_checked, start_form


def stored_responses(app) -> list[Response]:
    with app.app_context():
        return list(db.session.scalars(select(Response)))


def draft_answers(app) -> dict:
    with app.app_context():
        return db.session.scalar(select(ResponseDraft)).answers


def test_a_full_response_is_stored_with_codes_and_date_only(app, client, survey):
    response = Resident(client).answer_all()
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/s/kassel-2026/thanks")
    thanks = client.get(response.headers["Location"])
    assert "Vielen Dank!" in thanks.get_data(as_text=True)
    [stored] = stored_responses(app)
    assert stored.source == "online"
    assert stored.answers["district"] == "11"
    assert stored.answers["safety_night"] == 3 and stored.answers["worry_online_fraud"] == 4
    assert stored.answers["years_in_district"] == 7
    assert stored.answers["reported_assault"] == 2  # conditional item that was shown
    assert "reported_burglary" not in stored.answers  # hidden: never asked
    assert stored.answers["unsafe_places"] == "Nordstadtpark nach 22 Uhr"
    with app.app_context():
        assert stored.district_id is not None
        assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
        columns = {column["name"] for column in inspect(db.engine).get_columns("response")}
    assert columns == {"id", "survey_id", "district_id", "answers", "source", "completed_on",
                       "duration_minutes"}  # no IP, agent, timestamp or key


def test_reporting_page_is_skipped_without_victimisation(app, client, survey):
    answers = dict(STANDARD_ANSWERS)
    answers[6] = {code: "2" for code in STANDARD_ANSWERS[6]}
    resident = Resident(client)
    response = resident.answer_all(answers, stop_before=8)
    assert response.headers["Location"].endswith("/page/8")
    assert resident.page(7).status_code == 403  # hidden page cannot be opened


def test_progress_and_accessible_markup(client, survey):
    resident = Resident(client)
    resident.start()
    html = resident.page(2).status_code, None
    resident.post(1, STANDARD_ANSWERS[1])
    html = resident.page(2).get_data(as_text=True)
    assert "Seite 2 von 10" in html  # the reporting page counts until page 6 rules it out
    assert '<legend>Wie sicher fühlen Sie sich tagsüber' in html
    assert 'for="f-safety_day-1"' in html and 'id="f-safety_day-1"' in html
    assert "keine Angabe" in html


def progress_counts(resident: Resident, victim: str) -> list[tuple[int, str]]:
    """(page number, 'Seite X von Y') on every page shown, answering the standard
    questionnaire with ``victim`` ('1' ja, '2' nein) for every victimisation item."""
    answers = dict(STANDARD_ANSWERS)
    answers[6] = {code: victim for code in STANDARD_ANSWERS[6]}
    shown = []
    response = resident.start()
    while "/page/" in response.headers.get("Location", ""):
        number = int(response.headers["Location"].rsplit("/", 1)[1])
        html = resident.page(number).get_data(as_text=True)
        shown.append((number, re.search(r"Seite \d+ von \d+", html).group(0)))
        response = resident.post(number, answers.get(number, {}))
    return shown


@pytest.mark.parametrize("victim, expected", [
    # 'ja': the reporting page (7) appears; the total was counting it all along.
    ("1", [(n, f"Seite {n} von 10") for n in range(1, 11)]),
    # 'nein': after page 6 the reporting page is ruled out and the total shrinks by it.
    ("2", [(n, f"Seite {n} von 10") for n in range(1, 7)]
     + [(n, f"Seite {n - 1} von 9") for n in range(8, 11)]),
])
def test_the_progress_count_never_grows(client, survey, victim, expected):
    shown = progress_counts(Resident(client), victim)
    assert shown == expected
    totals = [int(text.rsplit(" ", 1)[1]) for _number, text in shown]
    positions = [int(text.split()[1]) for _number, text in shown]
    assert totals == sorted(totals, reverse=True)  # never grows
    assert positions == list(range(1, len(shown) + 1))  # one step at a time


def test_going_back_shows_a_page_with_the_count_it_had(client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=8)
    resident.post(7, {}, action="back")
    assert "Seite 6 von 10" in resident.page(6).get_data(as_text=True)
    resident.post(6, {code: "2" for code in STANDARD_ANSWERS[6]})  # now 'nein' throughout
    assert "Seite 7 von 9" in resident.page(8).get_data(as_text=True)


def test_missing_required_answer_is_explained_beside_the_field(app, client, survey):
    resident = Resident(client)
    resident.start()
    response = resident.post(1, {"years_in_district": "3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in html and 'href="#f-district"' in html
    assert 'id="e-district"' in html and "Bitte beantworten Sie diese Frage." in html
    assert 'value="3"' in html  # what was typed is kept
    assert resident.page(2).status_code == 403


@pytest.mark.parametrize("answers, status, message", [
    ({"district": "11", "years_in_district": "200"}, 422, "Bitte geben Sie eine Zahl von 0 bis 100 ein."),
    ({"district": "11", "years_in_district": "zwei"}, 422, "Bitte geben Sie eine ganze Zahl ein"),
    ({"district": "99"}, 422, "keine der angebotenen Möglichkeiten"),
    ({"district": "11", "is_admin": "1"}, 400, "unbekanntes Feld „is_admin“"),
    ({"district": ["11", "01"]}, 422, "keine der angebotenen Möglichkeiten"),
])
def test_tampered_first_page_is_refused_and_changes_nothing(app, client, survey, answers, status,
                                                            message):
    resident = Resident(client)
    resident.start()
    response = resident.post(1, answers)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert draft_answers(app) == {}


def test_value_outside_the_scale_is_refused(app, client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=2)
    response = resident.post(2, {"safety_day": "2", "safety_night": "7"})
    assert response.status_code == 422
    assert "keine der angebotenen Möglichkeiten" in response.get_data(as_text=True)
    assert "safety_day" not in draft_answers(app)


def test_oversized_free_text_is_refused(app, client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=8)
    response = resident.post(8, {"unsafe_places": "x" * 1001})
    assert response.status_code == 422
    assert "1001 Zeichen lang; erlaubt sind höchstens 1000" in response.get_data(as_text=True)
    assert "unsafe_places" not in draft_answers(app)


def test_missing_csrf_token_is_refused(app, client, survey):
    resident = Resident(client)
    resident.start()
    response = resident.post(1, STANDARD_ANSWERS[1], csrf=False)
    assert response.status_code == 400
    assert "Es wurde nichts gespeichert." in response.get_data(as_text=True)
    assert draft_answers(app) == {}


def test_a_token_from_another_browser_is_refused(app, client, survey):
    resident = Resident(client)
    resident.start()
    other = Resident(app.test_client())
    other.start()
    foreign = csrf_token(other.page(1).get_data(as_text=True))
    response = client.post("/s/kassel-2026/page/1", data=dict(STANDARD_ANSWERS[1],
                                                              csrf_token=foreign))
    assert response.status_code == 400
    assert draft_answers(app) == {}


def test_a_start_page_left_open_in_a_second_tab_leads_back_to_the_draft(client, survey):
    first_tab = client.get("/s/kassel-2026").get_data(as_text=True)
    second_tab = client.get("/s/kassel-2026").get_data(as_text=True)
    begun = client.post("/s/kassel-2026/start", data={"csrf_token": csrf_token(first_tab)})
    assert begun.headers["Location"].endswith("/page/1")
    late = client.post("/s/kassel-2026/start", data={"csrf_token": csrf_token(second_tab)})
    assert late.status_code == 303 and late.headers["Location"].endswith("/s/kassel-2026")
    assert client.post("/s/kassel-2026/start", data={}).status_code == 400  # no token: refused
    start = client.get("/s/kassel-2026").get_data(as_text=True)
    assert "Befragung fortsetzen" in start
    resumed = client.post("/s/kassel-2026/start", data=start_form(start))
    assert resumed.headers["Location"].endswith("/page/1")


def test_the_start_page_key_never_becomes_a_draft_key(client, survey):
    """A key planted in a browser before the start (say by a link or a shared computer)
    must not be the one that reaches the resident's answers."""
    resident = Resident(client)
    client.get("/s/kassel-2026")
    visitor_key = resident.key
    assert visitor_key is not None
    resident.start()
    assert resident.key not in (None, visitor_key)
    assert resident.page(1).status_code == 200


def test_resident_pages_keep_no_flask_session(client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=3)
    client.get("/s/kassel-2026/page/2?lang=en")
    assert client.get_cookie("session") is None


def test_skipping_pages_by_editing_the_url_is_refused(app, client, survey):
    resident = Resident(client)
    resident.start()
    assert resident.page(5).status_code == 403
    response = client.post("/s/kassel-2026/page/5", data={
        "csrf_token": csrf_token(resident.page(1).get_data(as_text=True)), "avoid_places": "1"})
    assert response.status_code == 403
    assert "noch nicht an der Reihe" in response.get_data(as_text=True)
    assert draft_answers(app) == {}
    assert resident.page(99).status_code == 404


def test_no_draft_means_start_again(client, survey):
    response = client.get("/s/kassel-2026/page/1")
    assert response.status_code == 403
    assert "Bitte beginnen Sie auf der Startseite" in response.get_data(as_text=True)


def test_back_keeps_the_answers(app, client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=3)
    response = resident.post(3, {"worry_burglary": "4", "worry_robbery": "7"}, action="back")
    assert response.status_code == 302 and response.headers["Location"].endswith("/page/2")
    page2 = resident.page(2).get_data(as_text=True)
    assert is_checked(page2, "safety_night", "3") and not is_checked(page2, "safety_night", "2")
    page3 = resident.page(3).get_data(as_text=True)
    assert is_checked(page3, "worry_burglary", "4")
    assert draft_answers(app)["worry_burglary"] == 4


def test_changed_answer_drops_answers_that_are_no_longer_asked(app, client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=8)  # reported_assault answered on page 7
    resident.post(8, {}, action="back")
    resident.post(7, {}, action="back")
    no_victim = {code: "2" for code in STANDARD_ANSWERS[6]}
    assert resident.post(6, no_victim).headers["Location"].endswith("/page/8")
    assert "reported_assault" not in draft_answers(app)


def test_double_submit_stores_one_response(app, client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=10)
    page = resident.page(10).get_data(as_text=True)
    data = dict(STANDARD_ANSWERS[10], action="next", csrf_token=csrf_token(page))
    key = resident.key
    first = client.post("/s/kassel-2026/page/10", data=data)
    assert resident.key is None  # the thank-you redirect drops the key
    resident.key = key  # the second click carries the old cookie
    second = client.post("/s/kassel-2026/page/10", data=data)
    assert first.headers["Location"].endswith("/thanks")
    assert second.headers["Location"].endswith("/thanks?already=1")
    assert len(stored_responses(app)) == 1


def test_language_can_be_switched_on_every_page(client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=2)
    html = client.get("/s/kassel-2026/page/2?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Page 2 of 10" in html
    assert "How safe do you feel" in html and "no answer" in html
    assert 'name="action" value="lang-de"' in html  # the switch submits the page
    assert "Seite 2 von 10" in client.get("/s/kassel-2026/page/2?lang=de").get_data(as_text=True)
    client.get("/s/kassel-2026/page/1?lang=en")
    assert "Page 2 of 10" in resident.page(2).get_data(as_text=True)  # the choice is kept


def test_switching_language_keeps_what_was_typed_on_the_page(client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=8)
    switched = resident.post(8, {"unsafe_places": "Holländischer Platz"}, action="lang-en")
    assert switched.headers["Location"].endswith("/s/kassel-2026/page/8?lang=en")
    html = client.get(switched.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en">' in html and ">Holländischer Platz</textarea>" in html
    # Enter in a field still means "next": it is the form's first submit button.
    form = html[html.index('id="page-form"'):]
    assert form.index('value="next"') < form.index('value="lang-de"')


def test_free_text_is_escaped(app, client, survey):
    resident = Resident(client)
    resident.answer_all(stop_before=8)
    resident.post(8, {"unsafe_places": '<script>alert(1)</script><img src="http://x/">'})
    html = resident.page(8).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_asset_is_served_by_the_app(client, survey):
    html = client.get("/s/kassel-2026").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and "//" not in html.replace(
        "<!doctype", "")
    with client.get("/static/app.css") as css:
        assert css.status_code == 200 and "url(" not in css.get_data(as_text=True)
        assert css.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" not in css.headers.get("Cache-Control", "")  # assets may be cached
    headers = client.get("/s/kassel-2026").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers.getlist("Cache-Control") == ["no-store"]  # answers never from a cache


@pytest.mark.parametrize("status, code, text", [
    ("closed", 410, "Diese Befragung ist beendet."),
    ("draft", 404, "Diese Seite gibt es nicht."),
])
def test_survey_that_is_not_open(app, client, survey, status, code, text):
    with app.app_context():
        db.session.get(type(survey), survey.id).status = status
        db.session.commit()
    response = client.get("/s/kassel-2026")
    assert response.status_code == code and text in response.get_data(as_text=True)


def test_a_survey_before_its_start_date_names_the_date(app, client, survey):
    from datetime import date, timedelta

    opens = date.today() + timedelta(days=40)
    with app.app_context():
        db.session.get(type(survey), survey.id).opens_on = opens
        db.session.commit()
    months = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
              "September", "Oktober", "November", "Dezember")
    response = client.get("/s/kassel-2026")
    assert response.status_code == 403
    assert (f"Diese Befragung beginnt am {opens.day}. {months[opens.month - 1]} {opens.year}."
            in response.get_data(as_text=True))


def test_unknown_survey_is_a_plain_404(client, survey):
    response = client.get("/s/gibt-es-nicht")
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht." in response.get_data(as_text=True)


def test_questionnaire_is_frozen_into_the_survey_and_german_only_has_no_switch(
        app, client, survey, tmp_path):
    from app.municipal import create_survey
    from app.models import Municipality

    source = tmp_path / "kurz.yaml"
    source.write_text("id: kurz\ntitle: {de: Kurzbefragung}\npages:\n  - id: eins\n"
                      "    title: {de: Eins}\n    items:\n"
                      "      - {code: district, type: district, label: {de: Stadtteil}}\n",
                      encoding="utf-8")
    with app.app_context():
        municipality = db.session.scalar(select(Municipality))
        create_survey(db.session, municipality, "kurz-2026", source).status = "open"
        db.session.commit()
    source.write_text(source.read_text().replace("Kurzbefragung", "Geändert"))
    html = client.get("/s/kurz-2026").get_data(as_text=True)
    assert "<h1>Kurzbefragung</h1>" in html and "Geändert" not in html
    assert "?lang=en" not in html
