"""Command-line interface: ``flask --app app <group> <command>``.

These commands are contracts (scripts and other tools call them): keep their
names, arguments and output as documented in the README.
"""
from __future__ import annotations

import functools
from typing import Callable

import click
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from .backoffice import (codes_group, districts_group, municipalities_group, responses_group,
                         surveys_group, users_group)
from .core import (db_group, demo_command, indicators_command, questionnaire_group,
                   report_command)
from .jobs import jobs_group


def _without_traceback(callback: Callable) -> Callable:
    """A database failure becomes one clear line and exit status 1, not a traceback."""
    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            raise click.ClickException(
                f"Datenbankfehler: {str(cause).splitlines()[0]}. Stimmt DATABASE_URL, und ist "
                "die Datenbank migriert (flask --app app db upgrade)?") from None
    run.without_traceback = True
    return run


def _guard(command: click.Command) -> None:
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _guard(sub)
    elif command.callback and not getattr(command.callback, "without_traceback", False):
        command.callback = _without_traceback(command.callback)


def init_app(app: Flask) -> None:
    for command in (db_group, questionnaire_group, demo_command, indicators_command, report_command,
                    municipalities_group, districts_group, surveys_group, codes_group,
                    responses_group, users_group, jobs_group):
        _guard(command)
        app.cli.add_command(command)
