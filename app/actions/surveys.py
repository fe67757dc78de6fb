"""Survey waves: create one, its dates, open and close it, responses out and in, and
report or letter jobs."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from questionnaires import Questionnaire, QuestionnaireError

from .. import audit, jobs, municipal
from ..backoffice import responses_io
from ..backoffice.display import ACCESS_WORDS
from ..backoffice.tabular import TableError
from ..models import BackgroundJob, Municipality, Survey, SurveyStatus, User
from ..survey.service import SurveyContext, erase_traces
from . import refuse

QUESTIONNAIRE_FAILED = "Fragebogen fehlerhaft:"


def create_survey(session: Session, municipality: Municipality, slug: str,
                  questionnaire: Path | tuple[str, str], access: str, title: str | None,
                  opens_on: date | None, closes_on: date | None, actor: str,
                  parsed: Questionnaire | None = None) -> Survey:
    """A new wave in draft: ``questionnaire`` is a file, or (text, file name) of an
    upload (``parsed``: that text loaded already); it is checked and frozen into the
    survey."""
    try:
        if isinstance(questionnaire, Path):
            survey = municipal.create_survey(session, municipality, slug, questionnaire,
                                             access, title)
        else:
            survey = municipal.create_survey_from_text(
                session, municipality, slug, *questionnaire, access, title, parsed)
        municipal.set_survey_dates(survey, opens_on, closes_on)
    except QuestionnaireError as error:
        refuse(session, QUESTIONNAIRE_FAILED, error.lines(), "questionnaire")
    except municipal.SetupError as error:
        refuse(session, str(error), field=error.field)
    audit.record(session, "survey_created", f"{slug} ({ACCESS_WORDS[access]})",
                 user_email=actor, municipality_id=municipality.id)
    session.commit()
    return survey


def set_dates(session: Session, survey: Survey, opens_on: date | None,
              closes_on: date | None, actor: str) -> None:
    """Set or clear the first and last day of a wave."""
    try:
        municipal.set_survey_dates(survey, opens_on, closes_on)
    except municipal.SetupError as error:
        refuse(session, str(error), field=error.field)
    audit.record(session, "survey_dates",
                 f"{survey.slug}: {survey.opens_on} bis {survey.closes_on}",
                 user_email=actor, municipality_id=survey.municipality_id)
    session.commit()


def change_status(session: Session, survey: Survey, status: str, actor: str) -> None:
    """Open or close a wave. Closing also clears the database files of earlier states
    of drafts and used codes (erase_traces), after the commit."""
    try:
        municipal.set_survey_status(survey, status)
    except municipal.SetupError as error:
        refuse(session, str(error), field="status")
    audit.record(session, f"survey_{status}", survey.slug, user_email=actor,
                 municipality_id=survey.municipality_id)
    session.commit()
    if status == SurveyStatus.CLOSED:
        erase_traces(session.get_bind())


def export_responses(session: Session, context: SurveyContext, file_format: str, sep: str,
                     weights: bool, actor: str,
                     deliver: Callable[[bytes], None] | None = None) -> bytes:
    """All responses as CSV, Excel or SPSS. ``deliver`` (the command line writes the
    file) runs before the export is recorded: a file that could not be written is no
    export (whatever it raises goes on, and nothing is recorded)."""
    try:
        content = responses_io.export(session, context, file_format, sep, weights)
    except responses_io.ExportError as error:
        refuse(session, str(error))
    if deliver is not None:
        deliver(content)
    audit.record(session, "responses_exported", f"{context.survey.slug} als {file_format}"
                 + (" mit Gewichten" if weights else ""), user_email=actor,
                 municipality_id=context.survey.municipality_id)
    session.commit()
    return content


def import_paper(session: Session, context: SurveyContext, upload: tuple[bytes, str],
                 actor: str) -> int:
    """Paper questionnaires keyed in as CSV or Excel: all rows, or none; how many."""
    try:
        imported = responses_io.import_paper(session, context, *upload)
    except TableError as error:
        refuse(session, "Nichts wurde importiert:", error.problems)
    audit.record(session, "responses_imported", f"{context.survey.slug}: {imported} "
                 "Papierbögen", user_email=actor,
                 municipality_id=context.survey.municipality_id)
    session.commit()
    return imported


def request_job(session: Session, user: User, survey: Survey, kind: str, parameters: dict,
                detail: str) -> tuple[BackgroundJob, bool]:
    """Queue a report or letter job for a worker: (the job, True), or (the job of this
    kind the account has waiting or running, False). The caller dispatches a new job
    after this commit."""
    job, created = jobs.submit(session, user, survey, kind, parameters)
    if created:
        audit.record(session, "letters_requested" if kind == "letters" else
                     "report_requested", detail,
                     user_email=user.email, municipality_id=survey.municipality_id)
    session.commit()
    return job, created
