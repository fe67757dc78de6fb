"""Back office for survey waves: create, open/close, preview, monitoring, codes, data."""
from __future__ import annotations

import io

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_login import current_user

from questionnaires import QuestionnaireError
from questionnaires.loader import load_questionnaire_text, questionnaire_text

from .. import audit, jobs, monitoring
from ..actions import ActionError, surveys
from ..actions.codes import letters_in_request
from ..auth.access import (STAFF_ROLES, login_required, municipality_or_404, signed_in,
                           survey_or_404)
from ..extensions import db
from ..forms import refused, summary_of, uploaded
from ..models import BackgroundJob, Role, Survey, SurveyStatus
from ..paths import QUESTIONNAIRE_DIR
from ..survey.service import SurveyContext, context_of
from ..survey.hot_path import forget_cached_survey
from . import code_batches, display
from . import codes as codes_service
from .forms import (CodesForm, DatesForm, ExportForm, PaperImportForm, ReportForm, StatusForm,
                    SurveyForm, codes_form)

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
    form = SurveyForm()
    form.questionnaire.choices = questionnaire_files()
    if not form.is_submitted():
        return _new_page(municipality, form)
    source, upload = form.questionnaire_upload, uploaded(form.questionnaire_upload)
    if upload is None:
        source, name = form.questionnaire, form.questionnaire.data
        if name not in form.questionnaire.choices:
            abort(400)
        upload = ((QUESTIONNAIRE_DIR / name).read_bytes(), name)
    valid = form.validate()  # every problem at once: the fields', then the file's
    try:
        # The same 1 MB and UTF-8 check as for a file given to the CLI.
        text = questionnaire_text(*upload)
        questionnaire = load_questionnaire_text(text, upload[1])
    except QuestionnaireError as error:
        source.errors = [*source.errors, *error.lines()]
        valid = False
    if valid:
        try:
            survey = surveys.create_survey(
                db.session, municipality, form.slug.data, (text, upload[1]), form.access.data,
                form.title.data or None, form.opens_on.data, form.closes_on.data,
                current_user.email, questionnaire)
            return redirect(url_for("survey_admin.detail", slug=survey.slug))
        except ActionError as error:
            refused(form, error)
    return _new_page(municipality, form), 422


def _new_page(municipality, form: SurveyForm) -> str:
    return render_template("backoffice/survey_new.html", municipality=municipality, form=form)


@bp.post("/<slug>/dates")
@login_required(*STAFF_ROLES)
def change_dates(slug: str):
    """Set or clear the opening and closing dates of a wave."""
    context = _context(slug)
    form = DatesForm()
    if form.validate():
        try:
            surveys.set_dates(db.session, context.survey, form.opens_on.data,
                              form.closes_on.data, current_user.email)
            forget_cached_survey(slug)
            flash("Der Befragungszeitraum wurde gespeichert.")
            return redirect(url_for("survey_admin.detail", slug=slug))
        except ActionError as error:
            refused(form, error)
    return _detail_page(context, form), 422


@bp.get("/<slug>")
@login_required()
def detail(slug: str):
    """A survey wave: status, actions and the response monitoring per district."""
    return _detail_page(_context(slug))


