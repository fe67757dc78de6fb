"""Dashboard figures: waves, change since the previous wave, refusals."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.demo import load_demo
from app.demo.responses import synthetic_responses
from app.extensions import db
from app.models import Municipality, Response
from app.municipal import create_survey
from app.paths import QUESTIONNAIRE_DIR

from .staff import form_token

# Why a figure is not shown, as the reports say it (the threshold, or protection).
SUPPRESSED = re.compile(r"unter [\d.]+ Antworten|zum Schutz anderer Zahlen")


@pytest.fixture
def two_waves(app, survey, accounts):
    with app.app_context():
        load_demo(db.session, responses=1500)
        kassel = db.session.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        earlier = create_survey(db.session, kassel, "kassel-2024",
                                QUESTIONNAIRE_DIR / "sicherheit-standard.yaml",
                                title="Sicherheit in Kassel 2024")
        earlier.status = "closed"
        earlier.created_at = datetime(2024, 1, 1, tzinfo=timezone.utc)
        district_ids = {d.code: d.id for d in kassel.districts}
        for answers, completed_on, _minutes in synthetic_responses(1500, seed=99):
            answers["safety_night"] = 1 if answers["safety_night"] in (3, 4) and \
                answers["district"] == "11" else answers["safety_night"]
            db.session.add(Response(survey_id=earlier.id, answers=answers, source="synthetic",
                                    district_id=district_ids[answers["district"]],
                                    completed_on=completed_on.replace(year=2024)))
        db.session.commit()


def test_change_since_the_previous_wave_and_wave_filter(two_waves, logged_in):
    client = logged_in("police")
    page = client.get("/dashboard/kassel-2026").get_data(as_text=True).replace("&shy;", "")
    assert "Veränderung seit Sicherheit in Kassel 2024" in page
    assert "Veränderung</th>" in page and " Pp.</td>" in page
    older = client.get("/dashboard/kassel-2026?wave=kassel-2024").get_data(as_text=True)
    assert 'value="kassel-2024" selected' in older and "Veränderung seit" not in older


@pytest.mark.reads_demo
def test_suppressed_figures_never_reach_the_dashboard(logged_in):
    client = logged_in("staff")
    page = client.get("/dashboard/kassel-2026?indicator=unsafe_night&group=gender%3Dd")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and SUPPRESSED.search(text)
    assert client.get("/dashboard/kassel-2026/chart/ranking.svg?group=gender%3Dd").status_code \
        == 404  # no published bar: no chart


@pytest.mark.reads_demo
def test_users_of_another_municipality_get_404(logged_in):
    client = logged_in("staff@fulda.de")
    assert client.get("/dashboard/kassel-2026").status_code == 404
    assert client.get("/dashboard/kassel-2026/district/11").status_code == 404


def test_missing_population_is_a_plain_message(app, two_waves, logged_in):
    from app.models import PopulationCell
    client = logged_in("staff")
    assert client.get("/dashboard/kassel-2026").status_code == 200
    with app.app_context():
        db.session.query(PopulationCell).delete()
        db.session.commit()
    page = client.get("/dashboard/kassel-2026")
    assert page.status_code == 409
    assert "Die Auswertung ist nicht möglich" in page.get_data(as_text=True)


def test_a_stricter_min_n_applies_at_once(two_waves, logged_in):
    client = logged_in("staff")
    before = client.get("/dashboard/kassel-2026").get_data(as_text=True)
    assert len(SUPPRESSED.findall(before)) < 5
    client.post("/backoffice/m/kassel/settings",
                data={"csrf_token": form_token(client, "/backoffice/m/kassel"), "min_n": "1000"})
    after = client.get("/dashboard/kassel-2026").get_data(as_text=True)
    assert len(re.findall("unter 1000 Antworten", after)) >= 23  # every district says why
