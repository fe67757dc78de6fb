"""Login, logout and password change for staff, police and the programme office."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from .. import audit
from ..extensions import db
from . import service
from .access import load_user, login_required

bp = Blueprint("auth", __name__, template_folder="templates")
bp.before_request(load_user)  # residents' pages never look for an account

LOGIN_MESSAGES = {
    "invalid": "E-Mail-Adresse oder Passwort stimmen nicht.",
    "locked": f"Zu viele Fehlversuche: Das Konto ist für {service.LOCK_MINUTES} Minuten "
              "gesperrt.",
}


def _safe_next(target: str | None) -> str:
    """Only paths of this site: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("backoffice.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Login form; on success a fresh session (against session fixation)."""
    if request.method == "GET":
        return render_template("auth/login.html", expired=session.pop("expired", False))
    email = request.form.get("email", "")[:254]
    user, problem = service.authenticate(db.session, email, request.form.get("password", ""))
    audit.record(db.session, "login" if not problem else f"login_{problem}",
                 user_email=email.strip().lower()[:254])
    db.session.commit()
    if problem:
        return render_template("auth/login.html", error=LOGIN_MESSAGES[problem],
                               email=email), 401 if problem == "invalid" else 429
    language = session.get("lang")
    session.clear()
    session.update(user_id=user.id, seen_at=datetime.now(timezone.utc).timestamp())
    if language:
        session["lang"] = language
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    """End the session."""
    if g.get("user") is not None:
        audit.record(db.session, "logout", user_email=g.user.email)
        db.session.commit()
    session.clear()
    flash("Sie sind abgemeldet.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required()
def change_password():
    """Change one's own password."""
    if request.method == "GET":
        return render_template("auth/password.html")
    try:
        service.change_password(g.user, request.form.get("current", ""),
                                request.form.get("new", ""), request.form.get("repeat", ""))
    except service.AccountError as error:
        return render_template("auth/password.html", error=str(error)), 422
    audit.record(db.session, "password_changed", user_email=g.user.email)
    db.session.commit()
    flash("Ihr Passwort wurde geändert.")
    return redirect(url_for("backoffice.home"))
