"""Every staff route, walked as a user of another municipality and as police."""
from __future__ import annotations

import re

import pytest


STAFF_BLUEPRINTS = ("backoffice.", "survey_admin.", "dashboard.")
PUBLIC = {"dashboard.plotly_js"}
JOB_ID = "0123456789abcdef" * 2


def staff_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL for Kassel's objects) of every back-office route."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(STAFF_BLUEPRINTS) or rule.endpoint in PUBLIC:
            continue
        url = rule.rule
        url = re.sub(r"/m/<slug>", "/m/kassel", url)
        url = url.replace("<municipality_slug>", "kassel").replace("<slug>", "kassel-2026")
        url = url.replace("<int:number>", "1").replace("<job_id>", JOB_ID)
        url = url.replace("<code>", "01").replace("<kind>.<fmt>", "ranking.svg")
        assert "<" not in url, f"test does not know how to fill {rule.rule}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return routes


@pytest.fixture
def routes(app, accounts):
    from app.demo import load_demo
    from app.extensions import db
    with app.app_context():
        load_demo(db.session, responses=600)  # figures for the dashboard routes
    with app.app_context():  # a finished report of Kassel, made for police@kassel.de
        from sqlalchemy import select
        from app.models import BackgroundJob, Survey, User
        db.session.add(BackgroundJob(
            id=JOB_ID, kind="city", state="done", file_name="bericht.pdf",
            output=b"%PDF-1.7 test", parameters={"free_text": False},
            user_id=db.session.scalar(select(User.id).where(User.email == "police@kassel.de")),
            survey_id=db.session.scalar(select(Survey.id).where(Survey.slug == "kassel-2026"))))
        db.session.commit()
    return staff_routes(app)


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client, page: str = "/backoffice/") -> str:
    """The CSRF token of the client's session, as a page's forms carry it (a staff
    page's logout form; for a visitor, the login form)."""
    with client.get(page, follow_redirects=True) as response:
        return CSRF_INPUT.search(response.get_data(as_text=True)).group(1)


def call(client, method: str, url: str, token: str):
    """A request as a browser sends it: a POST with the form's valid CSRF token (CSRF
    protection stays on; the access rules are what is tested), without its fields."""
    data = {"csrf_token": token} if method == "POST" else None
    response = client.open(url, method=method, data=data)
    response.close()  # file downloads keep their file open until closed
    return response


def test_every_staff_route_requires_a_role(app, routes):
    assert len(routes) >= 15
    for endpoint, _method, _url in routes:
        view = app.view_functions[endpoint]
        assert getattr(view, "required_roles", None), f"{endpoint} has no login_required"


def test_anonymous_users_are_sent_to_the_login(app, routes):
    client = app.test_client()
    token = form_token(client, "/login")
    for endpoint, method, url in routes:
        response = call(client, method, url, token)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (
            endpoint, method)


def test_staff_of_another_municipality_gets_404_for_every_object(app, routes, logged_in):
    client = logged_in("staff@fulda.de")
    token = form_token(client)
    for endpoint, method, url in routes:
        response = call(client, method, url, token)
        roles = app.view_functions[endpoint].required_roles
        if "kassel" in url:
            assert response.status_code == 404, (endpoint, method, response.status_code)
        elif "staff" not in roles:
            assert response.status_code == 403, (endpoint, method)


@pytest.mark.pdf
def test_police_may_look_but_not_touch(app, routes, logged_in):
    client = logged_in("police")
    token = form_token(client)
    looked_at = 0
    for endpoint, method, url in routes:
        response = call(client, method, url, token)
        roles = app.view_functions[endpoint].required_roles
        if "police" in roles:  # allowed: answered (a POST without its form data: 400)
            expected = (200,) if method == "GET" else (200, 302, 400)
            assert response.status_code in expected, (endpoint, method, response.status_code)
            looked_at += 1
        else:
            assert response.status_code == 403, (endpoint, method, response.status_code)
    assert looked_at >= 3


@pytest.mark.pdf
def test_police_never_see_raw_answers_or_free_text(app, routes, logged_in):
    from app.extensions import db
    from app.models import Response, Survey
    from sqlalchemy import select
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "kassel-2026"))
        db.session.add(Response(survey_id=survey.id, source="online", answers={
            "district": "01", "safety_night": 4, "unsafe_places": "Geheimer Ort am Fluss"}))
        db.session.commit()
    client = logged_in("police")
    for endpoint, method, url in routes:
        if method == "GET" and "police" in app.view_functions[endpoint].required_roles:
            with client.get(url) as response:
                body = response.get_data(as_text=True)
            assert "Geheimer Ort" not in body, endpoint
            assert "/export" not in body and "Papierfragebögen importieren" not in body


def test_police_of_two_municipalities_see_both(routes, logged_in):
    client = logged_in("police@region.de")
    home = client.get("/backoffice/").get_data(as_text=True)
    assert "Stadt Kassel" in home and "Stadt Fulda" in home
    assert client.get("/backoffice/surveys/fulda-2026").status_code == 200
