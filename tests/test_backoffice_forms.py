"""Back-office forms (Flask-WTF): each refusal stands beside its field, with a summary on
top that links to it; nothing is stored; a post without the form's CSRF token is refused."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Municipality

from .staff import PASSWORD, form_token, login, make_users
from .test_survey_waves import beside

NEW = "/backoffice/municipalities/new"


def summary_links(page: str) -> list[str]:
    start = page.index('class="error-summary"')
    return re.findall(r'href="#([^"]+)"', page[start:page.index("</div>", start)])


def test_a_new_municipality_is_refused_at_its_fields(app, client, survey):
    make_users(app)
    login(client, "admin@land.de")
    token = form_token(client, NEW)
    response = client.post(NEW, data={"csrf_token": token, "slug": "Kassel Stadt",
                                      "name": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "'Kassel Stadt' ist ungültig" in beside(page, "slug")
    assert beside(page, "name") == "Fehler: Der Name der Kommune fehlt."
    assert summary_links(page) == ["slug", "name"]
    assert 'aria-describedby="h-slug e-slug" aria-invalid="true"' in page
    assert 'value="Kassel Stadt"' in page
    taken = client.post(NEW, data={"csrf_token": token, "slug": "kassel", "name": "Kassel"})
    assert taken.status_code == 422
    assert beside(taken.get_data(as_text=True), "slug") == (
        "Fehler: Die Kommune 'kassel' gibt es bereits.")
    created = client.post(NEW, data={"csrf_token": token, "slug": "giessen",
                                     "name": "Stadt Gießen"})
    assert created.headers["Location"] == "/backoffice/m/giessen"
    with app.app_context():
        assert db.session.scalars(select(Municipality.slug).order_by(
            Municipality.slug)).all() == ["fulda", "giessen", "kassel"]
        assert db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "municipality_created")).all() == ["giessen"]


def test_a_wrong_current_password_stands_beside_its_field(app, client, survey):
    make_users(app)
    login(client, "staff@kassel.de")
    token = form_token(client, "/account/password")
    response = client.post("/account/password", data={
        "csrf_token": token, "current": "falsch", "new": "x" * 12, "repeat": "y" * 12})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert beside(page, "current") == "Fehler: Das bisherige Passwort stimmt nicht."
    assert summary_links(page) == ["current"]
    mismatch = client.post("/account/password", data={
        "csrf_token": token, "current": PASSWORD, "new": "x" * 12, "repeat": "y" * 12})
    assert "stimmen nicht überein" in beside(mismatch.get_data(as_text=True), "repeat")


def test_a_form_without_its_csrf_token_changes_nothing(app, client, survey):
    make_users(app)
    login(client, "staff@kassel.de")
    response = client.post("/backoffice/m/kassel/settings", data={"min_n": "40"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Municipality.min_n).where(
            Municipality.slug == "kassel")) == 30
