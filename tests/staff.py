"""Accounts and logins for back-office tests (the fixtures `accounts` and `logged_in` in
conftest.py use these; new tests should ask for the fixtures)."""
from __future__ import annotations

from functools import cache
from unittest import mock

from flask.testing import FlaskClient

from app.auth import service
from app.auth.service import create_user
from app.extensions import db
from app.municipal import add_districts, create_municipality, create_survey
from app.paths import QUESTIONNAIRE_DIR

from .resident import csrf_token

PASSWORD = "ein-langes-passwort"
# (e-mail, role, municipalities): Kassel is the demo, Fulda a second municipality.
ACCOUNTS = (("admin@land.de", "admin", ()),
            ("staff@kassel.de", "staff", ("kassel",)),
            ("police@kassel.de", "police", ("kassel",)),
            ("staff@fulda.de", "staff", ("fulda",)),
            ("police@region.de", "police", ("kassel", "fulda")))
# The account `logged_in(role)` uses for a role named instead of an e-mail.
ACCOUNT_OF_ROLE = {"admin": "admin@land.de", "staff": "staff@kassel.de",
                   "police": "police@kassel.de"}


@cache
def password_hash() -> str:
    """PASSWORD hashed once per session: scrypt takes about a tenth of a second per
    call by design, five accounts in each of dozens of tests add up."""
    return service.hash_password(PASSWORD)


def make_users(app) -> None:
    """Fulda (two districts, an open code survey) and the ACCOUNTS; Kassel must exist."""
    hashed = password_hash()
    with app.app_context(), mock.patch.object(service, "hash_password",
                                              lambda _password: hashed):
        fulda = create_municipality(db.session, "fulda", "Stadt Fulda")
        add_districts(db.session, fulda, [("F1", "Innenstadt"), ("F2", "Aschenberg")])
        create_survey(db.session, fulda, "fulda-2026",
                      QUESTIONNAIRE_DIR / "sicherheit-standard.yaml", "codes").status = "open"
        for email, role, slugs in ACCOUNTS:
            create_user(db.session, email, PASSWORD, role, list(slugs))
        db.session.commit()


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(page.get_data(as_text=True))})


def form_token(client: FlaskClient, url: str = "/backoffice/") -> str:
    return csrf_token(client.get(url).get_data(as_text=True))
