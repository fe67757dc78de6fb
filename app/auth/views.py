"""Login, logout and password change for staff, police and the programme office."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from ..actions import ActionError, accounts
from ..extensions import db
from ..forms import refused
from ..ratelimits import login_limits, password_change_limits
from .access import login_required, signed_in, start_session
from .forms import LoginForm, LogoutForm, PasswordForm

bp = Blueprint("auth", __name__, template_folder="templates")
# The staff layout's logout button, on every back-office page.
bp.add_app_template_global(LogoutForm, "logout_form")

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
    form = LoginForm()
    if not form.validate_on_submit():
        # current_user first: loading it ends an expired session and says why.
        ended = None if current_user.is_authenticated else SESSION_ENDED.get(
            session.pop("ended", ""))
        return render_template("auth/login.html", form=form, ended=ended)
    try:
        user = accounts.log_in(db.session, form.email.data, form.password.data or "")
    except ActionError as error:
        return render_template("auth/login.html", form=form, error=error.message), 401
    start_session(user)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    """End the session, and every other session of the account."""
    if current_user.is_authenticated:
        accounts.log_out(db.session, signed_in())
        logout_user()
    session.clear()
    flash("Sie sind abgemeldet.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required()
@password_change_limits
def change_password():
    """Change one's own password; every other session of the account ends."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form)
    try:
        accounts.change_password(db.session, signed_in(), form.current.data or "",
                                 form.new.data or "", form.repeat.data or "")
    except ActionError as error:
        refused(form, error)
        return render_template("auth/password.html", form=form), 422
    start_session(signed_in(), started_at=session.get("started_at"))
    flash("Ihr Passwort wurde geändert. Alle anderen Sitzungen Ihres Kontos sind beendet.")
    return redirect(url_for("backoffice.home"))
