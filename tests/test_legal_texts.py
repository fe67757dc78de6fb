"""Impressum, data-protection notice and accessibility statement on every resident page,
edited per municipality in the back office; the contact for residents."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Municipality, Survey

from .resident import STANDARD_ANSWERS, Resident
from .staff import form_token

LEGAL_LINKS = (re.compile(r'href="/s/kassel-2026/impressum"( aria-current="page")?>'
                          r'Impressum</a>'),
               re.compile(r'href="/s/kassel-2026/datenschutz">Datenschutzerklärung</a>'),
               re.compile(r'href="/s/kassel-2026/barrierefreiheit">'
                          r'Erklärung zur Barrierefreiheit</a>'))


def set_municipality(app, **values) -> None:
    """Change Kassel's texts directly in the database (as another worker would)."""
    with app.app_context():
        kassel = db.session.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        for name, value in values.items():
            setattr(kassel, name, value)
        db.session.commit()


def kassel(app) -> Municipality:
    with app.app_context():
        return db.session.scalar(select(Municipality).where(Municipality.slug == "kassel"))


@pytest.fixture
def staff(app, client, survey, logged_in):
    logged_in("staff")
    return client


def save(client, section: str, **fields):
    token = form_token(client, "/backoffice/m/kassel")
    return client.post("/backoffice/m/kassel/settings",
                       data={"csrf_token": token, "section": section, **fields})


# --- resident pages ---------------------------------------------------------------

def test_every_resident_page_links_the_legal_texts(app, client, survey):
    resident = Resident(client)
    pages = {"start": client.get("/s/kassel-2026")}
    resident.answer_all(stop_before=3)
    pages["question page"] = resident.page(2)
    pages["message"] = resident.page(9)  # not reached yet: a message page
    pages["legal page"] = client.get("/s/kassel-2026/impressum")
    assert 'href="/s/kassel-2026/impressum" aria-current="page"' in pages[
        "legal page"].get_data(as_text=True)
    Resident(app.test_client()).answer_all()
    pages["thanks"] = client.get("/s/kassel-2026/thanks")
    assert pages["message"].status_code == 403
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert all(link.search(html) for link in LEGAL_LINKS), name
        assert '<nav class="wrap" aria-label="Rechtliches">' in html, name


def test_legal_pages_need_no_draft_and_set_no_cookie(client, survey):
    for path in ("impressum", "datenschutz", "barrierefreiheit"):
        response = client.get(f"/s/kassel-2026/{path}")
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert response.headers.getlist("Cache-Control") == ["no-store"]


def test_legal_pages_of_a_closed_survey_stay_and_of_a_draft_do_not_exist(app, client, survey):
    with app.app_context():
        db.session.get(Survey, survey.id).status = "closed"
        db.session.commit()
    assert client.get("/s/kassel-2026/datenschutz").status_code == 200
    with app.app_context():
        db.session.get(Survey, survey.id).status = "draft"
        db.session.commit()
    client.application.extensions["hot_path"].surveys.clear()
    assert client.get("/s/kassel-2026/datenschutz").status_code == 404


def test_without_an_impressum_the_page_says_so_plainly(client, survey):
    response = client.get("/s/kassel-2026/impressum")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Impressum</h1>" in html
    assert "Stadt Kassel hat für diese Befragung noch kein Impressum eingetragen." in html
    english = client.get("/s/kassel-2026/impressum?lang=en").get_data(as_text=True)
    assert "Stadt Kassel has not entered a legal notice (Impressum) for this survey yet." \
        in english


