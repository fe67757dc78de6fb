"""Fixtures: a fresh database per test session (SQLite file, or a new PostgreSQL
database when TEST_DATABASE_URL is set), emptied after every test."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, make_url, text

from app import create_app, migrate
from app.config import normalise_database_url
from app.demo import load_demo
from app.extensions import db
from app.models import Base, Survey


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        migrate.upgrade(url)
        yield url
        return
    base = make_url(normalise_database_url(server_url))
    name = f"sicherheit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def is_postgresql(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def app(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[Flask]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    monkeypatch.delenv("APP_ENV", raising=False)
    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    yield app
    engine = app.extensions["database_engine"]
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    app.extensions["draft_store"].close()
    app.extensions["draft_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def survey(app: Flask) -> Survey:
    """The demo survey kassel-2026 (standard questionnaire, open), without responses."""
    with app.app_context():
        load_demo(db.session, responses=0)
        return db.session.query(Survey).filter_by(slug="kassel-2026").one()


@pytest.fixture
def make_codes(app: Flask, survey: Survey):
    """``make_codes(n)``: the demo survey taken to invitation codes, and ``n`` new codes
    for its first district, in plain text."""
    from app.survey.service import new_codes

    def make(count: int) -> list[str]:
        with app.app_context():
            coded = db.session.get(Survey, survey.id)
            coded.access_mode = "codes"
            district = coded.municipality.districts[0]
            plain = new_codes(db.session, coded, count, district_id=district.id)
            db.session.commit()
            return plain
    return make
