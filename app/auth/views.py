"""Login, logout and password change for staff, police and the programme office."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from .. import audit
from ..extensions import db
from ..ratelimits import login_limits, password_change_limits
from . import service
from .access import login_required, signed_in, start_session

bp = Blueprint("auth", __name__, template_folder="templates")

# One answer for an unknown account, a wrong password and a locked account, so that
# nobody learns which accounts exist or are locked. The owner, who knows the password
# is right, learns from it how to get in: wait for the lock to end.
LOGIN_FAILED = (
    "E-Mail-Adresse oder Passwort stimmen nicht. Nach "
    f"{service.MAX_FAILED_LOGINS} Fehlversuchen in Folge nimmt ein Konto "
    f"{service.LOCK_MINUTES} Minuten lang kein Passwort an, auch das richtige nicht. "
    "Sind Sie sicher, dass Ihr Passwort stimmt, versuchen Sie es nach "
    f"{service.LOCK_MINUTES} Minuten noch einmal.")
SESSION_ENDED = {
    "expired": "Ihre Sitzung war abgelaufen. Bitte melden Sie sich erneut an.",
    "ended": "Sie wurden abgemeldet: Ihr Konto wurde an anderer Stelle abgemeldet oder "
             "sein Passwort geändert. Bitte melden Sie sich erneut an.",
}
# A path of this site: one "/", then neither "/" nor "\" (browsers read both "//" and
# "/\" as another host), and no control character anywhere (browsers drop tabs and
# line breaks, so "/\t/evil.example" becomes "//evil.example").
SAME_SITE_PATH = re.compile(r"/[^/\\\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*")


def safe_next(target: str | None) -> str:
    """Only paths of this site: never redirect to another host after login."""
    if target and len(target) <= 2000 and SAME_SITE_PATH.fullmatch(target):
        return target
    return url_for("backoffice.home")


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Login form; on success a fresh session (against session fixation)."""
    if request.method == "GET":
        return render_template("auth/login.html",
                               ended=SESSION_ENDED.get(session.pop("ended", "")))
    email = request.form.get("email", "")[:254]
    user, problem = service.authenticate(db.session, email, request.form.get("password", ""))
    audit.record(db.session, "login" if not problem else f"login_{problem}",
                 user_email=email.strip().lower()[:254])
    db.session.commit()
    if user is None:
        return render_template("auth/login.html", error=LOGIN_FAILED, email=email), 401
    start_session(user)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    """End the session, and every other session of the account."""
    if current_user.is_authenticated:
        service.end_sessions(db.session, signed_in())
        audit.record(db.session, "logout", user_email=current_user.email)
        db.session.commit()
        logout_user()
    session.clear()
    flash("Sie sind abgemeldet.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required()
@password_change_limits
def change_password():
    """Change one's own password; every other session of the account ends."""
    if request.method == "GET":
        return render_template("auth/password.html")
    try:
        service.change_password(db.session, current_user, request.form.get("current", ""),
                                request.form.get("new", ""), request.form.get("repeat", ""))
    except service.AccountError as error:
        return render_template("auth/password.html", error=str(error)), 422
    audit.record(db.session, "password_changed", user_email=current_user.email)
    db.session.commit()
    start_session(signed_in(), started_at=session.get("started_at"))
    flash("Ihr Passwort wurde geändert. Alle anderen Sitzungen Ihres Kontos sind beendet.")
    return redirect(url_for("backoffice.home"))
