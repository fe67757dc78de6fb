"""Extension objects, created once and bound to an app by ``init_app``."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session

from .survey.draft_store import DraftStore

csrf = CSRFProtect()


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
    cursor.close()


def make_engine(url: str, durable: bool = True) -> Engine:
    """The engine for ``url``. ``durable=False`` (PostgreSQL only) commits without
    waiting for the disk: for draft progress, where losing the last second of page
    saves in a server crash costs a resident one page, never a completed response."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = {} if durable else {"options": "-c synchronous_commit=off"}
    # No pre-ping: it costs a round trip per request. After a database restart the first
    # request of each worker fails once and the pool is renewed.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600,
                         connect_args=options)


class Database:
    """One SQLAlchemy session per app context, on the engine of the current app."""

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

    @property
    def drafts(self) -> DraftStore:
        """Reads and saves of residents' drafts on every page (see DraftStore)."""
        return current_app.extensions["draft_store"]

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        engine = make_engine(url)
        app.extensions["database_engine"] = engine
        app.extensions["draft_engine"] = engine if url.startswith("sqlite") else \
            make_engine(url, durable=False)
        app.extensions["draft_store"] = DraftStore(app.extensions["draft_engine"])
        app.teardown_appcontext(self._remove_session)

    def _remove_session(self, _exc: BaseException | None) -> None:
        self.session.remove()


db = Database()
