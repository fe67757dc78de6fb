"""Who is logged in, and what they may see: roles and municipality isolation.

Every back-office view goes through ``login_required`` and loads its objects with
the ``*_or_404`` helpers, so a user of one municipality gets 404 for another's data.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import wraps
from typing import Callable

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Municipality, Survey, User

STAFF_ROLES = ("admin", "staff")
ALL_ROLES = ("admin", "staff", "police")


def load_user() -> None:
    """Before each request: the logged-in user, unless the session has ended: idle for
    SESSION_IDLE_MINUTES, older than SESSION_MAX_HOURS, or made under an earlier session
    version of the account (logout or password change elsewhere)."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = datetime.now(timezone.utc).timestamp()
    config = current_app.config
    if now - session.get("seen_at", 0) > config["SESSION_IDLE_MINUTES"] * 60 or \
            now - session.get("started_at", 0) > config["SESSION_MAX_HOURS"] * 3600:
        end_session("expired")
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        end_session()
        return
    if session.get("version") != user.session_version:
        end_session("ended")
        return
    session["seen_at"] = now
    g.user = user


def start_session(user: User, started_at: float | None = None) -> None:
    """A fresh session for ``user`` (nothing of an earlier one is kept but the language:
    against session fixation), under the account's current session version."""
    now = datetime.now(timezone.utc).timestamp()
    language = session.get("lang")
    session.clear()
    session.update(user_id=user.id, version=user.session_version,
                   started_at=started_at or now, seen_at=now)
    if language:
        session["lang"] = language


def end_session(reason: str | None = None) -> None:
    """Log out of this session; ``reason`` is told on the login page."""
    for key in ("user_id", "version", "started_at", "seen_at"):
        session.pop(key, None)
    if reason:
        session["ended"] = reason


def login_required(*roles: str) -> Callable:
    """Require a logged-in user with one of ``roles`` (403 for the wrong role)."""
    allowed = roles or ALL_ROLES

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                return redirect(url_for("auth.login", next=request.path))
            if g.user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_roles = allowed
        return wrapped
    return decorator


def visible_municipality_ids(user: User) -> set[int] | None:
    """The municipalities a user may see; None means all (admin)."""
    if user.role == "admin":
        return None
    return {municipality.id for municipality in user.municipalities}


def may_see(user: User, municipality_id: int) -> bool:
    ids = visible_municipality_ids(user)
    return ids is None or municipality_id in ids


def municipality_or_404(slug: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None or not may_see(g.user, municipality.id):
        abort(404)
    return municipality


def survey_or_404(slug: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None or not may_see(g.user, survey.municipality_id):
        abort(404)
    return survey

