"""Who is logged in, and what they may see: roles and municipality isolation.

Flask-Login's ``current_user`` is the account of the session, loaded by ``load_user``
the first time a request reads it: only staff views and the staff layout do, so a
resident's request never looks for an account. Every back-office view goes through
``login_required`` and loads its objects with the ``*_or_404`` helpers, so a user of one
municipality gets 404 for another's data.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import wraps
from typing import Callable

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..models import Municipality, Role, Survey, User

STAFF_ROLES = (Role.ADMIN, Role.STAFF)
ALL_ROLES = (Role.ADMIN, Role.STAFF, Role.POLICE)
# What a session holds besides the language: Flask-Login's account id, and ours.
SESSION_KEYS = ("_user_id", "_fresh", "_id", "version", "started_at", "seen_at")

login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says why itself (see SESSION_ENDED)
login_manager.session_protection = None  # ours: a fresh session at login, session versions


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The account of this session, unless the session has ended: idle for
    SESSION_IDLE_MINUTES, older than SESSION_MAX_HOURS, or made under an earlier session
    version of the account (logout or password change elsewhere)."""
    now = datetime.now(timezone.utc).timestamp()
    config = current_app.config
    if now - session.get("seen_at", 0) > config["SESSION_IDLE_MINUTES"] * 60 or \
            now - session.get("started_at", 0) > config["SESSION_MAX_HOURS"] * 3600:
        end_session("expired")
        return None
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active:
        end_session()
        return None
    if session.get("version") != user.session_version:
        end_session("ended")
        return None
    session["seen_at"] = now
    return user


@login_manager.unauthorized_handler
def to_login():
    """To the login page, which returns here afterwards (auth.views.safe_next checks it)."""
    here = request.full_path if request.query_string else request.path
    return redirect(url_for(login_manager.login_view, next=here))


def start_session(user: User, started_at: float | None = None) -> None:
    """A fresh session for ``user`` (nothing of an earlier one is kept but the language:
    against session fixation), under the account's current session version."""
    now = datetime.now(timezone.utc).timestamp()
    language = session.get("lang")
    session.clear()
    login_user(user)
    session.pop("_id", None)  # Flask-Login's hash of address and browser: not needed
    session.update(version=user.session_version, started_at=started_at or now, seen_at=now)
    if language:
        session["lang"] = language


def end_session(reason: str | None = None) -> None:
    """Log out of this session; ``reason`` is told on the login page. (Not Flask-Login's
    logout_user: that reads current_user, and this runs while it is being loaded.)"""
    for key in SESSION_KEYS:
        session.pop(key, None)
    if reason:
        session["ended"] = reason


def signed_in() -> User:
    """The logged-in account itself (``current_user`` is a proxy of it)."""
    return current_user._get_current_object()


def login_required(*roles: Role) -> Callable:
    """Require a logged-in user with one of ``roles`` (403 for the wrong role)."""
    allowed = roles or ALL_ROLES

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_roles = allowed
        return wrapped
    return decorator


def visible_municipality_ids(user: User) -> set[int] | None:
    """The municipalities a user may see; None means all (admin)."""
    if user.role == Role.ADMIN:
        return None
    return {municipality.id for municipality in user.municipalities}


def may_see(user: User, municipality_id: int) -> bool:
    ids = visible_municipality_ids(user)
    return ids is None or municipality_id in ids


def municipality_or_404(slug: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None or not may_see(current_user, municipality.id):
        abort(404)
    return municipality


def survey_or_404(slug: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None or not may_see(current_user, survey.municipality_id):
        abort(404)
    return survey

