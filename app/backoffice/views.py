"""Back office: overview, municipalities, districts and population, audit log."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit, legal
from ..actions import ActionError
from ..actions import municipalities as actions
from ..auth.access import STAFF_ROLES, login_required, municipality_or_404, \
    visible_municipality_ids
from ..extensions import db
from ..forms import refused, uploaded
from ..models import District, Municipality, PopulationCell, Role, Survey
from ..survey.hot_path import forget_cached_survey
from .forms import ContactForm, DistrictsForm, LegalTextsForm, MinNForm, MunicipalityForm

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice", template_folder="templates")
# What a municipality's letters will lack (backoffice/_letter_contact.html).
bp.add_app_template_global(
    lambda municipality: legal.letter_warnings(legal.ResidentTexts.of(municipality)),
    "letter_warnings")


@bp.get("/")
@login_required()
def home():
    """The municipalities (and their surveys) that the user may see."""
    ids = visible_municipality_ids(current_user)
    query = select(Municipality).order_by(Municipality.name)
    if ids is not None:
        query = query.where(Municipality.id.in_(ids))
    municipalities = db.session.scalars(query).all()
    surveys = db.session.scalars(select(Survey).where(
        Survey.municipality_id.in_([m.id for m in municipalities])).order_by(Survey.slug)).all()
    return render_template("backoffice/home.html", municipalities=municipalities,
                           surveys=surveys)


@bp.route("/municipalities/new", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def new_municipality():
    """Create a municipality (programme office only)."""
    form = MunicipalityForm()
    if form.validate_on_submit():
        try:
            actions.create_municipality(db.session, form.slug.data, form.name.data, 30,
                                        current_user.email)
            return redirect(url_for("backoffice.municipality", slug=form.slug.data))
        except ActionError as error:
            refused(form, error)
    return render_template("backoffice/municipality_new.html", form=form), \
        422 if form.errors else 200


@bp.get("/m/<slug>")
@login_required()
def municipality(slug: str):
    """Districts, population and survey waves of one municipality."""
    return _municipality_page(municipality_or_404(slug))


def _municipality_page(target: Municipality, posted: FlaskForm | None = None):
    """The municipality page; after a refused settings form, that form as posted."""
    population = dict(db.session.execute(
        select(PopulationCell.district_id, func.sum(PopulationCell.population))
        .join(District, District.id == PopulationCell.district_id)
        .where(District.municipality_id == target.id)
        .group_by(PopulationCell.district_id)).all())
    surveys = db.session.scalars(select(Survey).where(Survey.municipality_id == target.id)
                                 .order_by(Survey.created_at.desc())).all()
    texts = legal.ResidentTexts.of(target)
    stored = {name: getattr(texts, name) or "" for name in legal.LIMITS}
    forms = {name: kind(formdata=None, data=dict(stored, min_n=str(target.min_n)))
             for name, kind in SETTINGS_FORMS.items()}
    forms["districts"] = DistrictsForm(formdata=None)
    if posted is not None:
        forms[next(name for name, kind in SETTINGS_FORMS.items()
                   if isinstance(posted, kind))] = posted
    defaults = {"privacy": legal.default_privacy_notice(
                    "de", target.name, target.min_n,
                    legal.code_counter_minutes(current_app.config), texts),
                "accessibility": legal.default_accessibility_statement("de", target.name, texts)}
    return render_template("backoffice/municipality.html", municipality=target,
                           population=population, surveys=surveys, forms=forms,
                           refused=posted, warnings=legal.warnings(texts),
                           defaults=defaults, limits=legal.LIMITS), 422 if posted else 200


@bp.post("/m/<slug>/districts")
@login_required(*STAFF_ROLES)
def import_district_files(slug: str):
    """Import districts, population and boundaries from uploaded files (all or nothing)."""
    target = municipality_or_404(slug)
    form = DistrictsForm()
    files = [uploaded(field) for field in (form.districts, form.population, form.geojson)]
    if not any(files):
        flash("Bitte mindestens eine Datei auswählen.")
        return redirect(url_for("backoffice.municipality", slug=slug))
    try:
        summary = actions.import_district_files(db.session, target, *files,
                                                current_user.email)
    except ActionError as error:
        return render_template("backoffice/import_errors.html", problems=error.problems,
                               back=url_for("backoffice.municipality", slug=slug)), 422
    flash(f"Importiert: {summary}.")
    return redirect(url_for("backoffice.municipality", slug=slug))


# The settings forms of the municipality page, by their hidden field "section".
SETTINGS_FORMS = {"min_n": MinNForm, "contact": ContactForm, "legal": LegalTextsForm}
TEXT_SECTIONS = {"contact": legal.CONTACT_FIELDS, "legal": legal.LEGAL_FIELDS}


@bp.post("/m/<slug>/settings")
@login_required(*STAFF_ROLES)
def settings(slug: str):
    """The disclosure threshold (min_n), the contact for residents or the legal texts."""
    target = municipality_or_404(slug)
    section = request.form.get("section", "min_n")
    form = SETTINGS_FORMS.get(section, MinNForm)()
    if form.validate_on_submit():
        try:
            if section in TEXT_SECTIONS:
                changed = actions.save_resident_texts(
                    db.session, target, form.data, TEXT_SECTIONS[section], current_user.email)
                message = f"Gespeichert: {', '.join(changed)}." if changed else "Keine Änderung."
            else:
                actions.set_min_n(db.session, target, int(form.min_n.data),
                                  current_user.email)
                message = f"Mindestfallzahl ist jetzt {target.min_n}."
        except ActionError as error:
            refused(form, error)
        else:
            _forget_surveys(target)
            flash(message)
            return redirect(url_for("backoffice.municipality", slug=slug))
    return _municipality_page(target, form)


def _forget_surveys(target: Municipality) -> None:
    """This worker shows the change on resident pages at once (others after
    SURVEY_CACHE_SECONDS)."""
    for slug in db.session.scalars(select(Survey.slug).where(
            Survey.municipality_id == target.id)):
        forget_cached_survey(slug)


@bp.get("/m/<slug>/audit")
@login_required(*STAFF_ROLES)
def audit_log(slug: str):
    """Who did what when in this municipality (latest first), filtered by GET parameters."""
    target = municipality_or_404(slug)
    return _audit_page(target)


@bp.get("/audit")
@login_required(Role.ADMIN)
def audit_log_all():
    """All audit events, including logins (programme office only)."""
    return _audit_page(None)


def _audit_page(target: Municipality | None):
    page = audit.audit_page(db.session, target.id if target else None, request.args)
    return render_template("backoffice/audit.html", municipality=target,
                           page=page), 422 if page.chosen.errors else 200
