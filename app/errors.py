"""Error pages: a plain message in the resident's language, never a stack trace."""
from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .i18n import translate

MESSAGES = {400: "bad_request", 403: "forbidden", 404: "not_found", 413: "too_large"}


def _page(message_key: str, status: int):
    return render_template("error.html", message=translate(message_key)), status


def handle_csrf_error(_error: CSRFError):
    return _page("csrf_failed", 400)


def handle_http_error(error: HTTPException):
    key = MESSAGES.get(error.code or 500)
    if key is None:
        return error
    return _page(key, error.code)


def handle_unexpected_error(error: Exception):
    current_app.logger.exception("unhandled error", exc_info=error)
    db.session.rollback()
    return _page("server_error", 500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected_error)
