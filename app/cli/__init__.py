"""Command-line interface: ``flask --app app <group> <command>``.

These commands are contracts (scripts and other tools call them): keep their
names, arguments and output as documented in the README.
"""
from __future__ import annotations

from flask import Flask

from .backoffice import (codes_group, districts_group, municipalities_group, responses_group,
                         surveys_group, users_group)
from .core import (db_group, demo_command, indicators_command, questionnaire_group,
                   report_command)


def init_app(app: Flask) -> None:
    for command in (db_group, questionnaire_group, demo_command, indicators_command, report_command,
                    municipalities_group, districts_group, surveys_group, codes_group,
                    responses_group, users_group):
        app.cli.add_command(command)
