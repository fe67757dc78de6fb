"""Login and password change forms (Flask-WTF: CSRF through the form)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from .service import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = StringField("E-Mail-Adresse", filters=[lambda text: (text or "")[:254]])
    password = PasswordField("Passwort")


class LogoutForm(FlaskForm):
    """The logout button of the staff layout: its CSRF token only."""


class PasswordForm(FlaskForm):
    """Checked by the action (accounts.change_password), which names the wrong field."""

    current = PasswordField("Bisheriges Passwort")
    new = PasswordField(f"Neues Passwort (mindestens {MIN_PASSWORD_LENGTH} Zeichen)")
    repeat = PasswordField("Neues Passwort wiederholen")
