"""The Flask application: ``create_app()`` builds it from small register steps."""
from __future__ import annotations

from typing import Any

from flask import Flask

from . import i18n
from .config import load_config
from .extensions import SessionCookies, csrf, db, limiter, login_manager
from .survey.hot_path import KnownSyncFunctions


class App(KnownSyncFunctions, Flask):
    """Flask, deciding once per function whether a view or hook is a coroutine (see
    app/survey/hot_path.py, where every speed-up of the resident pages is)."""


def create_app(test_config: dict[str, Any] | None = None,
               instance_path: str | None = None) -> Flask:
    app = App(__name__, instance_relative_config=True, instance_path=instance_path)
    # Block tags leave no blank lines behind: a third less HTML on a resident's phone.
    app.jinja_options = {**app.jinja_options, "trim_blocks": True, "lstrip_blocks": True}
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    register_extensions(app)
    register_blueprints(app)
    register_form_helpers(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    app.session_interface = SessionCookies()
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .auth.views import bp as auth_bp
    from .backoffice.survey_views import bp as survey_admin_bp
    from .backoffice.views import bp as backoffice_bp
    from .dashboard.views import bp as dashboard_bp
    from .survey.views import bp as survey_bp

    for blueprint in (survey_bp, auth_bp, backoffice_bp, survey_admin_bp, dashboard_bp):
        app.register_blueprint(blueprint)


def register_form_helpers(app: Flask) -> None:
    from . import forms

    forms.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import init_app

    init_app(app)


def register_security_headers(app: Flask) -> None:
    from .security import SecurityHeaders

    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]


def register_commands(app: Flask) -> None:
    from .cli import init_app

    init_app(app)
