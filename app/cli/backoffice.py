"""Back-office commands: municipalities, districts, surveys, codes, responses, users.

Every refusal is a one-paragraph message and exit status 1, never a traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from questionnaires import QuestionnaireError

from .. import audit
from ..auth.service import AccountError, create_user
from ..backoffice import codes as codes_service
from ..backoffice import responses_io
from ..backoffice.display import ACCESS_WORDS, status_text
from ..backoffice.districts import import_districts
from ..backoffice.tabular import TableError
from ..extensions import db
from ..models import Municipality, Survey
from ..municipal import (SetupError, change_survey_status, create_municipality, create_survey,
                         set_min_n, set_survey_dates)
from ..survey.service import context_of, erase_traces
from ..survey.used_codes import used_numbers

CLI_ACTOR = "cli"


def fail(message: str) -> None:
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


def table_failure(error: TableError) -> None:
    fail("Nichts wurde importiert:\n" + "\n".join(str(problem) for problem in error.problems))


municipalities_group = AppGroup("municipalities", help="Municipalities.")


@municipalities_group.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--min-n", "min_n", type=int, default=30, show_default=True,
              help="smallest number of respondents a published figure may rest on")
def municipalities_create(slug: str, name: str, min_n: int) -> None:
    """Create a municipality with short name SLUG and display NAME."""
    try:
        municipality = create_municipality(db.session, slug, name)
        set_min_n(municipality, min_n)
    except SetupError as error:
        fail(str(error))
    audit.record(db.session, "municipality_created", slug, user_email=CLI_ACTOR,
                 municipality_id=municipality.id)
    db.session.commit()
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
        summary = import_districts(
            db.session, target, read_input(districts_csv),
            read_input(population_csv) if population_csv else None,
            read_input(geojson) if geojson else None)
    except TableError as error:
        table_failure(error)
    audit.record(db.session, "districts_imported", str(summary), user_email=CLI_ACTOR,
                 municipality_id=target.id)
    db.session.commit()
    click.echo(f"Importiert: {summary}.")


surveys_group = AppGroup("surveys", help="Survey waves.")


@surveys_group.command("create")
@click.argument("municipality")
@click.argument("slug")
@click.option("--questionnaire", required=True, type=click.Path(dir_okay=False),
              help="Questionnaire YAML file; its text is frozen into the survey.")
@click.option("--access", type=click.Choice(["open", "codes"]), default="open",
              show_default=True)
@click.option("--title", help="Title shown to staff (default: the questionnaire's title)")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]), help="first day (YYYY-MM-DD)")
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]), help="last day (YYYY-MM-DD)")
def surveys_create(municipality: str, slug: str, questionnaire: str, access: str,
                   title: str | None, opens, closes) -> None:
    """Create survey SLUG (status draft) for MUNICIPALITY."""
    target = municipality_named(municipality)
    try:
        survey = create_survey(db.session, target, slug, questionnaire, access, title)
        set_survey_dates(survey, opens.date() if opens else None,
                         closes.date() if closes else None)
    except QuestionnaireError as error:
        fail("Fragebogen fehlerhaft:\n" + "\n".join(error.lines()))
    except SetupError as error:
        fail(str(error))
    audit.record(db.session, "survey_created", f"{slug} ({ACCESS_WORDS[access]})",
                 user_email=CLI_ACTOR, municipality_id=target.id)
    db.session.commit()
    click.echo(f"Befragung '{slug}' angelegt (Entwurf, Zugang: {ACCESS_WORDS[access]}).")


def _change_status(slug: str, status: str) -> None:
    survey = survey_named(slug)
    try:
        change_survey_status(db.session, survey, status, CLI_ACTOR)
    except SetupError as error:
        fail(str(error))
    click.echo(f"Befragung '{slug}' ist jetzt {status_text(survey)}.")


@surveys_group.command("open")
@click.argument("slug")
def surveys_open(slug: str) -> None:
    """Open survey SLUG for residents."""
    _change_status(slug, "open")


@surveys_group.command("close")
@click.argument("slug")
def surveys_close(slug: str) -> None:
    """Close survey SLUG."""
    _change_status(slug, "closed")


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
    try:
        generated = codes_service.generate(db.session, target, {district_code: count}, base_url)
    except codes_service.CodesError as error:
        fail(str(error))
    audit.record(db.session, "codes_generated", f"{survey}: {count} für Stadtteil "
                 f"{district_code}", user_email=CLI_ACTOR, municipality_id=target.municipality_id)
    # Committed before the letters are rendered: making codes locks the survey's code
    # numbers, and residents finishing the survey must not wait for the rendering.
    db.session.commit()
    outputs, written = {}, []
    try:
        if letters_path:
            outputs[letters_path] = codes_service.letters_pdf(target, generated, base_url)
        if csv_path:
            outputs[csv_path] = codes_service.mail_merge_csv(generated)
        for path, content in outputs.items():
            Path(path).write_bytes(content)
            written.append(Path(path))
    except Exception as error:
        codes_service.discard(db.session, target, generated, CLI_ACTOR)
        for path in written:  # no file keeps codes that no longer exist
            path.unlink(missing_ok=True)
        if isinstance(error, OSError):
            fail(f"{error.filename}: kann nicht geschrieben werden ({error.strerror}); keine "
                 "Codes angelegt.")
        raise
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
    try:
        content = responses_io.export(db.session, context, file_format, sep, weights)
    except responses_io.ExportError as error:
        fail(str(error))
    try:
        Path(out).write_bytes(content)
    except OSError as error:
        fail(f"{out}: kann nicht geschrieben werden ({error.strerror}).")
    audit.record(db.session, "responses_exported", f"{survey} als {file_format}"
                 + (" mit Gewichten" if weights else ""), user_email=CLI_ACTOR,
                 municipality_id=target.municipality_id)
    db.session.commit()
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
        imported = responses_io.import_paper(db.session, context, *read_input(file))
    except TableError as error:
        table_failure(error)
    audit.record(db.session, "responses_imported", f"{survey}: {imported} Papierbögen",
                 user_email=CLI_ACTOR, municipality_id=target.municipality_id)
    db.session.commit()
    click.echo(f"{imported} Papierfragebögen importiert.")


users_group = AppGroup("users", help="Accounts for staff, police and the programme office.")


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "staff", "police"]))
@click.option("--municipality", "municipalities", multiple=True,
              help="municipality slug (staff: one; police: one or more; admin: none)")
def users_create(email: str, role: str, municipalities: tuple[str, ...]) -> None:
    """Create an account; the password is asked for, or read from standard input."""
    if sys.stdin.isatty():
        password = click.prompt("Passwort", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(db.session, email, password, role, list(municipalities))
    except AccountError as error:
        fail(str(error))
    audit.record(db.session, "user_created", f"{user.email} ({role})", user_email=CLI_ACTOR,
                 municipality_id=user.municipalities[0].id if user.municipalities else None)
    db.session.commit()
    click.echo(f"Konto {user.email} ({role}) angelegt.")
