"""What a job makes: a report (city, one district, the pack) or a batch of invitation
letters. Runs in a job worker with an app context and returns the file; only a letter
batch writes to the database (its codes, see actions.codes.generate_codes)."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from reports.build import city_report, district_report
from reports.model import Places, ReportData

from ..actions.codes import codes_with_letters
from ..models import BackgroundJob, Survey, User
from ..reporting import make_pack, report_data
from ..survey.service import context_of


def make(session: Session, job: BackgroundJob) -> tuple[str, bytes]:
    """(file name, content) of the job's file."""
    survey = session.get(Survey, job.survey_id)
    if job.kind == "letters":
        return _letters(session, survey, job)
    return _report(session, survey, job)


def _without_answers(data: ReportData) -> None:
    """The police's version: places felt unsafe only as recurring terms."""
    data.show_answers = False
    data.places = [Places(p.district, [], p.top_terms, p.suppressed) for p in data.places]


def _report(session: Session, survey: Survey, job: BackgroundJob) -> tuple[str, bytes]:
    context = context_of(session, survey)
    adjust = None if job.parameters.get("free_text", False) else _without_answers
    slug = survey.slug
    if job.kind in ("district", "city"):
        data = report_data(session, context)
        if adjust is not None:
            adjust(data)
        if job.kind == "city":
            return f"{slug}-stadt.pdf", city_report(data)[0]
        district = job.parameters["district"]
        return f"{slug}-stadtteil-{district}.pdf", district_report(data, district)[0]
    # The pack's PDFs pass through a private temporary folder of this worker only.
    with tempfile.TemporaryDirectory(prefix="sicherheit-pack-") as folder:
        stats = make_pack(session, context, Path(folder),
                          current_app.config["REPORT_WORKERS"], adjust)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in stats.files:
                bundle.write(path, path.name)
    return f"{slug}-berichte.zip", archive.getvalue()


def _letters(session: Session, survey: Survey, job: BackgroundJob) -> tuple[str, bytes]:
    """New codes and their letters (codes_with_letters: no codes remain if it fails)."""
    counts = {code: int(count) for code, count in job.parameters["counts"].items()}
    owner = session.get(User, job.user_id)
    content = codes_with_letters(
        session, survey, counts, job.parameters["base_url"], owner.email if owner else None,
        workers=current_app.config["REPORT_WORKERS"])
    return f"{survey.slug}-codes.zip", content
