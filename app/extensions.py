"""Extension objects, created once and bound to an app by ``init_app``."""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_login import LoginManager, current_user
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, scoped_session


csrf = CSRFProtect()


class RateLimits(Limiter):
    """Flask-Limiter, checking only the views it decorates (login, password change, code
    entry: see app/ratelimits.py). Its own init_app also hooks into every request of the
    app, for app-wide limits and headers that we do not use: every resident page view
    and page save would pay for those hooks, so they are taken out again."""

    def init_app(self, app: Flask) -> None:
        self._storage_dead = False  # a new binding starts on its own storage
        super().init_app(app)
        for hooks in (app.before_request_funcs, app.after_request_funcs,
                      app.teardown_request_funcs):
            hooks[None] = [hook for hook in hooks.get(None, []) if not self._owns(hook)]
        if (app.config.get("APP_ENV") == "production" and app.config.get("RATELIMIT_ENABLED")
                and app.config.get("RATELIMIT_STORAGE_URI", "").startswith("memory://")):
            app.logger.warning(
                "Rate limits are counted in each worker's memory (no REDIS_URL or "
                "RATELIMIT_STORAGE_URI): every worker process allows the full limit and a "
                "restart forgets it. Set REDIS_URL so that all workers count together.")

    def _owns(self, hook: Any) -> bool:
        return getattr(hook, "__self__", None) is self or (
            isinstance(hook, partial) and hook.args[:1] == (self,))


class StaffLogins(LoginManager):
    """Flask-Login for the back office. Its own init_app hooks into every response (for
    remember-me cookies, which we do not use) and by default loads the account for every
    template rendered: residents' requests must never look for an account, so neither
    hook is registered. The account is loaded only where ``current_user`` is read (staff
    views and app/templates/staff_layout.html); see app/auth/access.py."""

    def init_app(self, app: Flask) -> None:  # type: ignore[override]
        app.login_manager = self  # type: ignore[attr-defined]
        app.add_template_global(current_user, "current_user")  # a lazy proxy


login_manager = StaffLogins()

# Every limit names its own key function and reads its limit from the app's config.
limiter = RateLimits(key_func=get_remote_address, strategy="moving-window")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer built once per app instead of on
    every request (the secret key does not change while the app runs)."""

    def get_signing_serializer(self, app: Flask):
        serializer = app.extensions.get("session_serializer")
        if serializer is None:
            serializer = app.extensions["session_serializer"] = \
                super().get_signing_serializer(app)
        return serializer


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Deleted rows (a completed code's draft) are overwritten with zeros, not left in
    # the file's free space next to the responses.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _private_sqlite_file(url: str) -> None:
    """The database file (and so its -wal and -shm files, which SQLite creates with the
    same mode) readable by the app's own user only."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def make_engine(url: str, durable: bool = True) -> Engine:
    """The engine for ``url``. ``durable=False`` (PostgreSQL only) commits without
    waiting for the disk: for draft progress, where losing the last second of page
    saves in a server crash costs a resident one page, never a completed response."""
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = {} if durable else {"options": "-c synchronous_commit=off"}
    # No pre-ping: it costs a round trip per request. After a database restart the first
    # request of each worker fails once and the pool is renewed.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600,
                         connect_args=options)


class Database:
    """One SQLAlchemy session per app context, on the engine of the current app. The
    feature packages add what they need on top when their blueprint is registered (the
    survey: its draft store and SQLite's bitmap functions)."""

    def __init__(self) -> None:
        self.session = scoped_session(self._new_session, scopefunc=self._scope)

    @staticmethod
    def _scope() -> int:
        return id(g._get_current_object())

    def _new_session(self) -> Session:
        return Session(bind=self.engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["database_engine"]

    @property
    def draft_engine(self) -> Engine:
        """For residents' page-by-page progress (see make_engine)."""
        return current_app.extensions["draft_engine"]

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        engine = make_engine(url)
        app.extensions["database_engine"] = engine
        app.extensions["draft_engine"] = engine if url.startswith("sqlite") else \
            make_engine(url, durable=False)
        app.teardown_appcontext(self._remove_session)

    def _remove_session(self, _exc: BaseException | None) -> None:
        self.session.remove()


db = Database()
