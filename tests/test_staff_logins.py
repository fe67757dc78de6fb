"""Flask-Login carries the back-office session, and stays out of residents' requests."""
from __future__ import annotations

from app.extensions import login_manager

from .resident import Resident
from .staff import login, make_users


def test_a_resident_request_never_loads_an_account(app, survey, monkeypatch):
    make_users(app)
    loaded: list[str] = []
    real_loader = login_manager._user_callback
    monkeypatch.setattr(login_manager, "_user_callback",
                        lambda user_id: loaded.append(user_id) or real_loader(user_id))
    resident = Resident(app.test_client())
    assert login(resident.client, "staff@kassel.de").status_code == 302
    assert resident.start().status_code == 302
    assert resident.page(1).status_code == 200
    assert loaded == []  # the staff cookie was sent along, but nobody read current_user
    assert resident.client.get("/backoffice/").status_code == 200
    assert len(loaded) == 1  # a staff page does


def test_no_flask_login_hook_runs_on_every_request(app):
    hooks = [*app.before_request_funcs.get(None, []), *app.after_request_funcs.get(None, []),
             *app.template_context_processors[None]]
    assert not [hook for hook in hooks if "flask_login" in getattr(hook, "__module__", "")]
    assert not [hook for hook in hooks
                if getattr(hook, "__self__", None) is login_manager]


def test_the_login_redirect_keeps_the_page_and_its_query(client, survey):
    response = client.get("/dashboard/kassel-2026?indicator=unsafe_day")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/login?next=/dashboard/kassel-2026?indicator%3Dunsafe_day")


def test_an_expired_session_says_so_on_the_login_page_itself(client, survey, app):
    make_users(app)
    login(client, "staff@kassel.de")
    with client.session_transaction() as session:
        session["seen_at"] -= 31 * 60
    page = client.get("/login").get_data(as_text=True)
    assert "Sitzung war abgelaufen" in page and "Abmelden (" not in page
