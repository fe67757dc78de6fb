"""Back-office commands: municipalities, districts, surveys, codes, responses, users.

Every refusal is a one-paragraph message and exit status 1, never a traceback. The
commands translate options to the actions of app/actions/ and their answers (or
ActionError) to printed lines.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..actions import CLI_ACTOR, ActionError, accounts, surveys
from ..actions import municipalities as municipal_actions
from ..actions.codes import generate_codes
from ..backoffice import codes as codes_service
from ..backoffice import responses_io
from ..backoffice.display import ACCESS_WORDS, status_text
from ..extensions import db
from ..models import AccessMode, Municipality, Role, Survey, SurveyStatus
from ..survey.service import context_of, erase_traces
from ..survey.used_codes import used_numbers


def fail(message: str) -> NoReturn:
    db.session.rollback()
    raise click.ClickException(message)


def municipality_named(slug: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        fail(f"Unbekannte Kommune '{slug}'.")
    return municipality


def survey_named(slug: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        fail(f"Unbekannte Befragung '{slug}'.")
    return survey


def read_input(path: str) -> tuple[bytes, str]:
    try:
        return Path(path).read_bytes(), path
    except OSError as error:
        fail(f"{path}: kann nicht gelesen werden ({error.strerror}).")


municipalities_group = AppGroup("municipalities", help="Municipalities.")


@municipalities_group.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--min-n", "min_n", type=int, default=30, show_default=True,
              help="smallest number of respondents a published figure may rest on")
def municipalities_create(slug: str, name: str, min_n: int) -> None:
    """Create a municipality with short name SLUG and display NAME."""
    try:
        municipality = municipal_actions.create_municipality(db.session, slug, name, min_n,
                                                             CLI_ACTOR)
    except ActionError as error:
        fail(error.text())
    click.echo(f"Kommune '{slug}' ({municipality.name}) angelegt.")


districts_group = AppGroup("districts", help="Districts, population and boundaries.")


@districts_group.command("import")
@click.argument("municipality")
@click.argument("districts_csv", type=click.Path(dir_okay=False))
@click.option("--population", "population_csv", type=click.Path(dir_okay=False),
              help="CSV district_code,gender,age_group,population")
@click.option("--geojson", type=click.Path(dir_okay=False),
              help="GeoJSON FeatureCollection with the feature property 'code'")
def districts_import(municipality: str, districts_csv: str, population_csv: str | None,
                     geojson: str | None) -> None:
    """Import DISTRICTS_CSV (code,name) into MUNICIPALITY; all files or nothing."""
    target = municipality_named(municipality)
    try:
        summary = municipal_actions.import_district_files(
            db.session, target, read_input(districts_csv),
            read_input(population_csv) if population_csv else None,
            read_input(geojson) if geojson else None, CLI_ACTOR)
    except ActionError as error:
        fail(error.text())
    click.echo(f"Importiert: {summary}.")


surveys_group = AppGroup("surveys", help="Survey waves.")


@surveys_group.command("create")
@click.argument("municipality")
@click.argument("slug")
@click.option("--questionnaire", required=True, type=click.Path(dir_okay=False),
              help="Questionnaire YAML file; its text is frozen into the survey.")
@click.option("--access", type=click.Choice([mode.value for mode in AccessMode]),
              default=AccessMode.OPEN.value, show_default=True)
@click.option("--title", help="Title shown to staff (default: the questionnaire's title)")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]), help="first day (YYYY-MM-DD)")
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]), help="last day (YYYY-MM-DD)")
def surveys_create(municipality: str, slug: str, questionnaire: str, access: str,
                   title: str | None, opens, closes) -> None:
    """Create survey SLUG (status draft) for MUNICIPALITY."""
    target = municipality_named(municipality)
    try:
        surveys.create_survey(db.session, target, slug, Path(questionnaire), access, title,
                              opens.date() if opens else None,
                              closes.date() if closes else None, CLI_ACTOR)
    except ActionError as error:
        fail(error.text())
    click.echo(f"Befragung '{slug}' angelegt (Entwurf, Zugang: {ACCESS_WORDS[access]}).")


def _change_status(slug: str, status: str) -> None:
    survey = survey_named(slug)
    try:
        surveys.change_status(db.session, survey, status, CLI_ACTOR)
    except ActionError as error:
        fail(error.text())
    click.echo(f"Befragung '{slug}' ist jetzt {status_text(survey)}.")


@surveys_group.command("open")
@click.argument("slug")
def surveys_open(slug: str) -> None:
    """Open survey SLUG for residents."""
    _change_status(slug, SurveyStatus.OPEN)


@surveys_group.command("close")
@click.argument("slug")
def surveys_close(slug: str) -> None:
    """Close survey SLUG."""
    _change_status(slug, SurveyStatus.CLOSED)


codes_group = AppGroup("codes", help="Invitation codes and letters.")


@codes_group.command("generate")
@click.argument("survey")
@click.option("--district", "district_code", required=True, help="district code")
@click.option("--count", required=True, type=click.IntRange(1, codes_service.MAX_CODES_PER_RUN))
@click.option("--letters", "letters_path", type=click.Path(dir_okay=False),
              help="write the print-ready letters (PDF) here")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="write the mail-merge CSV here")
def codes_generate(survey: str, district_code: str, count: int, letters_path: str | None,
                   csv_path: str | None) -> None:
    """Generate COUNT codes for one district of SURVEY."""
    if not letters_path and not csv_path:
        fail("Bitte --letters und/oder --csv angeben: die Codes gibt es nur jetzt im Klartext.")
    target = survey_named(survey)
    base_url = current_app.config["PUBLIC_BASE_URL"]

    def write_files(generated: list[codes_service.GeneratedCode]) -> list[str]:
        """The letters and the mail merge, written; no file keeps codes that are
        deleted again because another file failed."""
        contents, written = {}, []
        try:
            if letters_path:
                contents[letters_path] = codes_service.letters_pdf(
                    target, generated, base_url, current_app.config["REPORT_WORKERS"])
            if csv_path:
                contents[csv_path] = codes_service.mail_merge_csv(generated)
            for path, content in contents.items():
                Path(path).write_bytes(content)
                written.append(Path(path))
        except Exception:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return list(contents)

    try:
        outputs = generate_codes(db.session, target, {district_code: count}, base_url,
                                 CLI_ACTOR, write_files)
    except ActionError as error:
        fail(error.text())
    except OSError as error:
        fail(f"{error.filename}: kann nicht geschrieben werden ({error.strerror}); keine "
             "Codes angelegt.")
    click.echo(f"{count} Codes für Stadtteil {district_code} erzeugt: "
               + ", ".join(outputs))


responses_group = AppGroup("responses", help="Response data out and in.")


@responses_group.command("export")
@click.argument("survey")
@click.option("--format", "file_format", type=click.Choice(responses_io.FORMATS),
              default="csv", show_default=True)
@click.option("--sep", type=click.Choice([",", ";"]), default=",", show_default=True,
              help="CSV separator (';' for German Excel, with decimal commas)")
@click.option("--weights", is_flag=True,
              help="add the column 'weight': each response's raking weight, as the "
                   "published figures use it")
@click.argument("out", type=click.Path(dir_okay=False))
def responses_export(survey: str, file_format: str, sep: str, weights: bool, out: str
                     ) -> None:
    """Write all responses of SURVEY to OUT: one row per response, one column per item."""
    target = survey_named(survey)
    context = context_of(db.session, target)

    def write(content: bytes) -> None:
        try:
            Path(out).write_bytes(content)
        except OSError as error:
            fail(f"{out}: kann nicht geschrieben werden ({error.strerror}).")

    try:
        surveys.export_responses(db.session, context, file_format, sep, weights, CLI_ACTOR,
                                 deliver=write)
    except ActionError as error:
        fail(error.text())
    click.echo(f"{out} geschrieben.")


@responses_group.command("seal")
@click.argument("survey")
def responses_seal(survey: str) -> None:
    """Report how many codes of SURVEY have given their response (each is marked in the
    transaction that stores it) and clear the database files of earlier states of
    drafts and used codes (SQLite checkpoint, PostgreSQL vacuum)."""
    target = survey_named(survey)
    used = len(used_numbers(db.session, target.id))
    db.session.rollback()  # VACUUM and a checkpoint want no open transaction
    erase_traces(db.engine)
    click.echo(f"{used} Codes als genutzt vermerkt; frühere Stände von Entwürfen aus den "
               "Datenbankdateien entfernt.")


@responses_group.command("import")
@click.argument("survey")
@click.argument("file", type=click.Path(dir_okay=False))
def responses_import(survey: str, file: str) -> None:
    """Import paper questionnaires keyed in as CSV or Excel (.xlsx) file, or a file that
    `responses export` wrote (all rows or none)."""
    target = survey_named(survey)
    context = context_of(db.session, target)
    try:
        imported = surveys.import_paper(db.session, context, read_input(file), CLI_ACTOR)
    except ActionError as error:
        fail(error.text())
    click.echo(f"{imported} Papierfragebögen importiert.")


users_group = AppGroup("users", help="Accounts for staff, police and the programme office.")


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--municipality", "municipalities", multiple=True,
              help="municipality slug (staff: one; police: one or more; admin: none)")
def users_create(email: str, role: str, municipalities: tuple[str, ...]) -> None:
    """Create an account; the password is asked for, or read from standard input."""
    if sys.stdin.isatty():
        password = click.prompt("Passwort", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(db.session, email, password, role, list(municipalities),
                                    CLI_ACTOR)
    except ActionError as error:
        fail(error.text())
    click.echo(f"Konto {user.email} ({role}) angelegt.")
