"""Numbers from the environment: one parser, a clear error naming the variable."""
from __future__ import annotations

import pytest

from app.config import (ConfigError, job_config, load_config, rate_limit_config,
                        session_max_hours)


def test_unset_or_blank_numbers_take_their_defaults(monkeypatch):
    monkeypatch.setenv("JOB_TIMEOUT_MINUTES", " ")
    for name in ("SESSION_MAX_HOURS", "TRUSTED_PROXIES", "LETTERS_IN_REQUEST_MAX"):
        monkeypatch.delenv(name, raising=False)
    assert session_max_hours() == 12
    assert rate_limit_config()["TRUSTED_PROXIES"] == 0
    config = job_config()
    assert config["JOB_TIMEOUT_MINUTES"] == 30 and config["LETTERS_IN_REQUEST_MAX"] == 200


def test_numbers_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SESSION_MAX_HOURS", "0.5")
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    monkeypatch.setenv("JOB_RETENTION_HOURS", "48")
    assert session_max_hours() == 0.5
    assert rate_limit_config()["TRUSTED_PROXIES"] == 2
    assert job_config()["JOB_RETENTION_HOURS"] == 48


@pytest.fixture
def app_config(monkeypatch, tmp_path):
    """load_config as the app factory calls it (a SECRET_KEY given: no key file)."""
    monkeypatch.setenv("SECRET_KEY", "test")
    return lambda: load_config(str(tmp_path))


def test_cache_and_idle_times_default_and_come_from_the_environment(monkeypatch, app_config):
    monkeypatch.delenv("SURVEY_CACHE_SECONDS", raising=False)
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "")
    config = app_config()
    assert config["SURVEY_CACHE_SECONDS"] == 5 and config["SESSION_IDLE_MINUTES"] == 30
    monkeypatch.setenv("SURVEY_CACHE_SECONDS", "0.5")
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "45")
    config = app_config()
    assert config["SURVEY_CACHE_SECONDS"] == 0.5 and config["SESSION_IDLE_MINUTES"] == 45


@pytest.mark.parametrize("name, value", [
    ("SURVEY_CACHE_SECONDS", "fünf"),
    ("SURVEY_CACHE_SECONDS", "-1"),
    ("SESSION_IDLE_MINUTES", "dreißig"),
    ("SESSION_IDLE_MINUTES", "0"),
])
def test_bad_cache_or_idle_times_stop_the_start(monkeypatch, app_config, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name} must be a number greater than 0, "
                                          f"not '{value}'$"):
        app_config()


@pytest.mark.parametrize("name, value, message", [
    ("SESSION_MAX_HOURS", "zwölf", "a number greater than 0 and less than 10000, not 'zwölf'"),
    ("SESSION_MAX_HOURS", "10000", "a number greater than 0 and less than 10000, not '10000'"),
    ("SESSION_MAX_HOURS", "0", "a number greater than 0 and less than 10000, not '0'"),
    ("JOB_TIMEOUT_MINUTES", "-5", "a number greater than 0, not '-5'"),
    ("LETTERS_RETENTION_MINUTES", "nan", "a number greater than 0, not 'nan'"),
    ("TRUSTED_PROXIES", "1.5", "a whole number of 0 or more, not '1.5'"),
    ("TRUSTED_PROXIES", "-1", "a whole number of 0 or more, not '-1'"),
])
def test_bad_numbers_stop_the_start_with_the_variable_named(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name} must be {message}$"):
        session_max_hours() if name == "SESSION_MAX_HOURS" else (
            rate_limit_config() if name == "TRUSTED_PROXIES" else job_config())
