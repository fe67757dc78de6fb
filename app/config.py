"""Configuration from the environment, with safe defaults for a single machine."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def normalise_database_url(url: str) -> str:
    """Map a plain ``postgresql://`` URL to the psycopg 3 driver that we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def database_url(instance_path: str) -> str:
    """DATABASE_URL, or an SQLite file in the instance folder."""
    return normalise_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'sicherheit.db'}")


def secret_key(instance_path: str, production: bool) -> str:
    """SECRET_KEY from the environment; outside production one generated once and kept."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker process wrote it a moment ago
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(instance_path: str) -> dict[str, Any]:
    production = os.environ.get("APP_ENV", "development") == "production"
    return {
        "APP_ENV": "production" if production else "development",
        "DATABASE_URL": database_url(instance_path),
        "SECRET_KEY": secret_key(instance_path, production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Over HTTPS only this host can set the back-office session cookie.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,  # uploads are checked at 5 MB with a message
        # Resident pages keep a survey's settings this long per worker process.
        "SURVEY_CACHE_SECONDS": float(os.environ.get("SURVEY_CACHE_SECONDS", "5")),
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        # Where residents reach the app: used in invitation letters and QR codes.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "WTF_CSRF_TIME_LIMIT": None,  # a resident may take hours over one page
    }
