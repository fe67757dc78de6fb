"""Configuration from the environment, with safe defaults for a single machine."""
from __future__ import annotations

import math
import os
import secrets
from pathlib import Path
from typing import Any

from limits import parse_many


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


def rate_limit_storage() -> str:
    """Where login and code-entry attempts are counted: RATELIMIT_STORAGE_URI, else the
    Redis of REDIS_URL (shared by every worker and web server), else this process's
    memory (a fresh machine has no Redis; see extensions.RateLimits)."""
    return (os.environ.get("RATELIMIT_STORAGE_URI", "").strip()
            or os.environ.get("REDIS_URL", "").strip() or "memory://")


# Flask-Limiter's limits ("N per minute; M per hour"), each replaceable from the
# environment under the same name.
RATE_LIMITS = {
    "RATELIMIT_LOGIN_PER_IP": "20 per minute; 200 per hour",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "10 per 15 minutes",  # per e-mail address typed
    "RATELIMIT_PASSWORD_PER_IP": "20 per hour",
    "RATELIMIT_PASSWORD_PER_ACCOUNT": "10 per hour",
    "RATELIMIT_CODE_PER_IP": "30 per minute; 300 per hour",
    "RATELIMIT_CODE_PER_CODE": "20 per hour",  # per invitation code typed
}


def env_number(name: str, default: float, *, whole: bool = False, above: float = 0,
               below: float = math.inf) -> float:
    """The number the environment variable ``name`` holds (``default`` when unset or
    blank), strictly between ``above`` and ``below``; ``whole``: 0, 1, 2 ... only.
    Anything else stops the start with a ConfigError that names the variable."""
    value = os.environ.get(name, "").strip() or str(default)
    if whole:
        if not value.isdigit():
            raise ConfigError(f"{name} must be a whole number of 0 or more, not '{value}'")
        return int(value)
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not above < number < below:
        bounds = f"greater than {above:g}" + (f" and less than {below:g}" if below < math.inf
                                               else "")
        raise ConfigError(f"{name} must be a number {bounds}, not '{value}'")
    return number


def _switch(name: str, default: bool = True) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
        raise ConfigError(f"{name} must be on or off, not '{value}'")
    return value in ("on", "1", "true", "yes")


def session_max_hours() -> float:
    return env_number("SESSION_MAX_HOURS", 12, below=10_000)


def rate_limit_config() -> dict[str, Any]:
    """Flask-Limiter's settings and ours (see app/ratelimits.py)."""
    limits = {name: os.environ.get(name, "").strip() or default
              for name, default in RATE_LIMITS.items()}
    for name, value in limits.items():
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(f"{name}: '{value}' is not a rate limit such as "
                              "'10 per minute; 100 per hour'") from None
    storage = rate_limit_storage()
    return {
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        "RATELIMIT_STORAGE_URI": storage,
        # A Redis that does not answer holds no login up for longer than this.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}
        if storage.startswith("redis") else {},
        # A Redis that is down or slow must not take logins down with it: counting goes
        # on in this process's memory until it answers again.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "sicherheit",
        # How many reverse proxies in front of the app append to X-Forwarded-For: the
        # address counted "per IP" is the one the outermost trusted proxy saw. 0: the
        # address of the connection itself (behind a proxy: the proxy, for everyone).
        "TRUSTED_PROXIES": env_number("TRUSTED_PROXIES", 0, whole=True),
        **limits,
    }


def job_config() -> dict[str, Any]:
    """The job queue for reports and letter batches (see app/jobs/)."""
    return {
        # Redis for the job queue; unset: jobs run inside the web processes, one at a time
        # per process (a fresh machine with SQLite and no Redis).
        "REDIS_URL": os.environ.get("REDIS_URL", "").strip() or None,
        "JOB_QUEUE": os.environ.get("JOB_QUEUE", "").strip() or "sicherheit-jobs",
        # Finished reports are kept this long, then deleted with their job.
        "JOB_RETENTION_HOURS": env_number("JOB_RETENTION_HOURS", 24),
        # Letters carry the invitation codes in plain text: deleted once downloaded, at
        # the latest after this many minutes.
        "LETTERS_RETENTION_MINUTES": env_number("LETTERS_RETENTION_MINUTES", 60),
        # A job still running after this long is stopped (RQ) or given up as failed.
        "JOB_TIMEOUT_MINUTES": env_number("JOB_TIMEOUT_MINUTES", 30),
        # Processes (each with its own Chromium) that render the reports of one pack; a
        # worker making a pack uses this many more processes while it runs.
        "REPORT_WORKERS": int(env_number("REPORT_WORKERS", 2)),
        # Up to this many codes the letters are made in the web request itself.
        "LETTERS_IN_REQUEST_MAX": int(env_number("LETTERS_IN_REQUEST_MAX", 200)),
    }


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
        "SURVEY_CACHE_SECONDS": env_number("SURVEY_CACHE_SECONDS", 5),
        # off: resident pages without any of their caches and shortcuts (for comparing;
        # see app/survey/hot_path.py), or without those named in RESIDENT_SPEEDUPS_OFF.
        "RESIDENT_CACHES": _switch("RESIDENT_CACHES"),
        "RESIDENT_SPEEDUPS_OFF": frozenset(
            name.strip() for name in os.environ.get("RESIDENT_SPEEDUPS_OFF", "").split(",")
            if name.strip()),
        "SESSION_IDLE_MINUTES": env_number("SESSION_IDLE_MINUTES", 30),
        # However active: a stolen or forgotten session cookie ends after this many hours.
        "SESSION_MAX_HOURS": session_max_hours(),
        # Where residents reach the app: used in invitation letters and QR codes.
        # Defaults to the port `make run` serves (PORT), so that letters and QR codes of a
        # local installation point where it actually runs.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL")
        or f"http://127.0.0.1:{os.environ.get('PORT') or '5000'}",
        "WTF_CSRF_TIME_LIMIT": None,  # a resident may take hours over one page
        **rate_limit_config(),
        **job_config(),
    }
