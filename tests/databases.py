"""Test databases: each a new one (a SQLite file, or a database of its own on the
TEST_DATABASE_URL server, dropped at the end), and the shared demo that read-only tests
read: built once per session, checked after every test that it is still as built."""
from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Connection, create_engine, delete, func, make_url, select, text

from app import create_app, migrate
from app.config import normalise_database_url
from app.demo import load_demo
from app.extensions import db
from app.models import AuditEvent, Base

from .staff import make_users

DEMO_RESPONSES = 1500
# What logging in writes: the audit event of the login (the account's counters are
# set to what they are already). Removed after each test; anything else is a write.
LOGIN_ACTIONS = ("login", "logout")


@contextmanager
def new_database(directory: Path, name: str) -> Iterator[str]:
    """The URL of a new, migrated database."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        url = f"sqlite:///{directory / f'{name}.db'}"
        migrate.upgrade(url)
        yield url
        return
    base = make_url(normalise_database_url(server_url))
    database = f"sicherheit_{name}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        url = base.set(database=database).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def new_app(url: str, instance_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app on ``url``, as tests configure it: through the environment, which
    ``monkeypatch`` restores."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    monkeypatch.delenv("APP_ENV", raising=False)
    return create_app({"TESTING": True}, instance_path=str(instance_path))


@contextmanager
def app_on_new_database(directory: Path, name: str) -> Iterator[Flask]:
    """An app on a new database of its own: for a module's fixture that builds its data
    once for several focused tests."""
    with new_database(directory, name) as url:
        with pytest.MonkeyPatch.context() as monkeypatch:
            app = new_app(url, directory / "instance", monkeypatch)
        try:
            yield app
        finally:
            close_app(app)


def close_app(app: Flask) -> None:
    app.extensions["draft_store"].close()
    app.extensions["draft_engine"].dispose()
    app.extensions["database_engine"].dispose()


def empty(app: Flask) -> None:
    with app.extensions["database_engine"].begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


class SharedDemo:
    """The demo municipality (DEMO_RESPONSES synthetic responses) with the accounts of
    tests/staff.py, for tests that only read it."""

    def __init__(self, url: str, instance_path: Path) -> None:
        self.url = url
        self.instance_path = instance_path
        self.engine = create_engine(url)
        self.built: dict[str, str] = {}
        self.last_event = 0

    def build(self) -> None:
        with pytest.MonkeyPatch.context() as monkeypatch:
            app = new_app(self.url, self.instance_path, monkeypatch)
            try:
                empty(app)
                with app.app_context():
                    load_demo(db.session, responses=DEMO_RESPONSES)
                make_users(app)
            finally:
                close_app(app)
        with self.engine.connect() as connection:
            self.built = fingerprint(connection)
            self.last_event = connection.scalar(select(func.max(AuditEvent.id))) or 0

    @contextmanager
    def reading(self) -> Iterator[Flask]:
        """An app on the demo for a module's fixture; the demo is checked afterwards."""
        with pytest.MonkeyPatch.context() as monkeypatch:
            app = new_app(self.url, self.instance_path, monkeypatch)
        try:
            yield app
        finally:
            close_app(app)
        changes = self.changes()
        assert not changes, f"a module fixture wrote to the shared demo database: {changes}"

    def changes(self) -> list[str]:
        """The tables that differ from the built demo, once the logins' own audit events
        are removed."""
        with self.engine.begin() as connection:
            connection.execute(delete(AuditEvent).where(AuditEvent.id > self.last_event,
                                                        AuditEvent.action.in_(LOGIN_ACTIONS)))
            now = fingerprint(connection)
        return [f"{table} ({self.built[table]} -> {now[table]})" for table in now
                if now[table] != self.built[table]]

    def close(self) -> None:
        self.engine.dispose()


def fingerprint(connection: Connection) -> dict[str, str]:
    """Per table: its row count and a hash of all its rows."""
    prints = {}
    for table in Base.metadata.sorted_tables:
        rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:12]
        prints[table.name] = f"{len(rows)} rows, {digest}"
    return prints
