"""Commands for the database schema, questionnaire files and the demo."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import migrate
from ..extensions import db


db_group = AppGroup("db", help="Database schema (Alembic migrations).")


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations to the database that DATABASE_URL names."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database is at revision {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the model changes (review it before committing)."""
    migrate.new_revision(current_app.config["DATABASE_URL"], message)


questionnaire_group = AppGroup("questionnaire", help="Questionnaire files.")


@questionnaire_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def questionnaire_validate(files: tuple[str, ...]) -> None:
    """Check questionnaire files; list every problem as FILE:LINE: message."""
    from questionnaires import QuestionnaireError, load_questionnaire_file

    failed = False
    for path in files:
        try:
            questionnaire = load_questionnaire_file(path)
        except QuestionnaireError as error:
            failed = True
            for line in error.lines():
                click.echo(line, err=True)
            continue
        click.echo(f"{path}: OK: {questionnaire.id} version {questionnaire.version}, "
                   f"{len(questionnaire.pages)} pages, {len(questionnaire.variables)} items, "
                   f"languages {', '.join(questionnaire.languages)}")
    if failed:
        raise SystemExit(1)


@click.command("demo")
@with_appcontext
@click.option("--responses", default=2000, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Synthetic responses to add (only when the demo survey has none).")
@click.option("--seed", default=2026, show_default=True, type=int)
def demo_command(responses: int, seed: int) -> None:
    """Create the demo municipality Kassel (idempotent)."""
    from ..demo import (DEMO_ACCOUNTS, DEMO_PASSWORD, MUNICIPALITY_SLUG, SURVEY_SLUG,
                        create_demo_accounts, load_demo)

    result = load_demo(db.session, responses=responses, seed=seed)
    if result.created:
        click.echo(f"Created municipality '{MUNICIPALITY_SLUG}' with 23 districts and the open "
                   f"survey '{SURVEY_SLUG}'.")
    else:
        click.echo(f"Demo municipality '{MUNICIPALITY_SLUG}' already exists.")
    click.echo(f"Synthetic responses added: {result.responses_added} "
               f"(now {result.responses_total}).")
    if current_app.config["APP_ENV"] == "production":
        click.echo("APP_ENV=production: no demo accounts created.")
        return
    create_demo_accounts(db.session)
    click.echo(f"Demo accounts (password '{DEMO_PASSWORD}', for trying out only): "
               + ", ".join(f"{email} ({role})" for email, role in DEMO_ACCOUNTS))


@click.command("indicators")
@click.argument("survey")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="CSV file to write")
@click.option("--unweighted", is_flag=True, help="plain shares instead of raked estimates")
@click.option("--min-n", "min_n", type=click.IntRange(1, 100_000),
              help="suppress figures on fewer respondents (default: the municipality's, 30)")
@with_appcontext
def indicators_command(survey: str, out: str, unweighted: bool, min_n: int | None) -> None:
    """Write the indicator table of SURVEY (district, group, indicator, estimate, ...)."""
    from analysis.indicators import AnalysisError
    from analysis.weighting import WeightingError
    from reports.notes import note_sentence

    from ..results import survey_indicators
    from ..survey.service import survey_context

    context = survey_context(db.session, survey)
    if context is None:
        raise click.ClickException(f"Unbekannte Befragung '{survey}'.")
    try:
        result = survey_indicators(db.session, context, weighted=not unweighted, min_n=min_n)
    except (AnalysisError, WeightingError) as error:
        raise click.ClickException(f"Auswertung nicht möglich: {error}")
    try:
        write_indicator_csv(result.table, out)
    except OSError as error:
        raise click.ClickException(f"{out}: kann nicht geschrieben werden ({error.strerror}).")
    shown = int((~result.table["suppressed"]).sum())
    click.echo(f"{out}: {len(result.table)} Zeilen, {shown} veröffentlicht, "
               f"{len(result.table) - shown} unterdrückt (min_n {result.min_n}).")
    for note in result.notes:
        click.echo(f"Hinweis: {note_sentence(note)}")


def write_indicator_csv(table, path: str) -> None:
    """The CSV contract: district,group,indicator,n,n_eff,estimate,ci_low,ci_high,
    suppressed,flag (suppressed rows have empty n_eff, estimate and interval)."""
    out = table.copy()
    for column in ("estimate", "ci_low", "ci_high"):
        out[column] = out[column].round(6)
    out["n_eff"] = out["n_eff"].round(3)
    out["suppressed"] = out["suppressed"].map({True: "true", False: "false"})
    out.to_csv(path, index=False, lineterminator="\n")


@click.command("report")
@click.argument("survey")
@click.option("--out", "out", required=True, type=click.Path(),
              help="PDF file, or with --all a folder")
@click.option("--district", "district", help="district code: its district report")
@click.option("--all", "pack", is_flag=True, help="the city report and every district report")
@with_appcontext
def report_command(survey: str, out: str, district: str | None, pack: bool) -> None:
    """Write the city report of SURVEY (or a district report, or the whole pack) as PDF."""
    from pathlib import Path

    from analysis.indicators import AnalysisError
    from analysis.weighting import WeightingError
    from reports.build import city_report, district_report
    from reports.svg import ChartExportError

    from ..reporting import make_pack, report_data
    from ..survey.service import survey_context

    if pack and district:
        raise click.ClickException("Bitte entweder --district oder --all angeben.")
    context = survey_context(db.session, survey)
    if context is None:
        raise click.ClickException(f"Unbekannte Befragung '{survey}'.")
    try:
        if pack:
            jobs = 1 + len(context.districts)
            with click.progressbar(length=jobs, label="Berichte", file=sys.stderr) as bar:
                stats = make_pack(db.session, context, Path(out),
                                  current_app.config["REPORT_WORKERS"],
                                  progress=lambda _name: bar.update(1))
            click.echo(f"{len(stats.files)} PDF-Dateien ({stats.pages} Seiten, {stats.charts} "
                       f"Grafiken) in {out}")
            return
        data = report_data(db.session, context)
        if district and district not in {d.code for d in data.districts}:
            raise click.ClickException(f"Unbekannter Stadtteil '{district}'.")
        pdf, pages = district_report(data, district) if district else city_report(data)
        Path(out).write_bytes(pdf)
    except ChartExportError as error:
        raise click.ClickException(str(error))
    except (AnalysisError, WeightingError) as error:
        raise click.ClickException(f"Auswertung nicht möglich: {error}")
    except OSError as error:
        raise click.ClickException(f"{out}: kann nicht geschrieben werden ({error.strerror}).")
    click.echo(f"{out}: {pages} Seiten")