def test_the_default_privacy_notice_states_what_is_stored(app, client, survey):
    set_municipality(app, min_n=40)
    html = client.get("/s/kassel-2026/datenschutz").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for statement in (
            "Verantwortlich ist: Stadt Kassel.",
            "das Datum des Absendens, ohne Uhrzeit",
            "wie viele ganze Minuten das Ausfüllen gedauert hat",
            "ob die Antworten online oder auf Papier eingegangen sind",
            "Nicht gespeichert werden: Ihr Name, Ihre Anschrift, Ihre IP-Adresse, Angaben zu "
            "Ihrem Gerät oder Browser, die Uhrzeit und Ihr Zugangscode.",
            "welche Antworten zu welchem Zugangscode gehören",
            "Beide Cookies enden, wenn Sie den Browser schließen.",
            "Zahlen, die auf weniger als 40 Antworten beruhen, werden nicht veröffentlicht",
            "nach spätestens einer Stunde gelöscht"):  # the longest code-entry window
        assert statement in text, statement
    assert "<h2>Was mit Ihren Antworten gespeichert wird</h2>" in html
    english = client.get("/s/kassel-2026/datenschutz?lang=en").get_data(as_text=True)
    assert "<h1>Data-protection notice</h1>" in english
    assert "whole minutes" in english and "figures based on fewer than 40 answers" \
        in english.replace("Figures", "figures")


def test_the_default_accessibility_statement_names_wcag_and_a_contact(app, client, survey):
    html = client.get("/s/kassel-2026/barrierefreiheit").get_data(as_text=True)
    assert "WCAG 2.1 in der Konformitätsstufe AA" in html
    assert "an die im Impressum genannte Stelle" in html  # no contact entered yet
    set_municipality(app, contact_name="Frau Beispiel, Ordnungsamt",
                     contact_email="befragung@kassel.example")
    client.application.extensions["hot_path"].surveys.clear()
    html = client.get("/s/kassel-2026/barrierefreiheit").get_data(as_text=True)
    assert "Frau Beispiel, Ordnungsamt<br>\nE-Mail: befragung@kassel.example" in html
    english = client.get("/s/kassel-2026/barrierefreiheit?lang=en").get_data(as_text=True)
    assert "WCAG 2.1 at conformance level AA" in english and "E-mail: befragung@" in english


def test_a_changed_text_shows_once_the_survey_is_read_again(app, client, survey, monkeypatch):
    """Another worker's change shows within SURVEY_CACHE_SECONDS: the page itself is not
    kept as HTML, only the survey snapshot is (for that long)."""
    from app.survey import hot_path

    assert "noch kein Impressum" in client.get("/s/kassel-2026/impressum").get_data(
        as_text=True)
    set_municipality(app, imprint="Stadt Kassel\nObere Königsstraße 8\n34117 Kassel")
    later = hot_path.time.monotonic() + app.config["SURVEY_CACHE_SECONDS"] + 1
    monkeypatch.setattr(hot_path.time, "monotonic", lambda: later)
    html = client.get("/s/kassel-2026/impressum").get_data(as_text=True)
    assert "<p>Stadt Kassel<br>\nObere Königsstraße 8<br>\n34117 Kassel</p>" in html


def test_an_english_page_shows_a_german_only_text_marked_as_german(app, client, survey):
    set_municipality(app, privacy_notice="# Eigene Erklärung\nDie Stadt erklärt.")
    html = client.get("/s/kassel-2026/datenschutz?lang=en").get_data(as_text=True)
    assert '<div class="legal-text" lang="de">' in html
    assert "This text is available in German only." in html
    assert "<h2>Eigene Erklärung</h2>" in html and "<p>Die Stadt erklärt.</p>" in html
    set_municipality(app, privacy_notice_en="Our own notice.")
    client.application.extensions["hot_path"].surveys.clear()
    html = client.get("/s/kassel-2026/datenschutz?lang=en").get_data(as_text=True)
    assert "<p>Our own notice.</p>" in html and 'lang="de"' not in html.split("<main")[1]


