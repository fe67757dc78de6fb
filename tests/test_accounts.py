"""Login, lock-out, session timeout, logout, password change and the users command."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User

from .staff import PASSWORD, form_token, login


def test_staff_pages_need_a_login(client, accounts):
    response = client.get("/backoffice/")
    assert response.status_code == 302 and "/login?next=/backoffice/" in response.headers[
        "Location"]


def test_login_and_logout(app, client, accounts):
    response = login(client, "Staff@Kassel.de")
    assert response.status_code == 302 and response.headers["Location"] == "/backoffice/"
    home = client.get("/backoffice/").get_data(as_text=True)
    assert "Stadt Kassel" in home and "Stadt Fulda" not in home
    client.post("/logout", data={"csrf_token": form_token(client)})
    assert client.get("/backoffice/").status_code == 302
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert actions == ["login", "logout"]


def test_wrong_password_and_lock_out(app, client, accounts):
    for _ in range(5):
        response = login(client, "staff@kassel.de", "falsch")
        assert response.status_code == 401
        assert "E-Mail-Adresse oder Passwort stimmen nicht." in response.get_data(as_text=True)
    locked = login(client, "staff@kassel.de")  # even the right password, for 15 minutes
    assert locked.status_code == 401
    assert "15 Minuten lang kein Passwort an" in locked.get_data(as_text=True)
    assert client.get("/backoffice/").status_code == 302
    assert login(client, "unbekannt@kassel.de").status_code == 401
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(
            AuditEvent.id))]
    assert actions == ["login_invalid"] * 4 + ["login_locked"] * 2 + ["login_invalid"]


def test_login_never_redirects_to_another_site(client, accounts):
    page = client.get("/login?next=//evil.example/")
    from .resident import csrf_token
    response = client.post("/login?next=//evil.example/", data={
        "email": "staff@kassel.de", "password": PASSWORD,
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/backoffice/"


def test_idle_session_expires(logged_in):
    client = logged_in("staff")
    with client.session_transaction() as session:
        session["seen_at"] -= 31 * 60
    response = client.get("/backoffice/")
    assert response.status_code == 302
    assert "Sitzung war abgelaufen" in client.get(response.headers["Location"]).get_data(
        as_text=True)


@pytest.mark.parametrize("current, new, message", [
    ("falsch", "x" * 12, "bisherige Passwort stimmt nicht"),
    (PASSWORD, "kurz", "mindestens 12 Zeichen"),
], ids=["wrong-current-password", "too-short"])
def test_a_refused_password_change_says_why(logged_in, current, new, message):
    client = logged_in("staff")
    refused = client.post("/account/password", data={
        "current": current, "new": new, "repeat": new,
        "csrf_token": form_token(client, "/account/password")})
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)


def test_a_changed_password_replaces_the_old_one(client, logged_in):
    logged_in("staff")
    token = form_token(client, "/account/password")
    done = client.post("/account/password", data={"current": PASSWORD, "new": "neues-passwort!",
                                                   "repeat": "neues-passwort!",
                                                   "csrf_token": token})
    assert done.status_code == 302
    client.post("/logout", data={"csrf_token": form_token(client)})
    assert login(client, "staff@kassel.de").status_code == 401
    assert login(client, "staff@kassel.de", "neues-passwort!").status_code == 302


def test_users_create_reads_the_password_from_stdin(app, runner, survey):
    result = runner.invoke(args=["users", "create", "Neu@Kassel.de", "--role", "police",
                                 "--municipality", "kassel"], input="ein-sicheres-passwort\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "neu@kassel.de" and user.role == "police"
        assert user.password_hash.startswith("scrypt:")
        assert [m.slug for m in user.municipalities] == ["kassel"]


@pytest.mark.parametrize("args, password, message", [
    (["--role", "staff"], "ein-sicheres-passwort", "genau eine Kommune"),
    (["--role", "staff", "--municipality", "nirgendwo"], "ein-sicheres-passwort",
     "Unbekannte Kommune 'nirgendwo'"),
    (["--role", "admin", "--municipality", "kassel"], "ein-sicheres-passwort",
     "keine Kommune angeben"),
    (["--role", "police", "--municipality", "kassel"], "kurz", "mindestens 12 Zeichen"),
])
def test_users_create_refuses_clearly(runner, survey, args, password, message):
    result = runner.invoke(args=["users", "create", "x@kassel.de", *args], input=password + "\n")
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output
