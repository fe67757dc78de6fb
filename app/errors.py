"""Error pages: a plain message in the resident's language, never a stack trace."""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, render_template
from flask_babel import gettext, ngettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db, limiter
from .i18n import number, text_for

MESSAGES = {400: "bad_request", 403: "forbidden", 404: "not_found", 413: "too_large"}


def _page(message_key: str, status: int):
    return render_template("error.html", message=text_for(message_key)), status


def handle_csrf_error(_error: CSRFError):
    return _page("csrf_failed", 400)


def handle_http_error(error: HTTPException):
    key = MESSAGES.get(error.code or 500)
    if key is None:
        return error
    return _page(key, error.code)


def _minutes_to_wait() -> int:
    """Until the limit that was hit lets the next attempt through (at least one)."""
    try:
        breached = limiter.current_limit
        reset_at = breached.reset_at if breached is not None else 0
    except Exception:  # noqa: BLE001 (storage gone meanwhile: the page still shows)
        reset_at = 0
    return max(1, math.ceil((reset_at - time.time()) / 60))


def handle_rate_limited(_error: RateLimitExceeded):
    """429 with the time to wait, in the visitor's language; never a stack trace."""
    minutes = _minutes_to_wait()
    # TRANSLATORS: the number of minutes is %(minutes)s; the singular may use it too.
    wait = ngettext("eine Minute", "%(minutes)s Minuten", minutes, minutes=number(minutes))
    message = gettext("Zu viele Versuche in kurzer Zeit. Bitte warten Sie %(wait)s und "
                      "versuchen Sie es dann noch einmal.", wait=wait)
    page = render_template("error.html", message=message)
    return page, 429, {"Retry-After": str(minutes * 60)}


def handle_unexpected_error(error: Exception):
    current_app.logger.exception("unhandled error", exc_info=error)
    db.session.rollback()
    return _page("server_error", 500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected_error)