def test_the_start_page_names_the_contact_and_the_paper_questionnaire(app, client, survey):
    html = client.get("/s/kassel-2026").get_data(as_text=True)
    assert "Fragen zur Befragung" not in html  # nothing entered: nothing shown
    assert 'href="/s/kassel-2026/datenschutz">Ausführliche Datenschutzerklärung</a>' in html
    set_municipality(app, contact_name="Frau <b>Beispiel</b>", contact_phone="0561 787-1234",
                     contact_email="befragung@kassel.example",
                     paper_questionnaire="Rufen Sie an.\nWir schicken ihn zu.")
    client.application.extensions["hot_path"].surveys.clear()
    html = client.get("/s/kassel-2026").get_data(as_text=True)
    assert '<h2 id="contact-heading">Fragen zur Befragung</h2>' in html
    assert "Frau &lt;b&gt;Beispiel&lt;/b&gt;" in html and "<b>Beispiel" not in html
    assert '<a href="tel:0561787-1234">0561 787-1234</a>' in html
    assert '<a href="mailto:befragung@kassel.example">' in html
    assert "<p>Rufen Sie an.<br>\nWir schicken ihn zu.</p>" in html


# --- back office --------------------------------------------------------------------

def test_missing_texts_are_a_warning_in_the_back_office(staff):
    response = staff.get("/backoffice/m/kassel")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kein Impressum eingetragen." in html
    assert "Keine Ansprechperson mit Telefon oder E-Mail eingetragen." in html
    assert "Nicht eingetragen, wie man einen Papierfragebogen bekommt." in html
    assert "Verantwortlich ist: Stadt Kassel." in html  # the default, to copy and adapt


def test_staff_enter_the_texts_and_residents_see_them_escaped(app, staff):
    imprint = ("# Herausgeberin\nStadt Kassel\nObere Königsstraße 8\n\n"
               "Vertreten durch <script>alert(1)</script> die Oberbürgermeisterin")
    response = save(staff, "legal", imprint=imprint.replace("\n", "\r\n"),
                    accessibility_statement="Eigene Erklärung.")
    assert response.status_code == 302
    html = staff.get("/s/kassel-2026/impressum").get_data(as_text=True)
    assert "<h2>Herausgeberin</h2>\n<p>Stadt Kassel<br>\nObere Königsstraße 8</p>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<p>Eigene Erklärung.</p>" in staff.get("/s/kassel-2026/barrierefreiheit") \
        .get_data(as_text=True)
    assert kassel(app).imprint == imprint and kassel(app).privacy_notice is None
    page = staff.get("/backoffice/m/kassel").get_data(as_text=True)
    assert "Kein Impressum eingetragen." not in page
    assert "Gespeichert: Impressum, Erklärung zur Barrierefreiheit (deutsch)." in page
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "resident_texts_changed")).one()
    assert event.user_email == "staff@kassel.de" and "Impressum" in event.detail
    # An emptied field goes back to nothing entered (the default, or the Impressum note).
    save(staff, "legal", imprint="   ", accessibility_statement="")
    assert kassel(app).imprint is None and kassel(app).accessibility_statement is None


def test_staff_enter_the_contact(app, staff):
    response = save(staff, "contact", contact_name="Frau Beispiel", contact_phone="0561 787-1234",
                    contact_email="befragung@kassel.example",
                    paper_questionnaire="Anruf genügt.")
    assert response.status_code == 302
    stored = kassel(app)
    assert (stored.contact_name, stored.contact_phone, stored.contact_email,
            stored.paper_questionnaire) == ("Frau Beispiel", "0561 787-1234",
                                            "befragung@kassel.example", "Anruf genügt.")
    assert "Frau Beispiel" in staff.get("/s/kassel-2026").get_data(as_text=True)
    page = staff.get("/backoffice/m/kassel").get_data(as_text=True)
    assert "Keine Ansprechperson" not in page and "Papierfragebogen bekommt" not in page