def _detail_page(context: SurveyContext, dates: DatesForm | None = None) -> str:
    """The survey page; after refused dates, with what was typed and why."""
    survey = context.survey
    rows, total = monitoring.progress(db.session, survey)
    dates = dates or DatesForm(formdata=None, obj=survey)
    return render_template("backoffice/survey.html", survey=survey,
                           questionnaire=context.questionnaire, rows=rows, total=total,
                           jobs=jobs.user_jobs(db.session, current_user, survey),
                           job_titles=JOB_TITLES, dates=dates, status_form=StatusForm(
                               formdata=None), report_form=ReportForm(formdata=None),
                           import_form=PaperImportForm(formdata=None),
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
    form = StatusForm()
    status = form.status.data or ""
    if status == SurveyStatus.CLOSED and form.confirm.data != "yes":
        _rows, total = monitoring.progress(db.session, survey)
        return render_template("backoffice/close_confirm.html", survey=survey,
                               unfinished=total.started - total.completed,
                               completed=total.completed, form=form)
    try:
        surveys.change_status(db.session, survey, status, current_user.email)
    except ActionError as error:
        flash(error.message)
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
    form = codes_form([(district.code, district.name)
                       for district in survey.municipality.districts])
    if not form.is_submitted():
        return _codes_page(survey, form)
    counts = form.requested()
    if counts is not None:
        try:
            total = codes_service.check_counts(survey, counts)
        except codes_service.CodesError as error:
            field = form.counts_csv if form.from_file() else form.counts
            field.errors = [*field.errors, str(error)]
            counts = None
    if counts is None:
        return _codes_page(survey, form), 422
    if total > current_app.config["LETTERS_IN_REQUEST_MAX"]:
        return _queue_letters(survey, counts, total)
    try:
        job = letters_in_request(db.session, signed_in(), survey, counts, total,
                                 current_app.config["PUBLIC_BASE_URL"],
                                 jobs.retention(current_app).of("letters"))
    except ActionError as error:  # checked above; only a change in between gets here
        refused(form, error)
        return _codes_page(survey, form), 422
    # Redirected, so that the page shows the new codes and a reload makes none again.
    return redirect(url_for("survey_admin.codes", slug=slug, ready=job.id), 303)


def _codes_page(survey: Survey, form: CodesForm) -> str:
    """Codes per district, the batches made so far, this account's letters, the form."""
    letters = [job for job in jobs.user_jobs(db.session, current_user, survey)
               if job.kind == "letters"]
    ready = next((job for job in letters if job.id == request.args.get("ready")
                  and job.state == "done" and not job.message), None)
    return render_template("backoffice/codes.html", survey=survey, form=form,
                           errors=summary_of(form)[0],
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
    job, created = surveys.request_job(db.session, signed_in(), survey, kind, parameters,
                                       detail)
    if not created:
        flash(f"Es läuft bereits ein Auftrag „{JOB_TITLES[kind]}“ für Sie; es wurde kein "
              "zweiter begonnen. Sobald er fertig ist, können Sie einen neuen erteilen.")
    else:
        jobs.dispatch(current_app._get_current_object(), job.id)
    return redirect(url_for("survey_admin.job_status", slug=survey.slug, job_id=job.id))


@bp.get("/<slug>/export")
@login_required(*STAFF_ROLES)
def export(slug: str):
    """All responses as CSV, Excel or SPSS."""
    context = _context(slug)
    form = ExportForm(request.args)
    if not form.validate():
        abort(400)
    file_format, sep, weights = form.format.data, form.sep.data, form.weights.data == "1"
    try:
        content = surveys.export_responses(db.session, context, file_format, sep, weights,
                                           current_user.email)
    except ActionError as error:
        flash(error.message)
        return redirect(url_for("survey_admin.detail", slug=slug))
    return _download(content, f"{slug}-antworten.{file_format}", MIMETYPES[file_format])


@bp.post("/<slug>/import")
@login_required(*STAFF_ROLES)
def import_paper(slug: str):
    """Import paper questionnaires keyed in as CSV (all rows or none)."""
    context = _context(slug)
    upload = uploaded(PaperImportForm().responses)
    if upload is None:
        flash("Bitte eine CSV-Datei auswählen.")
        return redirect(url_for("survey_admin.detail", slug=slug))
    try:
        imported = surveys.import_paper(db.session, context, upload, current_user.email)
    except ActionError as error:
        return render_template("backoffice/import_errors.html", problems=error.problems,
                               back=url_for("survey_admin.detail", slug=slug)), 422
    flash(f"{imported} Papierfragebögen importiert.")
    return redirect(url_for("survey_admin.detail", slug=slug))


@bp.post("/<slug>/reports")
@login_required()
def request_report(slug: str):
    """Queue a report (city, one district, or the whole pack) for a job worker."""
    context = _context(slug)
    form = ReportForm()
    kind, district = form.kind.data or "", form.district.data or None
    if kind not in REPORT_KINDS or (kind == "district" and district not in
                                    context.district_ids):
        abort(400)
    parameters = {"district": district if kind == "district" else None,
                  # Police get the version without the single free-text answers.
                  "free_text": current_user.role != Role.POLICE,
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
