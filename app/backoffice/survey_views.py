"""Back office for survey waves: create, open/close, preview, monitoring, codes, data."""
from __future__ import annotations

import io
import re
import secrets
from datetime import date

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_login import current_user
from sqlalchemy import select

from questionnaires import QuestionnaireError
from questionnaires.loader import load_questionnaire_text, questionnaire_text

from .. import audit, jobs
from ..auth.access import (STAFF_ROLES, login_required, municipality_or_404,
                           survey_or_404)
from ..extensions import db
from ..models import BackgroundJob, Survey, utc_now
from ..municipal import (SetupError, change_survey_status, check_slug, create_survey_from_text,
                         set_survey_dates)
from ..paths import QUESTIONNAIRE_DIR
from ..survey.service import SurveyContext, context_of
from ..survey.views import forget_cached_survey
from . import code_batches, display, monitoring, responses_io
from . import codes as codes_service
from .tabular import TableError
from .views import uploaded

bp = Blueprint("survey_admin", __name__, url_prefix="/backoffice/surveys",
               template_folder="templates")
# Staff read states, dates and times in German and local time on every page.
bp.add_app_template_global(display.status_text, "status_text")
bp.add_app_template_filter(display.german_date, "german_date")
bp.add_app_template_filter(display.local_time, "local_time")
bp.add_app_template_filter(audit.action_name, "action_name")
bp.add_app_template_filter(audit.actor_name, "actor_name")

MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument."
             "spreadsheetml.sheet", "sav": "application/x-spss-sav"}
REPORT_KINDS = ("city", "district", "pack")
JOB_TITLES = {"city": "Stadtbericht", "district": "Stadtteilbericht",
              "pack": "Berichtspaket", "letters": "Einladungsbriefe"}


def _context(slug: str) -> SurveyContext:
    return context_of(db.session, survey_or_404(slug))  # the municipality checked first


def _download(content: bytes, name: str, mimetype: str):
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=name)


def questionnaire_files() -> list[str]:
    return sorted(path.name for path in QUESTIONNAIRE_DIR.glob("*.yaml"))