@pytest.mark.parametrize("fields, field, message", [
    ({"contact_email": "befragung at kassel"}, "contact_email",
     "E-Mail: das ist keine E-Mail-Adresse"),
    ({"contact_phone": "ruf an"}, "contact_phone", "Telefon: nur Ziffern"),
    ({"contact_name": "Zeile eins\nZeile zwei"}, "contact_name",
     "Ansprechperson: bitte nur eine Zeile."),
    ({"paper_questionnaire": "x" * 201}, "paper_questionnaire",
     "So bekommt man einen Papierfragebogen: 201 Zeichen, erlaubt sind höchstens 200."),
])
def test_a_contact_that_cannot_be_stored_is_refused_beside_its_field(app, staff, fields, field,
                                                                     message):
    typed = {"contact_name": "Frau Beispiel", **fields}
    response = save(staff, "contact", **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error-message" id="e-{field}"><span class="visually-hidden">Fehler:</span> ' \
        f'{message}' in html
    assert f'aria-describedby="e-{field}" aria-invalid="true"' in html \
        or f'aria-describedby="h-{field} e-{field}" aria-invalid="true"' in html
    assert "Frau Beispiel" in html  # what was typed is still there
    assert kassel(app).contact_name is None  # nothing stored


@pytest.mark.parametrize("fields, line", [
    ({"contact_email": "befragung at kassel"}, "E-Mail: das ist keine E-Mail-Adresse"),
    ({"contact_name": "Zeile eins\nZeile zwei"}, "Ansprechperson: bitte nur eine Zeile."),
])
def test_the_error_summary_names_a_field_once(staff, fields, line):
    html = save(staff, "contact", **fields).get_data(as_text=True)
    summary = html.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    assert f'">{line}' in summary and summary.count(line.split(":")[0] + ":") == 1


def test_an_overlong_legal_text_is_refused_and_kept(app, staff):
    response = save(staff, "legal", imprint="Stadt Kassel", privacy_notice="x" * 50_001)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Datenschutzerklärung (deutsch): 50.001 Zeichen, erlaubt sind höchstens 50.000." \
        in html
    assert ">\r\nStadt Kassel</textarea>" in html  # WTForms: browsers drop the first newline
    assert kassel(app).imprint is None


def test_a_control_character_is_dropped_not_a_500(app, staff):
    assert save(staff, "legal", imprint="Stadt\x00 Kassel\x07").status_code == 302
    assert kassel(app).imprint == "Stadt Kassel"


def test_min_n_error_stands_beside_the_field(app, staff):
    response = save(staff, "min_n", min_n="5")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error-message" id="e-min_n"><span class="visually-hidden">Fehler:</span> ' \
        'Die Mindestfallzahl muss zwischen 10 und 1000 liegen.</p>' in html and 'value="5"' in html
    assert kassel(app).min_n == 30


def test_police_and_other_municipalities_cannot_change_the_texts(app, client, survey, logged_in):
    logged_in("police")
    token = form_token(client, "/backoffice/m/kassel")
    assert client.post("/backoffice/m/kassel/settings", data={
        "csrf_token": token, "section": "legal", "imprint": "x"}).status_code == 403
    assert "Kein Impressum eingetragen" not in client.get("/backoffice/m/kassel").get_data(
        as_text=True)  # the warning is for those who can act on it
    client.post("/logout", data={"csrf_token": token})
    logged_in("staff@fulda.de")
    token = form_token(client, "/backoffice/m/fulda")
    assert client.post("/backoffice/m/kassel/settings", data={
        "csrf_token": token, "section": "legal", "imprint": "x"}).status_code == 404
    assert kassel(app).imprint is None


def test_the_standard_answers_still_complete_with_the_footer(app, client, survey):
    """The footer is the same for every resident: cached pages keep working."""
    assert Resident(client).answer_all(STANDARD_ANSWERS).headers["Location"].endswith(
        "/thanks")


def test_the_codes_page_warns_what_the_letters_will_lack(app, staff):
    with app.app_context():
        db.session.scalar(select(Survey).where(Survey.slug == "kassel-2026")).access_mode = \
            "codes"
        db.session.commit()
    html = staff.get("/backoffice/surveys/kassel-2026/codes").get_data(as_text=True)
    assert "Die Briefe werden erstellt, aber:" in html
    assert "Keine Ansprechperson mit Telefon oder E-Mail eingetragen." in html
    save(staff, "contact", contact_phone="0561 787-1234", paper_questionnaire="Anruf genügt.")
    html = staff.get("/backoffice/surveys/kassel-2026/codes").get_data(as_text=True)
    assert "Die Briefe werden erstellt, aber:" not in html
