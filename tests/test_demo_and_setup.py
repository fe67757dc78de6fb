"""The demo municipality, configuration from the environment, and the migrations."""
from __future__ import annotations

import os
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from app import create_app
from app.config import ConfigError, database_url, secret_key
from app.extensions import db
from app.models import Base, District, PopulationCell, Response, Survey


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (District, PopulationCell, Survey, Response)}


def test_demo_creates_kassel_once(app, runner):
    first = runner.invoke(args=["demo", "--responses", "300", "--seed", "7"])
    assert first.exit_code == 0, first.output
    assert "Created municipality 'kassel' with 23 districts" in first.output
    after_first = counts(app)
    assert after_first == {"District": 23, "PopulationCell": 23 * 2 * 6, "Survey": 1,
                           "Response": 300}
    second = runner.invoke(args=["demo", "--responses", "300", "--seed", "7"])
    assert second.exit_code == 0 and "already exists" in second.output
    assert "added: 0 (now 300)" in second.output
    assert counts(app) == after_first


def test_demo_responses_differ_by_district_gender_and_age(app, runner):
    runner.invoke(args=["demo", "--responses", "2000", "--seed", "3"])
    with app.app_context():
        survey = db.session.scalar(select(Survey))
        answers = [r.answers for r in db.session.scalars(select(Response))]
        cells = db.session.scalars(select(PopulationCell)).all()
    assert survey.status == "open" and survey.access_mode == "open"
    assert all(cell.is_demo for cell in cells)

    def unsafe_share(rows):
        valid = [r["safety_night"] for r in rows if r["safety_night"] in (1, 2, 3, 4)]
        return sum(v >= 3 for v in valid) / len(valid)

    nord = unsafe_share([a for a in answers if a["district"] == "11"])
    brasselsberg_etc = unsafe_share([a for a in answers if a["district"] in ("06", "21", "22")])
    women = unsafe_share([a for a in answers if a.get("gender") == "f"])
    men = unsafe_share([a for a in answers if a.get("gender") == "m"])
    assert nord > brasselsberg_etc + 0.15
    assert women > men + 0.05
    assert {a["district"] for a in answers} == {f"{n:02d}" for n in range(1, 24)}


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(str(tmp_path), production=False)
    assert len(first) >= 64 and secret_key(str(tmp_path), production=False) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_production_requires_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY must be set when APP_ENV=production"):
        create_app()


def test_database_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path}/sicherheit.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert database_url(str(tmp_path)) == "postgresql+psycopg://u@h/db"


def test_migrations_build_exactly_the_schema_of_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_demo_accounts_can_log_in_and_are_created_once(app, runner, client):
    from app.demo import DEMO_PASSWORD
    from app.models import User

    from .staff import login

    runner.invoke(args=["demo", "--responses", "0"])
    result = runner.invoke(args=["demo", "--responses", "0"])
    assert "staff@kassel.demo.invalid (staff)" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 3
    assert login(client, "staff@kassel.demo.invalid", DEMO_PASSWORD).status_code == 302


@pytest.mark.parametrize("environment, expected", [
    ({"PORT": "8123"}, "http://127.0.0.1:8123"),
    ({}, "http://127.0.0.1:5000"),
    ({"PORT": "8123", "PUBLIC_BASE_URL": "https://umfrage.kassel.de"},
     "https://umfrage.kassel.de"),
])
def test_letters_point_where_the_app_is_served(monkeypatch, tmp_path, environment, expected):
    """`make run PORT=8123`: links, letters and QR codes name port 8123, not 5000."""
    from app.config import load_config

    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert load_config(str(tmp_path))["PUBLIC_BASE_URL"] == expected