@bp.route("/new/<municipality_slug>", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def new(municipality_slug: str):
    """Create a survey wave from a questionnaire file (frozen into the survey)."""
    municipality = municipality_or_404(municipality_slug)
    if request.method == "GET":
        return _new_page(municipality)
    upload, source_field = uploaded("questionnaire_upload"), "questionnaire_upload"
    if upload is None:
        name, source_field = request.form.get("questionnaire", ""), "questionnaire"
        if name not in questionnaire_files():
            abort(400)
        upload = ((QUESTIONNAIRE_DIR / name).read_bytes(), name)
    errors: dict[str, str | list[str]] = {}
    slug, access = request.form.get("slug", "").strip(), request.form.get("access", "open")
    _check_new_slug(slug, errors)
    if access not in ("open", "codes"):
        errors["access"] = "Bitte „Offener Link“ oder „Einladungscodes“ wählen."
    dates = _form_dates(errors)
    try:
        # The same 1 MB and UTF-8 check as for a file given to the CLI.
        text = questionnaire_text(*upload)
        questionnaire = load_questionnaire_text(text, upload[1])
    except QuestionnaireError as error:
        errors[source_field] = error.lines()
    if not errors:
        try:
            survey = create_survey_from_text(db.session, municipality, slug, text, upload[1],
                                             access, request.form.get("title") or None,
                                             questionnaire)
            set_survey_dates(survey, *dates)
        except SetupError as error:
            errors["form"] = str(error)
    if errors:
        db.session.rollback()
        return _new_page(municipality, errors), 422
    audit.record(db.session, "survey_created",
                 f"{survey.slug} ({display.ACCESS_WORDS[survey.access_mode]})",
                 user_email=current_user.email, municipality_id=municipality.id)
    db.session.commit()
    return redirect(url_for("survey_admin.detail", slug=survey.slug))


def _new_page(municipality, errors: dict | None = None) -> str:
    return render_template("backoffice/survey_new.html", municipality=municipality,
                           files=questionnaire_files(), form=request.form,
                           errors=errors or {})


def _check_new_slug(slug: str, errors: dict) -> None:
    try:
        check_slug(slug, "Kürzel")
    except SetupError as error:
        errors["slug"] = str(error)
        return
    if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        errors["slug"] = f"Eine Befragung '{slug}' gibt es bereits: bitte ein anderes Kürzel."


def _form_dates(errors: dict) -> tuple[date | None, date | None]:
    """Opening and closing date from the form (empty: none); problems go to ``errors``."""
    dates = []
    for name, label in (("opens_on", "Erster Befragungstag"),
                        ("closes_on", "Letzter Befragungstag")):
        text = request.form.get(name, "").strip()
        try:
            dates.append(date.fromisoformat(text) if text else None)
        except ValueError:
            errors[name] = f"„{text[:40]}“ ist kein Datum (JJJJ-MM-TT)."
            dates.append(None)
    if dates[0] and dates[1] and dates[1] < dates[0]:
        errors["closes_on"] = (f"Der letzte Befragungstag ({display.german_date(dates[1])}) "
                               f"liegt vor dem ersten ({display.german_date(dates[0])}).")
    return dates[0], dates[1]


@bp.post("/<slug>/dates")
@login_required(*STAFF_ROLES)
def change_dates(slug: str):
    """Set or clear the opening and closing dates of a wave."""
    context = _context(slug)
    errors: dict = {}
    dates = _form_dates(errors)
    if errors:
        return _detail_page(context, errors=errors, dates=request.form), 422
    survey = context.survey
    set_survey_dates(survey, *dates)
    audit.record(db.session, "survey_dates", f"{slug}: {survey.opens_on} bis {survey.closes_on}",
                 user_email=current_user.email, municipality_id=survey.municipality_id)
    db.session.commit()
    forget_cached_survey(slug)
    flash("Der Befragungszeitraum wurde gespeichert.")
    return redirect(url_for("survey_admin.detail", slug=slug))


@bp.get("/<slug>")
@login_required()
def detail(slug: str):
    """A survey wave: status, actions and the response monitoring per district."""
    return _detail_page(_context(slug))


def _detail_page(context: SurveyContext, errors: dict | None = None, dates=None) -> str:
    """The survey page; after refused dates, with what was typed and why."""
    survey = context.survey
    rows, total = monitoring.progress(db.session, survey)
    dates = dates or {"opens_on": survey.opens_on or "", "closes_on": survey.closes_on or ""}
    return render_template("backoffice/survey.html", survey=survey,
                           questionnaire=context.questionnaire, rows=rows, total=total,
                           jobs=jobs.user_jobs(db.session, current_user, survey),
                           job_titles=JOB_TITLES, errors=errors or {}, dates=dates,
                           public_url=codes_service.survey_url(
                               current_app.config["PUBLIC_BASE_URL"], survey))


@bp.get("/<slug>/monitoring.csv")
@login_required()
def monitoring_csv(slug: str):
    """Monitoring table as CSV."""
    rows, total = monitoring.progress(db.session, survey_or_404(slug))
    return _download(monitoring.progress_csv(rows, total), f"{slug}-ruecklauf.csv", "text/csv")


@bp.post("/<slug>/status")
@login_required(*STAFF_ROLES)
def change_status(slug: str):
    """Open or close a survey wave; closing only once it is confirmed."""
    survey = survey_or_404(slug)
    status = request.form.get("status", "")
    if status == "closed" and request.form.get("confirm") != "yes":
        _rows, total = monitoring.progress(db.session, survey)
        return render_template("backoffice/close_confirm.html", survey=survey,
                               unfinished=total.started - total.completed,
                               completed=total.completed)
    try:
        change_survey_status(db.session, survey, status, current_user.email)
    except SetupError as error:
        flash(str(error))
        return redirect(url_for("survey_admin.detail", slug=slug))
    forget_cached_survey(slug)
    flash(f"Die Befragung ist jetzt {display.status_text(survey)}.")
    return redirect(url_for("survey_admin.detail", slug=slug))


@bp.get("/<slug>/preview/<int:number>")
@login_required(*STAFF_ROLES)
def preview(slug: str, number: int):
    """Every page as a resident sees it (all conditional items shown, nothing stored)."""
    context = _context(slug)
    pages = context.questionnaire.pages
    if not 1 <= number <= len(pages):
        abort(404)
    return render_template("backoffice/preview.html", context=context, page=pages[number - 1],
                           number=number, total=len(pages), lang=request.args.get("lang", "de"))


@bp.route("/<slug>/codes", methods=["GET", "POST"])
@login_required(*STAFF_ROLES)
def codes(slug: str):
    """Generate codes per district; letters (PDF) and mail merge (CSV) as ZIP, made by a
    job worker when there are more than LETTERS_IN_REQUEST_MAX."""
    survey = _context(slug).survey
    if request.method == "GET":
        return _codes_page(survey)
    counts, errors = _requested_counts(survey)
    if not errors:
        try:
            total = codes_service.check_counts(survey, counts)
        except codes_service.CodesError as error:
            from_file = bool(getattr(request.files.get("counts_csv"), "filename", ""))
            errors["counts_csv" if from_file else "counts"] = str(error)
    if errors:
        db.session.rollback()
        return _codes_page(survey, errors), 422
    if total > current_app.config["LETTERS_IN_REQUEST_MAX"]:
        return _queue_letters(survey, counts, total)
    archive = codes_service.codes_with_letters(
        db.session, survey, counts, current_app.config["PUBLIC_BASE_URL"], current_user.email)
    job = _keep_letters(survey, counts, total, archive)
    # Redirected, so that the page shows the new codes and a reload makes none again.
    return redirect(url_for("survey_admin.codes", slug=slug, ready=job.id), 303)


def _keep_letters(survey: Survey, counts: dict[str, int], total: int,
                  archive: bytes) -> BackgroundJob:
    """The ZIP made in the request, kept like a finished letter job: the codes page
    hands it out once (it starts the download itself) and it is deleted after that, at
    the latest after LETTERS_RETENTION_MINUTES. No start time: it is no measure of how
    long a worker takes."""
    now = utc_now()
    job = BackgroundJob(id=secrets.token_hex(16), user_id=current_user.id, survey_id=survey.id,
                        kind="letters", state="done", message="",
                        parameters={"counts": counts, "units": total, "in_request": True},
                        file_name=f"{survey.slug}-codes.zip", output=archive,
                        finished_at=now,
                        expires_at=now + jobs.retention(current_app).of("letters"))
    db.session.add(job)
    db.session.commit()
    return job


def _codes_page(survey: Survey, errors: dict | None = None) -> str:
    """Codes per district, the batches made so far, this account's letters, the form."""
    letters = [job for job in jobs.user_jobs(db.session, current_user, survey)
               if job.kind == "letters"]
    ready = next((job for job in letters if job.id == request.args.get("ready")
                  and job.state == "done" and not job.message), None)
    return render_template("backoffice/codes.html", survey=survey, errors=errors or {},
                           districts=code_batches.district_counts(db.session, survey),
                           batches=code_batches.batches(db.session, survey),
                           letters=letters, ready=ready, duration=jobs.duration_text,
                           retention=jobs.retention(current_app).of("letters"))


def _queue_letters(survey: Survey, counts: dict[str, int], total: int):
    """A letter batch for a job worker: the codes are made there, with their letters."""
    parameters = {"counts": counts, "base_url": current_app.config["PUBLIC_BASE_URL"],
                  "units": total}
    return _submit(survey, "letters", parameters, f"{survey.slug}: {total} Codes mit Briefen")


def _submit(survey: Survey, kind: str, parameters: dict, detail: str):
    """Queue a job, or show the one of this kind that is still waiting or running."""
    job, created = jobs.submit(db.session, current_user, survey, kind, parameters)
    if created:
        audit.record(db.session, "letters_requested" if kind == "letters" else
                     "report_requested", detail,
                     user_email=current_user.email, municipality_id=survey.municipality_id)
    else:
        flash(f"Es läuft bereits ein Auftrag „{JOB_TITLES[kind]}“ für Sie; es wurde kein "
              "zweiter begonnen. Sobald er fertig ist, können Sie einen neuen erteilen.")
    db.session.commit()
    if created:
        jobs.dispatch(current_app._get_current_object(), job.id)
    return redirect(url_for("survey_admin.job_status", slug=survey.slug, job_id=job.id))


def _requested_counts(survey: Survey) -> tuple[dict[str, int], dict]:
    """Counts per district from the uploaded CSV, else from the form fields; and the
    problems, per field."""
    upload = uploaded("counts_csv")
    if upload is not None:
        try:
            return codes_service.parse_counts(*upload), {}
        except TableError as error:
            return {}, {"counts_csv": [str(problem) for problem in error.problems]}
    counts, errors = {}, {}
    for district in survey.municipality.districts:
        name = f"count_{district.code}"
        text = request.form.get(name, "").strip()
        if not text:
            continue
        if re.fullmatch(r"[0-9]{1,6}", text):
            counts[district.code] = int(text)
        else:
            errors[name] = f"„{text[:40]}“ ist keine ganze Zahl."
    if not errors and not any(counts.values()):
        errors["counts"] = ("Bitte für mindestens einen Stadtteil eine Anzahl eintragen, oder "
                            "eine CSV-Datei wählen.")
    return {code: count for code, count in counts.items() if count}, errors


@bp.get("/<slug>/export")
@login_required(*STAFF_ROLES)
def export(slug: str):
    """All responses as CSV, Excel or SPSS."""
    context = _context(slug)
    file_format = request.args.get("format", "csv")
    sep = request.args.get("sep", ",")
    if file_format not in responses_io.FORMATS or sep not in (",", ";"):
        abort(400)
    weights = request.args.get("weights") == "1"
    try:
        content = responses_io.export(db.session, context, file_format, sep, weights)
    except responses_io.ExportError as error:
        flash(str(error))
        return redirect(url_for("survey_admin.detail", slug=slug))
    audit.record(db.session, "responses_exported", f"{slug} als {file_format}"
                 + (" mit Gewichten" if weights else ""),
                 user_email=current_user.email, municipality_id=context.survey.municipality_id)
    db.session.commit()
    return _download(content, f"{slug}-antworten.{file_format}", MIMETYPES[file_format])


@bp.post("/<slug>/import")
@login_required(*STAFF_ROLES)
def import_paper(slug: str):
    """Import paper questionnaires keyed in as CSV (all rows or none)."""
    context = _context(slug)
    upload = uploaded("responses")
    if upload is None:
        flash("Bitte eine CSV-Datei auswählen.")
        return redirect(url_for("survey_admin.detail", slug=slug))
    try:
        imported = responses_io.import_paper(db.session, context, *upload)
    except TableError as error:
        db.session.rollback()
        return render_template("backoffice/import_errors.html", problems=error.problems,
                               back=url_for("survey_admin.detail", slug=slug)), 422
    audit.record(db.session, "responses_imported", f"{slug}: {imported} Papierbögen",
                 user_email=current_user.email, municipality_id=context.survey.municipality_id)
    db.session.commit()
    flash(f"{imported} Papierfragebögen importiert.")
    return redirect(url_for("survey_admin.detail", slug=slug))


@bp.post("/<slug>/reports")
@login_required()
def request_report(slug: str):
    """Queue a report (city, one district, or the whole pack) for a job worker."""
    context = _context(slug)
    kind, district = request.form.get("kind", ""), request.form.get("district") or None
    if kind not in REPORT_KINDS or (kind == "district" and district not in
                                    context.district_ids):
        abort(400)
    parameters = {"district": district if kind == "district" else None,
                  # Police get the version without the single free-text answers.
                  "free_text": current_user.role != "police",
                  "units": len(context.district_ids) + 1 if kind == "pack" else 1}
    return _submit(context.survey, kind, parameters,
                   f"{slug}: {kind} {parameters['district'] or ''}".strip())


def _own_job(slug: str, job_id: str) -> BackgroundJob:
    """The job if it is the current account's (404 for everyone else)."""
    job = jobs.owned_job(db.session, job_id, current_user, survey_or_404(slug))
    if job is None:
        abort(404)
    return job


@bp.get("/<slug>/jobs/<job_id>")
@login_required()
def job_status(slug: str, job_id: str):
    """Progress of a job; the page reloads itself until the file is ready."""
    job = _own_job(slug, job_id)
    if job.state == "queued":
        jobs.ensure_dispatched(current_app._get_current_object(), job.id)
    return render_template("backoffice/job_status.html", slug=slug, job=job,
                           title=JOB_TITLES[job.kind], progress=jobs.progress(db.session, job),
                           retention=jobs.retention(current_app).of(job.kind),
                           duration=jobs.duration_text)


@bp.get("/<slug>/jobs/<job_id>/file")
@login_required()
def job_file(slug: str, job_id: str):
    """The finished PDF or ZIP (letters: deleted as they are handed out)."""
    job = _own_job(slug, job_id)
    content = jobs.take_output(db.session, job) if job.state == "done" else None
    if content is None:
        return redirect(url_for("survey_admin.job_status", slug=slug, job_id=job_id))
    db.session.commit()
    mimetype = "application/zip" if job.file_name.endswith(".zip") else "application/pdf"
    return _download(content, job.file_name, mimetype)
