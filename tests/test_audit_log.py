"""The audit log as staff read it: German action names, local time, filters."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from app.audit import ACTION_NAMES
from app.extensions import db
from app.models import AuditEvent, Municipality

from .staff import login

APP = Path(__file__).resolve().parent.parent / "app"
LOG = "/backoffice/m/kassel/audit"


def recorded_actions() -> set[str]:
    """Every action name the code passes to audit.record (f-strings as their prefix)."""
    actions = set()
    for path in APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit\.record\((.*?)user_email=", text, re.S):
            # string literals, but not one compared with (kind == "letters")
            for prefix, name in re.findall(r'(?<![=!]= )(f?)"([a-z_{}]+)"', call[1]):
                actions.add(name.split("{")[0] + "*" if prefix else name)
    return actions


def test_every_recorded_action_has_a_german_name():
    actions = recorded_actions()
    assert {"login", "login_*", "survey_*", "codes_generated", "codes_discarded",
            "letters_requested", "report_requested", "responses_exported"} <= actions
    for action in actions:
        if action.endswith("*"):
            assert any(name.startswith(action[:-1]) for name in ACTION_NAMES), action
        else:
            assert action in ACTION_NAMES, f"{action} has no German name in app/audit.py"
    for status in ("open", "closed"):  # f"survey_{status}"
        assert f"survey_{status}" in ACTION_NAMES
    for problem in ("invalid", "locked"):  # f"login_{problem}"
        assert f"login_{problem}" in ACTION_NAMES


def rows(page: str) -> list[list[str]]:
    body = page[page.index('id="audit-table"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def error_at(page: str, field: str) -> str:
    found = re.search(rf'<p class="error-message" id="e-{field}">(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found[1])).strip() if found else ""


@pytest.fixture
def events(app, accounts):
    """Events of Kassel at known UTC times, around midnight of summer and winter time."""
    with app.app_context():
        kassel = db.session.query(Municipality).filter_by(slug="kassel").one()
        db.session.query(AuditEvent).delete()
        for at, action, detail in (
                (datetime(2026, 1, 15, 23, 30, tzinfo=timezone.utc), "responses_exported",
                 "kassel-2026 als csv"),
                (datetime(2026, 7, 1, 21, 59, tzinfo=timezone.utc), "codes_generated",
                 "kassel-2026: 3 Codes 01=3"),
                (datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc), "survey_closed",
                 "kassel-2026")):
            db.session.add(AuditEvent(at=at, action=action, detail=detail,
                                      user_email="staff@kassel.de",
                                      municipality_id=kassel.id))
        db.session.commit()


def test_the_log_shows_german_names_and_local_time(app, client, events, logged_in):
    logged_in("staff")  # recorded too, but without a municipality
    page = client.get(LOG).get_data(as_text=True)
    assert rows(page) == [
        ["02.07.2026 00:30", "staff@kassel.de", "Befragung geschlossen", "kassel-2026"],
        ["01.07.2026 23:59", "staff@kassel.de", "Einladungscodes erzeugt",
         "kassel-2026: 3 Codes 01=3"],
        ["16.01.2026 00:30", "staff@kassel.de", "Antworten exportiert", "kassel-2026 als csv"]]
    assert "Zeit in Ortszeit (Berlin)" in page and "UTC" not in page


@pytest.mark.parametrize("query, expected", [
    ("action=codes_generated", ["01.07.2026 23:59"]),
    ("from=2026-07-02", ["02.07.2026 00:30"]),  # a local day, not a UTC day
    ("to=2026-07-01", ["01.07.2026 23:59", "16.01.2026 00:30"]),
    ("from=2026-07-01&to=2026-07-01", ["01.07.2026 23:59"]),
    ("from=16.1.2026&to=16.01.2026", ["16.01.2026 00:30"]),  # typed the German way
    ("action=survey_closed&from=2026-07-01", ["02.07.2026 00:30"]),
    ("action=password_changed", []),  # known, just not in this log
])
def test_the_log_filters_by_action_and_period(app, client, events, query, expected, logged_in):
    logged_in("staff")
    response = client.get(f"{LOG}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "error-message" not in page
    assert [row[0] for row in rows(page)] == (expected or ["Keine Einträge für diesen Filter."])
    assert "Alle Einträge zeigen" in page


def test_the_action_filter_offers_the_actions_in_german(app, client, events, logged_in):
    logged_in("staff")
    page = client.get(f"{LOG}?action=codes_generated").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]+)</option>', page)
    assert options == [("", "", "alle Aktionen"),
                       ("survey_closed", "", "Befragung geschlossen"),
                       ("codes_generated", " selected", "Einladungscodes erzeugt"),
                       ("responses_exported", "", "Antworten exportiert")]


@pytest.mark.parametrize("query, field, message", [
    ("from=31.02.2026", "from", "„Von“: '31.02.2026' ist kein gültiges Datum. Bitte als "
                                "TT.MM.JJJJ oder JJJJ-MM-TT angeben."),
    ("to=gestern", "to", "„Bis“: 'gestern' ist kein gültiges Datum."),
    ("from=2026-07-02&to=2026-07-01", "to", "„Bis“ liegt vor „Von“: bitte den Zeitraum prüfen."),
    ("action=<script>alert(1)</script>", "action",
     "Eine Aktion '<script>alert(1)</script>' gibt es im Protokoll nicht."),
])
def test_a_bad_filter_says_what_is_wrong_at_its_field(app, client, events, query, field,
                                                      message, logged_in):
    logged_in("staff")
    response = client.get(f"{LOG}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in error_at(page, field)
    assert f'<a href="#{field}">' in page  # the summary on top links to the field
    assert "<script>" not in page  # shown as text, never as markup
    assert len(rows(page)) == 3  # the bad part filters nothing


def test_only_the_programme_office_sees_logins(app, client, events, logged_in):
    login(client, "staff@kassel.de", "falsch-falsch-falsch")
    logged_in("admin")
    page = client.get("/backoffice/audit?action=login_invalid").get_data(as_text=True)
    assert [row[1:3] for row in rows(page)] == [["staff@kassel.de",
                                                 "Anmeldung fehlgeschlagen"]]
    assert "Protokoll aller Kommunen" in page
    logged_in("staff")
    assert client.get("/backoffice/audit").status_code == 403
    assert client.get("/backoffice/m/fulda/audit").status_code == 404
